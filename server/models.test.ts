/**
 * Model routes for real: upload the digits MLP over HTTP, let the job runner compile it (in a child
 * process: quantize, circuit, setup; cached by content, so fast after the first run on a machine), prove an
 * inference as a job, fetch the bundle, and verify it through the API.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { tinyHugeOnnx } from '../circuits/model/test-models.ts';
import { REPO_ROOT } from '../common/config.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { modelJobHandlers } from '../jobs/model-jobs.ts';
import { ModelCatalog } from '../jobs/models.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import { openEventStream, sseEvents } from './test-sse.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const CSV = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8');
const ROWS = CSV.trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
const MLP_DIGITS = readFileSync(path.join(FIXTURES, 'mlp_digits.onnx'));

describe('model routes: upload, compile, prove, fetch and verify an inference bundle', () => {
  let tmp: string;
  let store: JobStore;
  let dbFile: string;
  let tenants: TenantStore;
  let models: ModelCatalog;
  let pool: ProverPool;
  let runner: JobRunner;
  let app: FastifyInstance;
  let headers: Record<string, string>;
  let modelId: string;
  let membership: Awaited<ReturnType<typeof prepareMembershipCircuit>>;
  let model: Record<string, unknown>;
  const compilePhases: string[] = [];
  // While set, a compile job waits for it before it starts (a test opens the job's event stream first: no race).
  let holdCompiles: Promise<void> | undefined;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-models-'));
    dbFile = path.join(tmp, 'jobs.sqlite');
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    models = new ModelCatalog(path.join(tmp, 'models'), dbFile);
    pool = new ProverPool({ threads: 1 });
    const handlers = modelJobHandlers({ pool, modelsDir: models.dir, maxConstraints: 200_000 });
    // The compile's progress as the job runner hears it (from the compile's child process).
    const compile = handlers['model-compile']!;
    handlers['model-compile'] = async (job, ctx) => {
      await holdCompiles;
      return compile(job, {
        ...ctx,
        progress: (update) => {
          if (update.phase !== compilePhases.at(-1)) compilePhases.push(update.phase);
          ctx?.progress(update);
        },
      });
    };
    runner = new JobRunner(store, handlers, { pollMs: 100 });
    runner.start();
    membership = await prepareMembershipCircuit(4);
    app = await buildApp({
      store,
      runner,
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
    });
    headers = { authorization: `Bearer ${tenants.createKey('provider').key}` };
  });

  after(async () => {
    await app?.close();
    await runner?.stop();
    await pool?.close();
    store?.close();
    tenants?.close();
    models?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** POST /v1/models to `on` (default the app): `onnx` base64-encoded, the digits calibration rows unless `extra` says. */
  function uploadModel(name: string, onnx: Uint8Array, extra: Record<string, unknown> = {}, on: FastifyInstance = app) {
    const payload = { name, onnx: Buffer.from(onnx).toString('base64'), calibrationCsv: CSV, ...extra };
    return on.inject({ method: 'POST', url: '/v1/models', headers, payload });
  }

  async function poll<T>(url: string, done: (body: T) => boolean, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const body = (await app.inject({ method: 'GET', url, headers })).json() as T;
      if (done(body) || Date.now() > deadline) return body;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  test('upload → compile job → ready model with constraints, weight commitment and agreement', async () => {
    const upload = await uploadModel('mlp-digits', MLP_DIGITS);
    assert.equal(upload.statusCode, 202, upload.body);
    modelId = upload.json().id;
    // A cold cache compiles circom and makes a setup (a minute or two); a warm one takes about a second.
    model = await poll<Record<string, unknown>>(`/v1/models/${modelId}`, (m) => m.state !== 'compiling', 300_000);
    assert.equal(model.state, 'ready', JSON.stringify(model));
    const constraints = model.constraints as { total: number; perLayer: { constraints: number }[] };
    assert.ok(constraints.total > 0);
    // The generator's count and circom's, both in the manifest: the compile fails unless they are equal.
    assert.equal((constraints as { predicted?: number }).predicted, constraints.total);
    assert.equal((constraints as { measured?: number }).measured, constraints.total);
    assert.equal(
      constraints.total,
      constraints.perLayer.reduce((a, l) => a + l.constraints, 0),
    );
    assert.match(String(model.weightCommitment), /^[0-9]+$/);
    assert.ok((model.agreement as { agreement: number }).agreement >= 0.97, JSON.stringify(model.agreement));
    // The default is Pedersen-committed weights: the statement starts with the input hash, and the model shows W
    // with its proof of knowledge (what ModelRegistry.registerCommittedModel takes).
    assert.equal((model.publicSignals as string[])[0], 'inputHash');
    assert.equal(model.weights, 'private-pedersen');
    const commitment = model.commitment as { point: string[]; knowledge: string[] };
    assert.equal(commitment.point.length, 3);
    assert.equal(commitment.knowledge.length, 3);
    assert.equal((model.compileJob as { state: string }).state, 'succeeded');
    // Issue 16: a compile said `progress: null` for half a minute; now each phase is reported as it starts.
    assert.deepEqual(compilePhases, ['import', 'quantize', 'circuit', 'setup', 'commitment', 'store']);
  });

  test("a compile job's events over HTTP: its phases in order, the percent never going back, 100 before it succeeds (issue 16)", async () => {
    // The same model and name as above: circom's output and the setup are cached, so this compile takes seconds.
    let release!: () => void;
    holdCompiles = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const upload = await uploadModel('mlp-digits', MLP_DIGITS);
      assert.equal(upload.statusCode, 202, upload.body);
      const { id, compileJob } = upload.json() as { id: string; compileJob: { id: string } };
      // Over real HTTP: the compile starts only once the stream has shown the job (no sleep).
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const stream = openEventStream(`${address}/v1/jobs/${compileJob.id}/events`, headers);
      await stream.first;
      release();
      const res = await stream.done;
      assert.equal(res.statusCode, 200);
      const events = sseEvents(res.body);
      const trail = events.map(
        (e) => `${e.phase}${(e.progress as { step?: string })?.step ? `/${(e.progress as { step: string }).step}` : ''}`,
      );
      const reported = events.filter((e) => e.state === 'running' && e.progress) as {
        phase: string;
        progress: { phase: string; step?: string; percent: number };
      }[];
      assert.deepEqual(
        reported.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]),
        ['import', 'quantize', 'circuit', 'setup', 'commitment', 'store'],
        trail.join(' -> '),
      );
      assert.ok(
        reported.every((e) => e.phase === e.progress.phase),
        'the job phase is its progress phase',
      );
      // A cached setup: only its first step (the ptau), then straight on.
      assert.deepEqual(
        reported.filter((e) => e.phase === 'setup').map((e) => e.progress.step),
        ['ptau'],
      );
      const percents = reported.map((e) => e.progress.percent);
      assert.ok(
        percents.every((p, i) => i === 0 || p >= percents[i - 1]!),
        `percent never goes back: ${percents.join(', ')}`,
      );
      assert.equal(percents.at(-1), 100, trail.join(' -> '));
      assert.equal(events.at(-1)?.state, 'succeeded');
      assert.equal(events.at(-1)?.phase, 'done');
      const compiled = (await app.inject({ method: 'GET', url: `/v1/models/${id}`, headers })).json();
      assert.equal(compiled.state, 'ready');
      console.log(`SSE of a cached compile: ${trail.join(' -> ')} (${percents.join(', ')} %)`);
    } finally {
      holdCompiles = undefined;
      release();
    }
  });

  test('prove an inference as a job; the bundle verifies and names the committed model', async () => {
    const row = ROWS[150]!;
    // `owner`: the registrant the proof is bound to (its `binding` signal, checked by InferenceAttestor).
    const owner = '0x00000000000000000000000000000000000000aB';
    const asked = await app.inject({
      method: 'POST',
      url: `/v1/models/${modelId}/prove`,
      headers,
      payload: { input: row.slice(0, 64), owner },
    });
    assert.equal(asked.statusCode, 202, asked.body);
    const { jobId, links } = asked.json();
    const job = await poll<{ state: string; kind: string }>(links.job, (j) => j.state === 'succeeded' || j.state === 'failed', 120_000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.kind, 'inference');
    const bundle = (await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/bundle`, headers })).json();
    assert.equal(bundle.kind, 'inference');
    assert.equal(bundle.circuitId, model.circuitId);
    assert.equal(bundle.vkeyHash, model.vkeyHash);
    assert.deepEqual(bundle.commitment, model.commitment);
    assert.equal(bundle.public.weightsHash, undefined, 'no committed signal leaves the prover');
    assert.equal(Number(bundle.public.label), row[64], 'this held-out digit is classified correctly');
    assert.equal(bundle.public.binding, owner.toLowerCase());
    const verified = await app.inject({ method: 'POST', url: '/v1/verify', payload: bundle });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json().valid, true, verified.body);
  });

  test('a model whose compile job record is gone (queue switch, retention) is still ready and proves (issue 18)', async () => {
    const compileJobId = (model.compileJob as { id: string }).id;
    const db = new Database(dbFile);
    assert.equal(db.prepare('DELETE FROM jobs WHERE id = ?').run(compileJobId).changes, 1);
    db.close();
    const after = (await app.inject({ method: 'GET', url: `/v1/models/${modelId}`, headers })).json();
    assert.equal(after.state, 'ready', JSON.stringify(after));
    assert.equal(after.vkeyHash, model.vkeyHash);
    const listed = (await app.inject({ method: 'GET', url: '/v1/models', headers })).json();
    assert.equal(listed.models.find((m: { id: string }) => m.id === modelId)?.state, 'ready');
    const asked = await app.inject({
      method: 'POST',
      url: `/v1/models/${modelId}/prove`,
      headers,
      payload: { input: ROWS[151]!.slice(0, 64) },
    });
    assert.equal(asked.statusCode, 202, asked.body);
    const job = await poll<{ state: string }>(asked.json().links.job, (j) => j.state === 'succeeded' || j.state === 'failed', 120_000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
  });

  test('bad inference inputs are refused up front', async () => {
    const prove = (input: unknown) => app.inject({ method: 'POST', url: `/v1/models/${modelId}/prove`, headers, payload: { input } });
    const short = await prove([1, 2, 3]);
    assert.equal(short.statusCode, 400, short.body);
    assert.match(short.json().error.message, /64/);
    const huge = await prove([1e300, ...new Array(63).fill(0)]);
    assert.equal(huge.statusCode, 400, huge.body);
    assert.equal(huge.json().error.code, 'BAD_INPUT');
    assert.match(huge.json().error.message, /input\[0\].*range/);
    const strings = await prove(new Array(64).fill('1'));
    assert.equal(strings.statusCode, 400, strings.body);
    const badOwner = await app.inject({
      method: 'POST',
      url: `/v1/models/${modelId}/prove`,
      headers,
      payload: { input: new Array(64).fill(0), owner: '0x1234' },
    });
    assert.equal(badOwner.statusCode, 400, badOwner.body);
    assert.equal(store.list({ tenant: 'provider' }).filter((j) => j.kind === 'inference').length, 2, 'no job for refused inputs');
  });

  test("lookups: 'logup' — compiled with LogUp range checks, proved in two rounds, verified with its D (issue 17)", async () => {
    const upload = await uploadModel('mlp-digits-logup', MLP_DIGITS, { lookups: 'logup' });
    assert.equal(upload.statusCode, 202, upload.body);
    const id = upload.json().id;
    const ready = await poll<Record<string, unknown>>(`/v1/models/${id}`, (m) => m.state !== 'compiling', 300_000);
    assert.equal(ready.state, 'ready', JSON.stringify(ready));
    assert.equal(ready.lookups, 'logup');
    const perLayer = (ready.constraints as { perLayer: { layer: string }[] }).perLayer;
    assert.ok(perLayer.some((l) => l.layer === 'lookups'));
    const asked = await app.inject({ method: 'POST', url: `/v1/models/${id}/prove`, headers, payload: { input: ROWS[150]!.slice(0, 64) } });
    assert.equal(asked.statusCode, 202, asked.body);
    const job = await poll<{ state: string }>(asked.json().links.job, (j) => j.state === 'succeeded' || j.state === 'failed', 120_000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    const bundle = (await app.inject({ method: 'GET', url: `/v1/jobs/${asked.json().jobId}/bundle`, headers })).json();
    assert.equal(bundle.vkeyHash, ready.vkeyHash);
    assert.equal(bundle.lookupCommitment.point.length, 3);
    assert.equal(Number(bundle.public.label), ROWS[150]![64]);
    const verified = await app.inject({ method: 'POST', url: '/v1/verify', payload: bundle });
    assert.equal(verified.json().valid, true, verified.body);
    assert.equal(verified.json().checks.challenge, true);
    const moved = structuredClone(bundle);
    const at = (ready.publicSignals as string[]).indexOf('logupAlpha');
    moved.publicSignals[at] = (BigInt(moved.publicSignals[at]) + 1n).toString();
    moved.public.logupAlpha = moved.publicSignals[at];
    const refused = (await app.inject({ method: 'POST', url: '/v1/verify', payload: moved })).json();
    assert.equal(refused.valid, false);
    assert.equal(refused.reasonCode, 'CHALLENGE_MISMATCH');
  });

  test('a few hundred bytes of ONNX describing millions of constraints fail with MODEL_TOO_LARGE, before quantizing', async () => {
    // 128×128 input, 1×1 conv to 64 channels (1M Requantizes), ReLU, one max pool over the image: > 19M constraints.
    const onnx = tinyHugeOnnx();
    assert.ok(onnx.length < 1024);
    const columns = Array.from({ length: 128 * 128 }, (_, i) => `p${i}`);
    const csv = `${columns.join(',')}\n${columns.map((_, i) => i % 17).join(',')}\n`;
    const upload = await uploadModel('huge', onnx, { calibrationCsv: csv });
    assert.equal(upload.statusCode, 202, upload.body);
    const huge = await poll<{ state: string; error?: { code: string; message: string } }>(
      `/v1/models/${upload.json().id}`,
      (m) => m.state !== 'compiling',
      120_000,
    );
    assert.equal(huge.state, 'failed', JSON.stringify(huge));
    assert.equal(huge.error?.code, 'MODEL_TOO_LARGE');
    assert.match(huge.error?.message ?? '', /estimated from the graph\), over the limit of 200000/);

    // A service that knows the limit (ZKAI_MAX_MODEL_CONSTRAINTS) answers the upload itself: 413, and no job.
    const limited = await buildApp({
      store,
      runner,
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
      maxModelConstraints: 200_000,
    });
    try {
      const jobs = store.list({ tenant: 'provider' }).length;
      const refused = await uploadModel('huge', onnx, { calibrationCsv: csv }, limited);
      assert.equal(refused.statusCode, 413, refused.body);
      assert.equal(refused.json().error.code, 'MODEL_TOO_LARGE');
      assert.match(refused.json().error.message, /over the limit of 200000/);
      assert.equal(store.list({ tenant: 'provider' }).length, jobs, 'no compile job queued');
    } finally {
      await limited.close();
    }
  });
});
