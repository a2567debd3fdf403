/**
 * Proving phases from the worker thread to the API: a real depth-4 membership proof on zkai's own prover
 * (the wasm engine, available everywhere) streams queued → witness → quotient → msm → done over SSE, and the
 * job view carries the progress estimate while it runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import { openEventStream, sseEvents } from './test-sse.ts';

const DEPTH = 4;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = [
  { id: 'a', contributor: addr(0xa1), contentHash: hash(1), weight: 3 },
  { id: 'b', contributor: addr(0xb2), contentHash: hash(2), weight: 5 },
];

describe('job progress', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  const savedEngine = process.env.ZKAI_ENGINE;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-progress-test-'));
    membership = await prepareMembershipCircuit(DEPTH);
    // zkai's own prover (not snarkjs) reports quotient and msm; the pool's worker threads read this when they start.
    process.env.ZKAI_ENGINE = 'wasm';
  });

  after(async () => {
    if (savedEngine === undefined) delete process.env.ZKAI_ENGINE;
    else process.env.ZKAI_ENGINE = savedEngine;
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('a real membership proof streams witness, quotient and msm phases in order, then done', async () => {
    const store = new JobStore(':memory:');
    const pool = new ProverPool({ threads: 1 });
    const datasetsDir = path.join(tmp, 'datasets');
    const runner = new JobRunner(store, { membership: membershipJobHandler({ pool, membership, datasetsDir }) }, { pollMs: 50 });
    // Every progress write as the store saw it: the job view while running must carry it.
    const seen: Record<string, unknown>[] = [];
    store.onProgress((id) => seen.push({ ...store.get(id)?.progress }));
    const app = await buildApp({ store, runner: { pump() {} }, membership, datasetsDir, pool, eventPollMs: 50, auth: { mode: 'off' } });
    try {
      const root = (await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS } })).json().rootHex;
      const accepted = await app.inject({ method: 'POST', url: `/v1/datasets/${root}/proofs`, payload: { recordId: 'b', epoch: 2 } });
      assert.equal(accepted.statusCode, 202, accepted.body);
      const { jobId } = accepted.json();
      // Over real HTTP, so the runner starts only once the stream has shown the job queued (no sleep).
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const stream = openEventStream(`${address}/v1/jobs/${jobId}/events`);
      await stream.first;
      runner.start();
      const res = await stream.done;
      assert.equal(res.statusCode, 200);
      const events = sseEvents(res.body);
      const phases = events.map((e) => e.phase as string);
      const trail = phases.join(' -> ');
      assert.equal(phases[0], 'queued', trail);
      assert.equal(phases.at(-1), 'done', trail);
      assert.equal(events.at(-1)?.state, 'succeeded', trail);
      assert.deepEqual(
        phases.slice(1, -1).filter((p) => p !== 'running'),
        ['witness', 'quotient', 'msm'],
        trail,
      );
      // While running, the view shows the progress estimate; once done, it does not.
      const msm = events.find((e) => e.phase === 'msm')!;
      assert.equal((msm.progress as { phase: string; percent: number }).phase, 'msm');
      assert.equal((msm.progress as { percent: number }).percent, 25);
      assert.equal(events.at(-1)?.progress, undefined);
      assert.deepEqual(
        seen.map((p) => [p.phase, p.percent]),
        [
          ['witness', 0],
          ['quotient', 10],
          ['msm', 25],
        ],
      );
      // The proof itself is good (the bundle was made by the wasm engine).
      const bundle = (await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/bundle` })).json();
      assert.equal(bundle.metadata.engine, 'wasm');
      console.log(`SSE phases of a depth-${DEPTH} proof on zkai's prover: ${trail}`);
    } finally {
      await app.close();
      await runner.stop();
      await pool.close();
      store.close();
    }
  });

  test("a percent within a phase is an event too (a dataset commit's leaves and tree), each once", async () => {
    const store = new JobStore(':memory:');
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const rootHex = `0x${'12'.repeat(32)}`;
    // The handler holds the job running while the test writes its progress as a commit would (no sleep, no timing).
    const runner = new JobRunner(
      store,
      {
        'dataset-commit': async () => {
          started();
          await released;
          return { rootHex };
        },
      },
      { pollMs: 50 },
    );
    const app = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(tmp, 'd2'),
      eventPollMs: 50,
      auth: { mode: 'off' },
    });
    try {
      const job = store.enqueue('dataset-commit', {});
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const stream = openEventStream(`${address}/v1/jobs/${job.id}/events`);
      await stream.first;
      runner.start();
      await running;
      const at = () => new Date().toISOString();
      for (const [phase, percent] of [
        ['leaves', 10],
        ['leaves', 10],
        ['leaves', 40],
        ['tree', 50],
        ['tree', 90],
      ] as const) {
        assert.ok(store.setProgress(job.id, { phase, percent, updatedAt: at() }));
      }
      release();
      const events = sseEvents((await stream.done).body);
      const reported = events.filter((e) => e.state === 'running' && e.progress);
      assert.deepEqual(
        reported.map((e) => [e.phase, (e.progress as { percent: number }).percent]),
        [
          ['leaves', 10],
          ['leaves', 40],
          ['tree', 50],
          ['tree', 90],
        ],
      );
      const last = events.at(-1)!;
      assert.equal(last.state, 'succeeded');
      assert.equal((last.links as { dataset?: string }).dataset, `/v1/datasets/${rootHex}`);
    } finally {
      await app.close();
      await runner.stop();
      store.close();
    }
  });
});
