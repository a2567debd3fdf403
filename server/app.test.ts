import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { commitDataset } from '../circuits/dataset/index.ts';
import { BN254_R } from '../common/bn254.ts';
import { datasetCatalog } from '../jobs/datasets.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { describeEngine } from '../prover/engine.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import type { AuthOptions } from './auth.ts';

/** These tests are about the API itself, not keys (server/tenancy.test.ts is): auth off, explicitly. */
const AUTH_OFF: AuthOptions = { mode: 'off' };
// A depth-4 membership circuit keeps compile, setup and proving to a second or two.
const DEPTH = 4;

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = [
  { id: 'img-001', contributor: addr(0xa1), contentHash: hash(1), weight: 3 },
  { id: 'img-002', contributor: addr(0xb2), contentHash: hash(2), weight: '5' },
  { id: 'img-003', contributor: addr(0xc3), contentHash: hash(3), weight: 7 },
];
const CSV = ['id,contributor,content_hash,weight', ...RECORDS.map((r) => `${r.id},${r.contributor},${r.contentHash},${r.weight}`)].join(
  '\n',
);

/** Every error answer has exactly this shape, and the code is the contract. */
function assertError(res: LightMyRequestResponse, status: number, code: string, messageIncludes?: string): void {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!/\n\s+at /.test(body.error.message), 'no stack trace in the message');
  if (messageIncludes)
    assert.ok(
      body.error.message.includes(messageIncludes),
      `message ${JSON.stringify(body.error.message)} should mention ${messageIncludes}`,
    );
}

