// Behind a reverse proxy (ZKAI_TRUST_PROXY): the client address is the caller's from X-Forwarded-For, so the rate
// limit of requests without a key counts per caller, not once for everyone behind the proxy; and only the proxies
// named are believed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { JobStore } from '../jobs/jobs.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import { configFromEnv } from './config.ts';

describe('ZKAI_TRUST_PROXY', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  const apps: FastifyInstance[] = [];
  const stores: JobStore[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-proxy-'));
    membership = await prepareMembershipCircuit(4);
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const s of stores) s.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  async function app(trustProxy: boolean | number | string) {
    const store = new JobStore(':memory:');
    stores.push(store);
    const a = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'off' },
      rateLimit: 2,
      trustProxy,
    });
    apps.push(a);
    // Every request arrives from the proxy (127.0.0.1), on behalf of the client in X-Forwarded-For.
    return (client: string) =>
      a.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
  }

  test('trusted: each caller has its own budget', async () => {
    const get = await app('127.0.0.1');
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      assert.equal((await get(client)).statusCode, 200);
      assert.equal((await get(client)).statusCode, 200);
    }
    assert.equal((await get('203.0.113.1')).statusCode, 429, 'the third request of one caller');
  });

  test('off (the default): everyone behind the proxy shares its address, and a forged header changes nothing', async () => {
    const get = await app(false);
    assert.equal((await get('203.0.113.1')).statusCode, 200);
    assert.equal((await get('203.0.113.2')).statusCode, 200);
    assert.equal((await get('203.0.113.3')).statusCode, 429);
  });

  test('parsing: off, all, a hop count, addresses; anything else is refused', () => {
    assert.equal(configFromEnv({}).trustProxy, false);
    assert.equal(configFromEnv({ ZKAI_TRUST_PROXY: 'all' }).trustProxy, true);
    assert.equal(configFromEnv({ ZKAI_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(configFromEnv({ ZKAI_TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy, '10.0.0.0/8, ::1');
    assert.throws(() => configFromEnv({ ZKAI_TRUST_PROXY: 'my-proxy.internal' }), /ZKAI_TRUST_PROXY must be/);
  });
});
