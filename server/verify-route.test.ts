/**
 * POST /v1/verify against hostile bundles (issue 13 items 2 and 6): a forgery under the forger's own key is never
 * valid, a bundle over the signal limit is refused before any curve arithmetic, and verification runs on a worker
 * thread so the service keeps answering while it runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { JobStore } from '../jobs/jobs.ts';
import { randomScalar } from '../prover/commitment.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { forge, forgerKey } from '../prover/test-forgery.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { VerifyPool } from '../prover/verify-pool.ts';
import { buildApp } from './app.ts';
import { DEFAULT_VERIFY_MAX_SIGNALS } from './routes/verify.ts';

const G1_JSON = ['1', '2', '1'];

/** A bundle-shaped body with `n` public signals (valid shape, no valid points needed: it must be refused first). */
function oversized(template: Record<string, unknown>, n: number): Record<string, unknown> {
  const names = Array.from({ length: n }, (_, i) => `s${i}`);
  return {
    ...template,
    vkey: { ...(template.vkey as object), nPublic: n, IC: Array.from({ length: n + 1 }, () => G1_JSON) },
    publicSignals: names.map(() => '1'),
    public: Object.fromEntries(names.map((name) => [name, '1'])),
  };
}

describe('POST /v1/verify: pinned keys, limits, off the event loop', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  let store: JobStore;
  let verifier: VerifyPool;
  let app: FastifyInstance;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-verify-route-'));
    membership = await prepareMembershipCircuit(4);
    store = new JobStore(':memory:');
    verifier = new VerifyPool();
    app = await buildApp({ auth: { mode: 'off' }, store, runner: { pump() {} }, membership, datasetsDir: path.join(tmp, 'd'), verifier });
  });

  after(async () => {
    await app?.close();
    await verifier?.close();
    store?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('a forgery under a key the forger made answers valid:false, pinned:false, KEY_NOT_PINNED, with every check', async () => {
    const kappa = randomScalar();
    const forged = forge(forgerKey(3, kappa), kappa, [7n, 1000000n, 42n]);
    const res = await app.inject({ method: 'POST', url: '/v1/verify', payload: forged });
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    assert.equal(report.valid, false);
    assert.equal(report.pinned, false);
    assert.equal(report.reasonCode, 'KEY_NOT_PINNED');
    assert.equal(report.vkeyHash, forged.vkeyHash);
    // The response keeps the commitment check (its schema used to drop it): the forgery passes it, which is the point.
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: false, commitment: true });
  });

  test("a forgery claiming the service's membership circuit is a VKEY_MISMATCH", async () => {
    const kappa = randomScalar();
    const forged = forge(forgerKey(2, kappa), kappa, [1n, 2n], membership.circuit.id);
    const report = (await app.inject({ method: 'POST', url: '/v1/verify', payload: forged })).json();
    assert.deepEqual([report.valid, report.pinned, report.reasonCode], [false, false, 'VKEY_MISMATCH']);
    assert.match(report.reason, new RegExp(membership.setup.vkeyHash));
  });

  test('a bundle over the signal limit is 413 BODY_TOO_LARGE before any curve arithmetic; the 4,096-signal one too', async () => {
    const kappa = randomScalar();
    const template = forge(forgerKey(1, kappa), kappa, [1n]) as unknown as Record<string, unknown>;
    const before = verifier.completed;
    const over = await app.inject({ method: 'POST', url: '/v1/verify', payload: oversized(template, DEFAULT_VERIFY_MAX_SIGNALS + 1) });
    assert.equal(over.statusCode, 413, over.body);
    assert.equal(over.json().error.code, 'BODY_TOO_LARGE');
    assert.match(over.json().error.message, new RegExp(`at most ${DEFAULT_VERIFY_MAX_SIGNALS}`));
    // The request of the report: the bundle format's maximum, ~1.4 MB.
    const maximal = await app.inject({ method: 'POST', url: '/v1/verify', payload: oversized(template, 4096) });
    assert.equal(maximal.statusCode, 413, maximal.body);
    assert.equal(maximal.json().error.code, 'BODY_TOO_LARGE');
    assert.equal(verifier.completed, before, 'no verification ran for a refused bundle');
  });

  test('verification runs on a worker: /health answers while the largest allowed bundles are being verified', async () => {
    const kappa = randomScalar();
    const signals = Array.from({ length: DEFAULT_VERIFY_MAX_SIGNALS }, (_, i) => BigInt(i + 1));
    const big = forge(forgerKey(DEFAULT_VERIFY_MAX_SIGNALS, kappa), kappa, signals);
    const before = verifier.completed;
    const finished: string[] = [];
    const verifies = Array.from({ length: 4 }, (_, i) =>
      app.inject({ method: 'POST', url: '/v1/verify', payload: big }).then((res) => {
        finished.push(`verify${i}`);
        return res;
      }),
    );
    const health = await app.inject({ method: 'GET', url: '/health' });
    finished.push('health');
    assert.equal(health.statusCode, 200);
    const reports = await Promise.all(verifies);
    for (const res of reports) {
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual([res.json().valid, res.json().reasonCode], [false, 'KEY_NOT_PINNED']);
    }
    // /health did not wait for the verifications queued before it, and each of them ran on a worker thread.
    assert.notEqual(finished.at(-1), 'health', finished.join(', '));
    assert.equal(verifier.completed - before, 4);
    assert.ok(verifier.workerThreads.size > 0 && !verifier.workerThreads.has(threadId));
  });
});
