/**
 * Tenancy: API keys, and what one tenant can see of another's (nothing: 404s with the same body as an
 * unknown id). No proving: the runner is idle and jobs are finished by hand, as the app tests do.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { runZkai } from '../cli/run-cli.ts';
import { REPO_ROOT } from '../common/config.ts';
import { JobStore } from '../jobs/jobs.ts';
import { ModelCatalog } from '../jobs/models.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';

const DEPTH = 4;
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = [
  { id: 'a-1', contributor: addr(0xa1), contentHash: hash(1), weight: 3 },
  { id: 'a-2', contributor: addr(0xa2), contentHash: hash(2), weight: 5 },
];
const CSV = ['id,contributor,content_hash,weight', ...RECORDS.map((r) => `${r.id},${r.contributor},${r.contentHash},${r.weight}`)].join(
  '\n',
);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const UNKNOWN_ROOT = hash(0xdead);

/** A stand-in manifest for a compiled model (the tenancy test compiles nothing; server/models.test.ts does). */
const FAKE_MANIFEST = {
  format: 'zkai-model',
  version: 1,
  name: 'mlp',
  source: { file: 'model.onnx', sha256: 'ab'.repeat(32) },
  circuitId: 'model-mlp-000000000000',
  weights: 'private-committed',
  input: 'private-hashed',
  weightCommitment: '12345',
  publicSignals: ['weightsHash', 'inputHash', 'label'],
  inputShape: [1, 64],
  outputShape: [1, 10],
  quantization: {},
  constraints: { total: 10, perLayer: [{ layer: 'fc1', kind: 'dense', constraints: 10 }] },
  agreement: { rows: 2, floatAccuracy: 1, quantAccuracy: 1, agreement: 1 },
  vkeyHash: 'cd'.repeat(32),
  insecureSetup: true,
  setup: 'dev-15',
  createdAt: new Date().toISOString(),
};

function assertError(res: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.json().error.code, code, res.body);
}

/** Another tenant's id must answer exactly what an unknown id answers (with that id in the message). */
function assertSameAsUnknown(res: LightMyRequestResponse, unknown: LightMyRequestResponse, unknownId: string, id: string): void {
  assert.equal(res.statusCode, 404, res.body);
  assert.equal(res.statusCode, unknown.statusCode);
  assert.deepEqual(res.json(), JSON.parse(unknown.body.replaceAll(unknownId, id)), 'indistinguishable from an unknown id');
}