describe('HTTP API', () => {
  let tmp: string;
  let datasetsDir: string;
  let membership: MembershipCircuit;
  let store: JobStore;
  let pool: ProverPool;
  let runner: JobRunner;
  let app: FastifyInstance;
  let root: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-server-test-'));
    datasetsDir = path.join(tmp, 'datasets');
    membership = await prepareMembershipCircuit(DEPTH);
    store = new JobStore(':memory:');
    pool = new ProverPool({ threads: 1 });
    runner = new JobRunner(store, { membership: membershipJobHandler({ pool, membership, datasetsDir }) }, { pollMs: 50 });
    runner.start();
    app = await buildApp({ store, runner, membership, datasetsDir, auth: AUTH_OFF });
  });

  after(async () => {
    await app?.close();
    await runner?.stop();
    await pool?.close();
    store?.close();
    await rm(tmp, { recursive: true, force: true });
    // snarkjs's shared curve keeps worker threads alive (used by setup and /v1/verify here).
    await releaseVerifierResources();
  });

  test('GET /health', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.equal(body.engine, (await describeEngine()).name);
    assert.equal(body.circuits.membership.id, membership.circuit.id);
    assert.equal(body.circuits.membership.depth, DEPTH);
    assert.equal(typeof body.circuits.membership.insecureSetup, 'boolean');
    assert.deepEqual(Object.keys(body.jobs).sort(), ['cancelled', 'failed', 'queued', 'running', 'succeeded']);
    assert.deepEqual(body.queue, { backend: 'embedded', reachable: true, persistent: true });
    assert.equal(body.chain, false);
  });

  test('the OpenAPI document lists every route, from the route schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    assert.deepEqual(routes, [
      'GET /health',
      'GET /v1/chain',
      'GET /v1/circuits/{circuitId}/keys',
      'GET /v1/datasets',
      'GET /v1/datasets/{root}',
      'GET /v1/economy/models/{modelId}',
      'GET /v1/economy/requests/{requestId}',
      'GET /v1/economy/royalties/{address}',
      'GET /v1/jobs',
      'GET /v1/jobs/{id}',
      'GET /v1/jobs/{id}/bundle',
      'GET /v1/jobs/{id}/events',
      'GET /v1/models',
      'GET /v1/models/{id}',
      'GET /v1/worker/circuits/{circuitId}',
      'GET /v1/worker/circuits/{circuitId}/files/{file}',
      'GET /v1/worker/datasets/{root}',
      'GET /v1/worker/datasets/{root}/records',
      'GET /v1/worker/models/{modelId}',
      'GET /v1/worker/models/{modelId}/files/{file}',
      'GET /v1/worker/models/{modelId}/manifest',
      'GET /v1/worker/models/{modelId}/zkeys/{sha256}',
      'GET /v1/worker/zkeys/{sha256}',
      'POST /v1/datasets',
      'POST /v1/datasets/{root}/proofs',
      'POST /v1/jobs/{id}/cancel',
      'POST /v1/models',
      'POST /v1/models/{id}/prove',
      'POST /v1/verify',
    ]);
    // Keys everywhere but the public routes, which say so with an empty security list, and the workers' routes: their token.
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKeyHeader', 'bearerAuth', 'workerToken']);
    for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>))
      if (p.startsWith('/v1/worker/')) assert.deepEqual(methods.get?.security, [{ workerToken: [] }], p);
    // Without ZKAI_WORKER_TOKEN they refuse everyone, whatever bearer token is sent.
    const noToken = await app.inject({
      method: 'GET',
      url: `/v1/worker/zkeys/${'0'.repeat(64)}`,
      headers: { authorization: `Bearer ${'x'.repeat(40)}` },
    });
    assert.equal(noToken.statusCode, 401);
    assert.match(noToken.json().error.message, /no ZKAI_WORKER_TOKEN/);
    assert.deepEqual(doc.security, [{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    for (const [p, m] of [
      ['/health', 'get'],
      ['/v1/verify', 'post'],
      ['/v1/chain', 'get'],
      ['/v1/circuits/{circuitId}/keys', 'get'],
      ['/v1/economy/models/{modelId}', 'get'],
      ['/v1/economy/royalties/{address}', 'get'],
      ['/v1/economy/requests/{requestId}', 'get'],
    ] as const) {
      assert.deepEqual(doc.paths[p][m].security, [], `${m.toUpperCase()} ${p} is public`);
    }
    // The verdict documents the key it checked, whether it is pinned, and every check (commitment included).
    const verdict = doc.paths['/v1/verify'].post.responses['200'].content['application/json'].schema;
    assert.deepEqual(verdict.required, ['valid', 'pinned', 'vkeyHash', 'checks']);
    assert.ok(verdict.properties.checks.properties.commitment, 'checks.commitment is in the response schema');
    assert.ok(verdict.properties.reasonCode.enum.includes('KEY_NOT_PINNED'));
    assert.equal(doc.paths['/v1/jobs/{id}'].get.security, undefined, 'private routes use the global security');
    assert.ok(doc.paths['/v1/jobs/{id}'].get.responses['401'], 'private routes document 401');
    for (const name of ['Error', 'DatasetSummary', 'DatasetManifest', 'Job', 'JobLinks', 'ProofBundle', 'Model']) {
      assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
    }
    const commit = doc.paths['/v1/datasets'].post;
    assert.equal(commit.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.ok(commit.responses['201'] && commit.responses['400']);
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(String(ui.headers['content-type']), /text\/html/);
  });

  test('commit a dataset from records, again (same root), read its manifest', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS } });
    assert.equal(res.statusCode, 201, res.body);
    const summary = res.json();
    assert.deepEqual(Object.keys(summary).sort(), ['createdAt', 'depth', 'leafCount', 'root', 'rootHex', 'totalWeight']);
    assert.match(summary.rootHex, /^0x[0-9a-f]{64}$/);
    assert.equal(BigInt(summary.rootHex), BigInt(summary.root));
    assert.equal(summary.depth, DEPTH);
    assert.equal(summary.leafCount, 3);
    assert.equal(summary.totalWeight, '15');
    assert.equal(res.headers.location, `/v1/datasets/${summary.rootHex}`);
    root = summary.rootHex;

    const again = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS, depth: DEPTH } });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), summary);

    const manifest = await app.inject({ method: 'GET', url: `/v1/datasets/${root.toUpperCase().replace('0X', '0x')}` });
    assert.equal(manifest.statusCode, 200, manifest.body);
    const m = manifest.json();
    assert.equal(m.format, 'zkai-dataset');
    assert.equal(m.rootHex, root);
    assert.equal(m.leafCount, 3);
    assert.equal(typeof m.schema.hash, 'string');
  });

  test('commit from CSV (same records, same root) and from JSONL', async () => {
    const csv = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { csv: CSV } });
    assert.ok(csv.statusCode === 200 || csv.statusCode === 201, csv.body);
    assert.equal(csv.json().rootHex, root, 'the same records give the same root whatever the format');

    const jsonl = RECORDS.slice(0, 2)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { jsonl } });
    assert.equal(res.statusCode, 201, res.body);
    assert.notEqual(res.json().rootHex, root);
    assert.equal(res.json().leafCount, 2);
  });

  test('a CSV whose columns are named otherwise commits with a column mapping (text or object), to the same root', async () => {
    const theirs = CSV.replace('id,contributor,content_hash,weight', 'record_id,wallet,content_sha256,weight');
    const post = (payload: object) => app.inject({ method: 'POST', url: '/v1/datasets', payload });
    assertError(await post({ csv: theirs }), 400, 'BAD_DATASET', 'no column for contributor, content_hash');
    for (const columns of ['contributor=wallet,content_hash=content_sha256', { contributor: 'wallet', content_hash: 'content_sha256' }]) {
      const res = await post({ csv: theirs, columns });
      assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
      assert.equal(res.json().rootHex, root);
      assert.deepEqual(Object.keys(res.json()).slice(0, 2), ['rootHex', 'root'], 'rootHex, the form every route takes, comes first');
    }
    assertError(await post({ csv: theirs, columns: 'colour=wallet' }), 400, 'BAD_INPUT', 'unknown field');
    assertError(await post({ csv: theirs, columns: { colour: 'wallet' } }), 400, 'BAD_INPUT');
    assertError(await post({ records: RECORDS, columns: 'id=x' }), 400, 'BAD_INPUT', 'records already use the field names');
  });

  test('bad dataset commits are 400 with stable codes', async () => {
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/datasets', payload: payload as object });
    const rec = RECORDS[0]!;
    assertError(await post({ records: [{ ...rec, weight: true }] }), 400, 'BAD_INPUT', 'weight');
    assertError(await post({ records: [{ id: 'x', contentHash: hash(1), weight: 1 }] }), 400, 'BAD_INPUT', 'contributor');
    assertError(await post({ records: [{ ...rec, contributor: '0x1234' }] }), 400, 'BAD_INPUT', 'contributor');
    assertError(await post({ records: [{ ...rec, extra: 1 }] }), 400, 'BAD_INPUT', 'additional');
    assertError(await post({ records: [] }), 400, 'BAD_INPUT');
    assertError(await post({ records: RECORDS, depth: '4' }), 400, 'BAD_INPUT', 'depth');
    assertError(await post({ records: RECORDS, depth: 40 }), 400, 'BAD_INPUT', 'depth');
    assertError(await post({ records: RECORDS, depth: DEPTH + 1 }), 400, 'BAD_INPUT', `depth ${DEPTH}`);
    assertError(await post({ records: RECORDS, csv: CSV }), 400, 'BAD_INPUT', 'exactly one');
    assertError(await post({}), 400, 'BAD_INPUT', 'exactly one');
    assertError(await post({ records: RECORDS, extra: true }), 400, 'BAD_INPUT', 'additional');
    assertError(await post({ records: [rec, { ...rec, contentHash: hash(9) }] }), 400, 'BAD_DATASET', 'duplicate');
    assertError(await post({ records: [{ ...rec, weight: '0' }] }), 400, 'BAD_DATASET', 'weight');
    assertError(await post({ csv: 'a,b\n1,2' }), 400, 'BAD_DATASET', 'header');
    assertError(
      await post({ records: Array.from({ length: 2 ** DEPTH + 1 }, (_, i) => ({ ...rec, id: `r${i}` })) }),
      400,
      'BAD_DATASET',
      'fit',
    );
    assertError(await post([1, 2]), 400, 'BAD_INPUT');
  });

  test('malformed requests: JSON, media type, unknown route, bad parameters', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'application/json' },
      payload: '{"records": [',
    });
    assertError(malformed, 400, 'BAD_INPUT', 'JSON');
    const empty = await app.inject({ method: 'POST', url: '/v1/datasets', headers: { 'content-type': 'application/json' }, payload: '' });
    assertError(empty, 400, 'BAD_INPUT');
    const text = await app.inject({ method: 'POST', url: '/v1/datasets', headers: { 'content-type': 'text/plain' }, payload: CSV });
    assertError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertError(await app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'NOT_FOUND');
    assertError(await app.inject({ method: 'DELETE', url: '/health' }), 404, 'NOT_FOUND');
    assertError(await app.inject({ method: 'GET', url: '/v1/datasets/0x1234' }), 400, 'BAD_INPUT', 'root');
    assertError(await app.inject({ method: 'GET', url: `/v1/datasets/${hash(0xdead)}` }), 404, 'UNKNOWN_DATASET');
    assertError(await app.inject({ method: 'GET', url: '/v1/jobs/not-a-uuid' }), 400, 'BAD_INPUT', 'id');
    assertError(await app.inject({ method: 'GET', url: '/v1/jobs/00000000-0000-4000-8000-000000000000' }), 404, 'UNKNOWN_JOB');
    assertError(await app.inject({ method: 'GET', url: '/v1/jobs/00000000-0000-4000-8000-000000000000/bundle' }), 404, 'UNKNOWN_JOB');
    assertError(await app.inject({ method: 'GET', url: '/v1/chain' }), 404, 'NOT_FOUND', 'chain');
    assertError(await app.inject({ method: 'POST', url: '/v1/verify', payload: { hello: 'world' } }), 400, 'BAD_BUNDLE');
    assertError(await app.inject({ method: 'POST', url: '/v1/verify', payload: [] }), 400, 'BAD_BUNDLE');
  });

  test('bad proof requests: unknown dataset or record, bad epoch, extra fields', async () => {
    const ask = (r: string, payload: unknown) =>
      app.inject({ method: 'POST', url: `/v1/datasets/${r}/proofs`, payload: payload as object });
    assertError(await ask(hash(0xdead), { recordId: 'img-001', epoch: 1 }), 404, 'UNKNOWN_DATASET');
    assertError(await ask(root, { recordId: 'nope', epoch: 1 }), 404, 'UNKNOWN_RECORD', 'nope');
    assertError(await ask(root, { recordId: 'img-001', epoch: -1 }), 400, 'BAD_INPUT', 'epoch');
    assertError(await ask(root, { recordId: 'img-001', epoch: 1.5 }), 400, 'BAD_INPUT', 'epoch');
    assertError(await ask(root, { recordId: 'img-001', epoch: 'soon' }), 400, 'BAD_INPUT', 'epoch');
    assertError(await ask(root, { recordId: 'img-001', epoch: BN254_R.toString() }), 400, 'BAD_INPUT', 'epoch');
    assertError(await ask(root, { recordId: 'img-001' }), 400, 'BAD_INPUT', 'epoch');
    assertError(await ask(root, { recordId: 'img-001', epoch: 1, to: addr(1) }), 400, 'BAD_INPUT', 'additional');
    assertError(await ask('0xabc', { recordId: 'img-001', epoch: 1 }), 400, 'BAD_INPUT', 'root');
    assert.equal(
      store.counts().queued + store.counts().running + store.counts().succeeded + store.counts().failed,
      0,
      'no job was created',
    );
  });

  test('prove membership through a job, fetch the bundle, verify it, reject a tampered one', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/datasets/${root}/proofs`, payload: { recordId: 'img-002', epoch: '7' } });
    assert.equal(res.statusCode, 202, res.body);
    const accepted = res.json();
    assert.match(accepted.jobId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(accepted.links, { job: `/v1/jobs/${accepted.jobId}`, bundle: `/v1/jobs/${accepted.jobId}/bundle` });
    assert.equal(res.headers.location, accepted.links.job);

    let job: Record<string, unknown> = {};
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      job = (await app.inject({ method: 'GET', url: accepted.links.job })).json();
      if (job.state === 'succeeded' || job.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.kind, 'membership');
    assert.equal(job.id, accepted.jobId);
    assert.deepEqual(job.request, { root, recordId: 'img-002', epoch: '7' });
    // A royalty-epoch label (RoyaltyVault.royaltyEpochLabel: a hash, a field element far above 2^64) is an epoch too.
    const label = (BN254_R - 12345n).toString();
    const labelled = await app.inject({
      method: 'POST',
      url: `/v1/datasets/${root}/proofs`,
      payload: { recordId: 'img-002', epoch: label },
    });
    assert.equal(labelled.statusCode, 202, labelled.body);
    let labelledJob: Record<string, unknown> = {};
    for (let i = 0; i < 600; i++) {
      labelledJob = (await app.inject({ method: 'GET', url: labelled.json().links.job })).json();
      if (labelledJob.state === 'succeeded' || labelledJob.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(labelledJob.state, 'succeeded', JSON.stringify(labelledJob));
    const labelledBundle = (await app.inject({ method: 'GET', url: labelled.json().links.bundle })).json();
    assert.equal(labelledBundle.publicSignals[4], label, 'the proof is for that epoch');

    const bundleRes = await app.inject({ method: 'GET', url: accepted.links.bundle });
    assert.equal(bundleRes.statusCode, 200, bundleRes.body);
    assert.match(String(bundleRes.headers['content-type']), /^application\/json/);
    const bundle = bundleRes.json();
    // A service on the development setup labels every bundle it makes INSECURE (issue 13 item 7).
    assert.equal(membership.setup.insecure, true, 'this test runs the service on its development setup');
    assert.equal(bundle.metadata.insecureSetup, true);
    assert.match(bundle.metadata.setup, /INSECURE/);
    assert.equal(bundle.circuitId, membership.circuit.id);
    assert.equal(BigInt(bundle.publicSignals[0]), BigInt(root), 'public signal 0 is the dataset root');
    assert.equal(BigInt(bundle.publicSignals[2]), BigInt(RECORDS[1]!.contributor), 'public signal 2 is the contributor');
    assert.equal(bundle.publicSignals[3], '5');
    assert.equal(bundle.publicSignals[4], '7');
    // Once a proof has finished, /health names the engine the workers actually used.
    const health = (await app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.engine, bundle.metadata.engine);

    const verified = await app.inject({ method: 'POST', url: '/v1/verify', payload: bundle });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json().valid, true, verified.body);
    // Checked against the service's own key for its circuit, named in the answer.
    assert.equal(verified.json().pinned, true);
    assert.equal(verified.json().vkeyHash, membership.setup.vkeyHash);

    // Redirect the royalty to someone else: the proof no longer verifies.
    const tampered = structuredClone(bundle);
    tampered.publicSignals[2] = BigInt(addr(0xbad)).toString();
    if (tampered.public?.contributor) tampered.public.contributor = addr(0xbad);
    const rejected = await app.inject({ method: 'POST', url: '/v1/verify', payload: tampered });
    assert.equal(rejected.statusCode, 200, rejected.body);
    assert.equal(rejected.json().valid, false, rejected.body);
    assert.equal(typeof rejected.json().reason, 'string');
    assert.equal(rejected.json().reasonCode, 'PROOF_INVALID');
  });
});

describe('job states without a runner', () => {
  let tmp: string;
  let store: JobStore;
  let app: FastifyInstance;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-server-test-'));
    store = new JobStore(':memory:');
    const membership = await prepareMembershipCircuit(DEPTH);
    const datasetsDir = path.join(tmp, 'datasets');
    // Every commit here goes through the child process that large datasets use.
    datasetCatalog(datasetsDir, { inlineCommitMax: 0 });
    // A runner that never runs anything: jobs stay queued, so the not-finished answers can be seen.
    app = await buildApp({
      auth: AUTH_OFF,
      store,
      runner: { pump() {} },
      membership,
      datasetsDir,
      bodyLimit: 4096,
      chain: { url: 'http://127.0.0.1:8545', chainId: 31337, contracts: { RoyaltyVault: addr(0x1234) }, kind: 'dev', ephemeral: true },
    });
  });

  after(async () => {
    await app?.close();
    store?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('409 while queued or running, 422 with the job error code when failed', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS } });
    assert.equal(res.statusCode, 201, res.body);
    const accepted = await app.inject({
      method: 'POST',
      url: `/v1/datasets/${res.json().rootHex}/proofs`,
      payload: { recordId: 'img-001', epoch: 1 },
    });
    assert.equal(accepted.statusCode, 202, accepted.body);
    const { jobId, state, links } = accepted.json();
    assert.equal(state, 'queued');
    assertError(await app.inject({ method: 'GET', url: links.bundle }), 409, 'JOB_NOT_FINISHED', 'queued');

    const claimed = store.claimNext()!;
    assert.equal(claimed.id, jobId);
    assertError(await app.inject({ method: 'GET', url: links.bundle }), 409, 'JOB_NOT_FINISHED', 'running');

    store.fail(jobId, { code: 'WITNESS_FAILED', message: 'the statement is false' });
    assertError(await app.inject({ method: 'GET', url: links.bundle }), 422, 'WITNESS_FAILED', 'the statement is false');
    const job = (await app.inject({ method: 'GET', url: links.job })).json();
    assert.equal(job.state, 'failed');
    assert.deepEqual(job.error, { code: 'WITNESS_FAILED', message: 'the statement is false' });
    assert.equal(job.attempts, 1);

    const health = (await app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(health.jobs.failed, 1);
    assert.equal(health.chain, true);
  });

  test('a body over the limit is 413 BODY_TOO_LARGE', async () => {
    const big = { records: Array.from({ length: 40 }, (_, i) => ({ ...RECORDS[0]!, id: `r${i}` })) };
    assertError(await app.inject({ method: 'POST', url: '/v1/datasets', payload: big }), 413, 'BODY_TOO_LARGE', '4096');
  });

  test('commits in a child process give the same root, and its errors keep their code', async () => {
    const inline = await commitDataset(
      RECORDS.map((r) => ({ ...r, weight: BigInt(r.weight) })),
      path.join(tmp, 'inline', 'dataset.json'),
      { depth: DEPTH },
    );
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', payload: { csv: CSV } });
    assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
    assert.equal(res.json().rootHex, inline.manifest.rootHex);
    const tooMany = Array.from({ length: 2 ** DEPTH + 1 }, (_, i) => `r${i},${addr(1)},${hash(i)},1`);
    const over = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: { csv: ['id,contributor,content_hash,weight', ...tooMany].join('\n') },
    });
    assertError(over, 400, 'BAD_DATASET', 'fit');
  });

  test('GET /v1/chain answers the deployment', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/chain' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      url: 'http://127.0.0.1:8545',
      chainId: 31337,
      contracts: { RoyaltyVault: addr(0x1234) },
      kind: 'dev',
      ephemeral: true,
    });
  });
});
