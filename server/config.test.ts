import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFromEnv, MIN_WORKER_TOKEN_LENGTH } from './config.ts';

describe('worker fetch settings: ZKAI_WORKER_TOKEN and ZKAI_API_URL', () => {
  const token = 'a'.repeat(MIN_WORKER_TOKEN_LENGTH);

  it('are off by default', () => {
    const config = configFromEnv({});
    assert.equal(config.workerToken, undefined);
    assert.equal(config.apiUrl, undefined);
  });

  it('take a long printable token and an http(s) URL (without a trailing slash)', () => {
    const config = configFromEnv({ ZKAI_WORKER_TOKEN: token, ZKAI_API_URL: 'https://api.internal:8080/' });
    assert.equal(config.workerToken, token);
    assert.equal(config.apiUrl, 'https://api.internal:8080');
  });

  it('refuse a short or spaced token, a URL that is not http(s) or carries credentials, and a URL without a token', () => {
    assert.throws(() => configFromEnv({ ZKAI_WORKER_TOKEN: 'short' }), /ZKAI_WORKER_TOKEN must be at least/);
    assert.throws(() => configFromEnv({ ZKAI_WORKER_TOKEN: `${token} x` }), /ZKAI_WORKER_TOKEN must be/);
    for (const url of ['ftp://api:21', 'api.internal:8080', 'http://user:pw@api:8080'])
      assert.throws(() => configFromEnv({ ZKAI_WORKER_TOKEN: token, ZKAI_API_URL: url }), /ZKAI_API_URL must be/, url);
    assert.throws(() => configFromEnv({ ZKAI_API_URL: 'http://api:8080' }), /ZKAI_API_URL needs ZKAI_WORKER_TOKEN/);
  });
});

describe('ZKAI_BATCH_SLOTS: the dev chain’s batch verifier', () => {
  it('is off by default (no 2^18 setup at a first start); takes 1..64 slots; refuses anything else', () => {
    assert.equal(configFromEnv({}).batchSlots, 0);
    assert.equal(configFromEnv({ ZKAI_BATCH_SLOTS: '16' }).batchSlots, 16);
    for (const bad of ['65', '-1', 'sixteen'])
      assert.throws(() => configFromEnv({ ZKAI_BATCH_SLOTS: bad }), /ZKAI_BATCH_SLOTS must be an integer 0\.\.64/);
  });
});

describe('ZKAI_FIXED_BASE_MIB: checked when the service or a worker starts', () => {
  it('refuses a budget that is not a whole number of MiB, before any worker reads it', () => {
    assert.doesNotThrow(() => configFromEnv({ ZKAI_FIXED_BASE_MIB: '0' }));
    assert.throws(() => configFromEnv({ ZKAI_FIXED_BASE_MIB: 'lots' }), /ZKAI_FIXED_BASE_MIB must be a whole number of MiB/);
  });
});