describe('tenancy: API keys and isolation', () => {
  let tmp: string;
  let dbFile: string;
  let membership: MembershipCircuit;
  let store: JobStore;
  let tenants: TenantStore;
  let models: ModelCatalog;
  let app: FastifyInstance;
  let alice: string;
  let bob: string;
  let root: string;
  let modelId: string;
  const apps: FastifyInstance[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-tenancy-'));
    dbFile = path.join(tmp, 'jobs.sqlite');
    membership = await prepareMembershipCircuit(DEPTH);
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    models = new ModelCatalog(path.join(tmp, 'models'), dbFile);
    alice = tenants.createKey('alice').key;
    bob = tenants.createKey('bob').key;
    app = await makeApp();
  });

  after(async () => {
    for (const a of apps) await a.close();
    store?.close();
    tenants?.close();
    models?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  async function makeApp(rateLimit?: number): Promise<FastifyInstance> {
    const a = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
      rateLimit,
    });
    apps.push(a);
    return a;
  }

  const as = (key: string | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: key ? { authorization: `Bearer ${key}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  test('keys are stored as SHA-256 only', () => {
    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
      assert.ok(rows.length >= 2);
      const hashes = rows.map((r) => r.key_hash);
      assert.ok(hashes.includes(createHash('sha256').update(alice).digest('hex')));
      for (const r of rows) for (const v of Object.values(r)) assert.ok(v !== alice && v !== bob, 'no column holds a key');
    } finally {
      db.close();
    }
    assert.match(alice, /^zkai_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(alice.slice(5), 'base64url').length, 32);
  });

  test('private routes need a key (401 UNAUTHORIZED); public ones do not', async () => {
    const privateRoutes: [method: 'GET' | 'POST', url: string, payload?: unknown][] = [
      ['GET', '/v1/jobs'],
      ['GET', `/v1/jobs/${UNKNOWN_ID}`],
      ['GET', `/v1/jobs/${UNKNOWN_ID}/bundle`],
      ['GET', `/v1/jobs/${UNKNOWN_ID}/events`],
      ['POST', `/v1/jobs/${UNKNOWN_ID}/cancel`],
      ['GET', '/v1/datasets'],
      ['POST', '/v1/datasets', { records: RECORDS }],
      ['GET', `/v1/datasets/${UNKNOWN_ROOT}`],
      ['POST', `/v1/datasets/${UNKNOWN_ROOT}/proofs`, { recordId: 'a-1', epoch: 1 }],
      ['GET', '/v1/models'],
      ['POST', '/v1/models', { onnx: 'AAAA', calibrationCsv: 'x' }],
      ['GET', `/v1/models/${UNKNOWN_ID}`],
      ['POST', `/v1/models/${UNKNOWN_ID}/prove`, { input: [1] }],
    ];
    for (const [method, url, payload] of privateRoutes) {
      const res = await as(undefined, method, url, payload);
      assertError(res, 401, 'UNAUTHORIZED');
      assert.match(res.json().error.message, /Authorization: Bearer/);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="zkai"', `${method} ${url}`);
    }
    assert.equal((await as(undefined, 'GET', '/health')).statusCode, 200);
    assert.equal((await as(undefined, 'GET', '/docs/json')).statusCode, 200);
    assert.equal((await as(undefined, 'GET', '/metrics')).statusCode, 200);
    assertError(await as(undefined, 'POST', '/v1/verify', { not: 'a bundle' }), 400, 'BAD_BUNDLE');
    assertError(await as(undefined, 'GET', '/v1/chain'), 404, 'NOT_FOUND');
    // The keys /v1/verify trusts are public too: the web console pins bundles to them before it verifies.
    assert.deepEqual((await as(undefined, 'GET', '/v1/circuits/no-such-circuit/keys')).json(), {
      circuitId: 'no-such-circuit',
      vkeyHashes: [],
    });
    assertError(await as(undefined, 'GET', '/v1/nothing'), 404, 'NOT_FOUND');
  });

  test('wrong keys are 401 with one message whatever is wrong; x-api-key works too', async () => {
    const forged = `zkai_${randomBytes(32).toString('base64url')}`;
    const headers = [
      { authorization: `Bearer ${forged}` },
      { authorization: 'Bearer not-a-key' },
      { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` },
      { authorization: `Bearer ${alice.slice(0, -1)}` },
      { authorization: `Bearer ${alice} extra` },
      { 'x-api-key': forged },
    ];
    for (const h of headers) {
      const res = await app.inject({ method: 'GET', url: '/v1/jobs', headers: h });
      assertError(res, 401, 'UNAUTHORIZED');
      assert.equal(res.json().error.message, 'invalid or revoked API key', JSON.stringify(h));
    }
    assertError(await app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: '' } }), 401, 'UNAUTHORIZED');
    assert.equal((await app.inject({ method: 'GET', url: '/v1/jobs', headers: { 'x-api-key': alice } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `bearer   ${alice}` } })).statusCode, 200);
  });

  test("datasets: B cannot read, list or prove A's; committing the same records gives B its own view", async () => {
    const committed = await as(alice, 'POST', '/v1/datasets', { csv: CSV });
    assert.equal(committed.statusCode, 201, committed.body);
    root = committed.json().rootHex;
    assert.equal((await as(alice, 'GET', `/v1/datasets/${root}`)).statusCode, 200);
    assert.deepEqual(
      (await as(alice, 'GET', '/v1/datasets')).json().datasets.map((d: { rootHex: string }) => d.rootHex),
      [root],
    );

    const unknownGet = await as(bob, 'GET', `/v1/datasets/${UNKNOWN_ROOT}`);
    assertError(unknownGet, 404, 'UNKNOWN_DATASET');
    assertSameAsUnknown(await as(bob, 'GET', `/v1/datasets/${root}`), unknownGet, UNKNOWN_ROOT, root);
    const unknownProof = await as(bob, 'POST', `/v1/datasets/${UNKNOWN_ROOT}/proofs`, { recordId: 'a-1', epoch: 1 });
    assertSameAsUnknown(
      await as(bob, 'POST', `/v1/datasets/${root}/proofs`, { recordId: 'a-1', epoch: 1 }),
      unknownProof,
      UNKNOWN_ROOT,
      root,
    );
    assert.deepEqual((await as(bob, 'GET', '/v1/datasets')).json(), { datasets: [] });
    assert.equal((await store.list({ tenant: 'bob' })).length, 0, 'no job was made for B');

    // B commits the same records (as JSON): a new dataset for B (201, like any), and B's view shows
    // B's commit time and no source, never A's (A committed a CSV, whose hash A's manifest shows).
    const aliceManifest = (await as(alice, 'GET', `/v1/datasets/${root}`)).json();
    assert.equal(aliceManifest.source.name, 'request body (csv)');
    const again = await as(bob, 'POST', '/v1/datasets', { records: RECORDS });
    assert.equal(again.statusCode, 201, again.body);
    assert.equal(again.json().rootHex, root);
    assert.notEqual(again.json().createdAt, aliceManifest.createdAt);
    const bobManifest = (await as(bob, 'GET', `/v1/datasets/${root}`)).json();
    assert.equal(bobManifest.source, undefined);
    assert.equal(bobManifest.createdAt, again.json().createdAt);
    assert.equal((await as(bob, 'POST', '/v1/datasets', { records: RECORDS })).statusCode, 200, 'then it is B’s: 200 the second time');
  });

  test("jobs: B cannot read, list, cancel, stream or download A's; A can", async () => {
    const ask = await as(alice, 'POST', `/v1/datasets/${root}/proofs`, { recordId: 'a-1', epoch: 1 });
    assert.equal(ask.statusCode, 202, ask.body);
    const jobId: string = ask.json().jobId;
    assert.equal(store.get(jobId)!.tenant, 'alice', 'the job record carries its tenant');
    const other = (await as(alice, 'POST', `/v1/datasets/${root}/proofs`, { recordId: 'a-2', epoch: 1 })).json().jobId as string;

    for (const suffix of ['', '/bundle', '/events']) {
      const unknown = await as(bob, 'GET', `/v1/jobs/${UNKNOWN_ID}${suffix}`);
      assertError(unknown, 404, 'UNKNOWN_JOB');
      assertSameAsUnknown(await as(bob, 'GET', `/v1/jobs/${jobId}${suffix}`), unknown, UNKNOWN_ID, jobId);
    }
    const unknownCancel = await as(bob, 'POST', `/v1/jobs/${UNKNOWN_ID}/cancel`);
    assertSameAsUnknown(await as(bob, 'POST', `/v1/jobs/${other}/cancel`), unknownCancel, UNKNOWN_ID, other);
    assert.equal(store.get(other)!.state, 'queued', "B's cancel did nothing");
    assert.deepEqual((await as(bob, 'GET', '/v1/jobs')).json(), { jobs: [] });

    const listed = (await as(alice, 'GET', '/v1/jobs?limit=10')).json().jobs.map((j: { id: string }) => j.id);
    assert.deepEqual(new Set(listed), new Set([jobId, other]));
    assert.deepEqual((await as(alice, 'GET', '/v1/jobs?state=succeeded')).json(), { jobs: [] });
    assertError(await as(alice, 'GET', '/v1/jobs?limit=0'), 400, 'BAD_INPUT');
    assertError(await as(alice, 'GET', '/v1/jobs?limit=ten'), 400, 'BAD_INPUT');
    assert.equal((await as(alice, 'GET', `/v1/jobs/${jobId}`)).json().state, 'queued');

    // Finish A's job by hand with a stand-in bundle: A downloads it, B still gets 404.
    const claimed = store.claimNext()!;
    assert.equal(claimed.id, jobId);
    store.succeed(jobId, { format: 'zkai-proof-bundle', stand: 'in' });
    assert.deepEqual((await as(alice, 'GET', `/v1/jobs/${jobId}/bundle`)).json(), { format: 'zkai-proof-bundle', stand: 'in' });
    const unknownBundle = await as(bob, 'GET', `/v1/jobs/${UNKNOWN_ID}/bundle`);
    assertSameAsUnknown(await as(bob, 'GET', `/v1/jobs/${jobId}/bundle`), unknownBundle, UNKNOWN_ID, jobId);
    const events = await as(alice, 'GET', `/v1/jobs/${jobId}/events`);
    assert.equal(events.statusCode, 200);
    assert.match(events.body, /"state":"succeeded"/);

    const cancelled = await as(alice, 'POST', `/v1/jobs/${other}/cancel`);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(store.get(other)!.state, 'cancelled');
  });

  test("models: B cannot read, list or prove A's model, nor see its jobs; A can", async () => {
    const upload = await as(alice, 'POST', '/v1/models', {
      name: 'mlp',
      onnx: readFileSync(path.join(FIXTURES, 'mlp_digits.onnx')).toString('base64'),
      calibrationCsv: readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').split('\n').slice(0, 20).join('\n'),
    });
    assert.equal(upload.statusCode, 202, upload.body);
    const model = upload.json();
    modelId = model.id;
    assert.equal(model.state, 'compiling');
    assert.equal(upload.headers.location, `/v1/models/${modelId}`);
    const compileJob = store.get(model.compileJob.id)!;
    assert.equal(compileJob.kind, 'model-compile');
    assert.equal(compileJob.tenant, 'alice');

    assertError(await as(alice, 'POST', `/v1/models/${modelId}/prove`, { input: new Array(64).fill(1) }), 409, 'MODEL_NOT_READY');
    const unknownModel = await as(bob, 'GET', `/v1/models/${UNKNOWN_ID}`);
    assertError(unknownModel, 404, 'UNKNOWN_MODEL');
    assertSameAsUnknown(await as(bob, 'GET', `/v1/models/${modelId}`), unknownModel, UNKNOWN_ID, modelId);
    assert.deepEqual((await as(bob, 'GET', '/v1/models')).json(), { models: [] });
    const unknownCompile = await as(bob, 'GET', `/v1/jobs/${UNKNOWN_ID}`);
    assertSameAsUnknown(await as(bob, 'GET', `/v1/jobs/${compileJob.id}`), unknownCompile, UNKNOWN_ID, compileJob.id);

    // Finish the compile by hand (the real compile is server/models.test.ts's): A's model is ready.
    assert.equal(store.claimNext()!.id, compileJob.id);
    store.succeed(compileJob.id, FAKE_MANIFEST);
    const ready = (await as(alice, 'GET', `/v1/models/${modelId}`)).json();
    assert.equal(ready.state, 'ready');
    assert.equal(ready.weightCommitment, '12345');
    assert.deepEqual(ready.constraints, FAKE_MANIFEST.constraints);
    assert.deepEqual(
      (await as(alice, 'GET', '/v1/models')).json().models.map((m: { id: string }) => m.id),
      [modelId],
    );
    assertError(await as(alice, 'GET', `/v1/jobs/${compileJob.id}/bundle`), 404, 'NOT_FOUND');

    const unknownProve = await as(bob, 'POST', `/v1/models/${UNKNOWN_ID}/prove`, { input: new Array(64).fill(1) });
    assertSameAsUnknown(
      await as(bob, 'POST', `/v1/models/${modelId}/prove`, { input: new Array(64).fill(1) }),
      unknownProve,
      UNKNOWN_ID,
      modelId,
    );
    assertError(await as(alice, 'POST', `/v1/models/${modelId}/prove`, { input: [1, 2, 3] }), 400, 'BAD_INPUT');
    const proof = await as(alice, 'POST', `/v1/models/${modelId}/prove`, { input: new Array(64).fill(1) });
    assert.equal(proof.statusCode, 202, proof.body);
    const inference = proof.json().jobId as string;
    const job = (await as(alice, 'GET', `/v1/jobs/${inference}`)).json();
    assert.equal(job.kind, 'inference');
    assert.deepEqual(job.request, { modelId }, 'the job view does not echo the (possibly private) input');
    assert.deepEqual(store.get(inference)!.request.input, new Array(64).fill(1));
    const unknownJob = await as(bob, 'GET', `/v1/jobs/${UNKNOWN_ID}`);
    assertSameAsUnknown(await as(bob, 'GET', `/v1/jobs/${inference}`), unknownJob, UNKNOWN_ID, inference);
    assertSameAsUnknown(
      await as(bob, 'GET', `/v1/jobs/${inference}/bundle`),
      await as(bob, 'GET', `/v1/jobs/${UNKNOWN_ID}/bundle`),
      UNKNOWN_ID,
      inference,
    );
  });

  test('bad uploads are 400 with a clear code, and leave nothing behind', async () => {
    const csv = 'a,b,c,d\n1,2,3,4';
    assertError(await as(alice, 'POST', '/v1/models', { onnx: 'not base64!', calibrationCsv: csv }), 400, 'BAD_INPUT');
    assertError(
      await as(alice, 'POST', '/v1/models', { onnx: Buffer.from('garbage bytes').toString('base64'), calibrationCsv: csv }),
      400,
      'BAD_INPUT',
    );
    const { encodeOnnx } = await import('../circuits/model/onnx.ts');
    const lstm = encodeOnnx({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      nodes: [{ name: 'my_lstm', opType: 'LSTM', input: ['x'], output: ['y'] }],
    });
    const unsupported = await as(alice, 'POST', '/v1/models', { onnx: Buffer.from(lstm).toString('base64'), calibrationCsv: csv });
    assertError(unsupported, 400, 'UNSUPPORTED_OP');
    assert.match(unsupported.json().error.message, /LSTM/);
    const mlp = readFileSync(path.join(FIXTURES, 'mlp_digits.onnx')).toString('base64');
    const wrongCsv = await as(alice, 'POST', '/v1/models', { onnx: mlp, calibrationCsv: csv });
    assertError(wrongCsv, 400, 'BAD_INPUT');
    assert.match(wrongCsv.json().error.message, /calibrationCsv/);
    assert.doesNotMatch(wrongCsv.json().error.message, new RegExp(tmp), 'no server paths in the message');
    assert.equal(models.list('alice').length, 1, 'only the good upload became a model');
  });

  test('revoked key: 401 at once; keys made and revoked by `zkai admin` work on the running service', async () => {
    const extra = tenants.createKey('alice');
    assert.equal((await as(extra.key, 'GET', '/v1/jobs')).statusCode, 200);
    assert.equal(tenants.revokeKey(extra.id)?.revokedAt !== undefined, true);
    const revoked = await as(extra.key, 'GET', '/v1/jobs');
    assertError(revoked, 401, 'UNAUTHORIZED');
    assert.equal(revoked.json().error.message, 'invalid or revoked API key');
    assert.equal((await as(alice, 'GET', '/v1/jobs')).statusCode, 200, "alice's other key still works");

    // The admin CLI on the same ZKAI_HOME (so the same SQLite file) as this service.
    const created = runZkai(['admin', 'key', 'create', '--tenant', 'carol'], tmp, tmp);
    assert.equal(created.code, 0, created.stderr);
    const { id, key, tenant } = JSON.parse(created.stdout);
    assert.equal(tenant, 'carol');
    const carol = await as(key, 'GET', '/v1/datasets');
    assert.equal(carol.statusCode, 200, carol.body);
    assert.deepEqual(carol.json(), { datasets: [] }, "carol sees none of alice's datasets");
    const listed = runZkai(['admin', 'key', 'list', '--json'], tmp, tmp);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as { id: string; tenant: string; revokedAt?: string }[];
    assert.ok(keys.some((k) => k.id === id && !k.revokedAt));
    assert.ok(keys.some((k) => k.id === extra.id && k.revokedAt));
    assert.ok(!listed.stdout.includes(key), 'list never shows a key');
    const revokedByCli = runZkai(['admin', 'key', 'revoke', id], tmp, tmp);
    assert.equal(revokedByCli.code, 0, revokedByCli.stderr);
    assertError(await as(key, 'GET', '/v1/datasets'), 401, 'UNAUTHORIZED');
    assert.equal(runZkai(['admin', 'key', 'revoke', 'key_nope'], tmp, tmp).code, 2);
    assert.equal(runZkai(['admin', 'key', 'create', '--tenant', 'Not Valid'], tmp, tmp).code, 2);
  });

  test('rate limits are per tenant', async () => {
    const limited = await makeApp(3);
    const get = (key: string) => limited.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) assert.equal((await get(alice)).statusCode, 200);
    assertError(await get(alice), 429, 'RATE_LIMITED');
    assert.equal((await get(bob)).statusCode, 200, "alice's limit is not bob's");
  });
});
