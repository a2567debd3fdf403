import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCi, requireOrSkip } from './require-dep.ts';

describe('requireOrSkip: a missing test dependency skips on a developer machine and fails in CI', () => {
  it('runs when the dependency is there, in CI or not', () => {
    assert.equal(requireOrSkip(true, 'redis-server', {}), false);
    assert.equal(requireOrSkip(true, 'redis-server', { CI: 'true' }), false);
  });
  it('skips with a reason outside CI', () => {
    assert.equal(requireOrSkip(false, 'redis-server', {}), 'redis-server is not available');
    assert.equal(requireOrSkip(false, 'redis-server', { CI: 'false' }), 'redis-server is not available');
  });
  it('throws under CI=true (or 1), so the suite fails instead of skipping', () => {
    assert.throws(() => requireOrSkip(false, 'redis-server', { CI: 'true' }), /redis-server is not available, and CI=true/);
    assert.throws(() => requireOrSkip(false, 'PostgreSQL', { CI: '1' }), /PostgreSQL/);
    assert.equal(isCi({ CI: 'true' }), true);
    assert.equal(isCi({}), false);
  });
});
