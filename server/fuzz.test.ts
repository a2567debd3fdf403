/**
 * Bad input, at scale: fast-check sends well over a thousand malformed requests across every route (random
 * methods, paths and ids, malformed JSON, wrong types, huge numbers, wrong content types, oversized bodies,
 * bad auth headers) to an in-process app with API keys on and no proving (the runner is idle). Every answer
 * must be a 4xx `{ error: { code, message } }` with a known code and the status that code maps to (or,
 * when the random request happens to be valid, a 2xx), never a 5xx; afterwards the app still answers
 * /health and its heap has not grown beyond a generous bound. The seed is fixed: a failure reproduces.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { JobStore } from '../jobs/jobs.ts';
import { ModelCatalog } from '../jobs/models.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';
import { httpStatusFor } from './errors.ts';

const DEPTH = 4;
const RUNS = 1500;
const SEED = Number(process.env.ZKAI_FUZZ_SEED ?? 20261124);
const BODY_LIMIT = 64 * 1024;
const MAX_MODEL_BYTES = 16 * 1024;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = [
  { id: 'r-1', contributor: addr(1), contentHash: hash(1), weight: 1 },
  { id: 'r-2', contributor: addr(2), contentHash: hash(2), weight: 2 },
];

/** Every code a client may see (4xx). A code outside this list, or a 5xx, fails the test. */
const CLIENT_CODES = new Set([
  'BAD_INPUT',
  'BAD_DATASET',
  'BAD_BUNDLE',
  'UNSUPPORTED_OP',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'UNKNOWN_RECORD',
  'UNKNOWN_DATASET',
  'UNKNOWN_JOB',
  'UNKNOWN_MODEL',
  'JOB_NOT_FINISHED',
  'JOB_FINISHED',
  'MODEL_NOT_READY',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'WITNESS_FAILED',
  'QUEUE_FULL',
  'RATE_LIMITED',
]);

/**
 * Collect garbage, if it can be forced (`--expose-gc`, turned on at run time; without it the heap check is
 * looser). A pause first: injected responses finish on timers and immediates, and hold their buffers until then.
 */
async function collectGarbage(): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    gc();
    return true;
  } catch {
    return false;
  }
}

describe('fuzz: malformed requests on every route', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  let store: JobStore;
  let tenants: TenantStore;
  let models: ModelCatalog;
  let app: FastifyInstance;
  let key: string;
  let root: string;
  const ids: { succeeded: string; failed: string; modelJob: string; model: string } = {
    succeeded: '',
    failed: '',
    modelJob: '',
    model: '',
  };

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-fuzz-'));
    membership = await prepareMembershipCircuit(DEPTH);
    store = new JobStore(':memory:');
    tenants = new TenantStore(':memory:');
    models = new ModelCatalog(path.join(tmp, 'models'), ':memory:');
    key = tenants.createKey('fuzzer').key;
    app = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
      bodyLimit: BODY_LIMIT,
      maxModelBytes: MAX_MODEL_BYTES,
      rateLimit: 1_000_000,
      maxQueue: 1_000_000,
    });
    // Known ids for the fuzzer to hit, all in final states (an event stream of an unfinished job never ends).
    const auth = { authorization: `Bearer ${key}` };
    root = (await app.inject({ method: 'POST', url: '/v1/datasets', headers: auth, payload: { records: RECORDS } })).json().rootHex;
    const ask = async () =>
      (
        await app.inject({ method: 'POST', url: `/v1/datasets/${root}/proofs`, headers: auth, payload: { recordId: 'r-1', epoch: 1 } })
      ).json().jobId as string;
    ids.succeeded = await ask();
    store.claimNext();
    store.succeed(ids.succeeded, { format: 'zkai-proof-bundle', stand: 'in' });
    ids.failed = await ask();
    store.claimNext();
    store.fail(ids.failed, { code: 'WITNESS_FAILED', message: 'the statement is false' });
    ids.modelJob = store.enqueue('model-compile', { modelId: 'x' }, 'fuzzer').id;
    store.claimNext();
    store.fail(ids.modelJob, { code: 'BAD_INPUT', message: 'no' });
    ids.model = '11111111-2222-4333-8444-555555555555';
    models.add({ id: ids.model, tenant: 'fuzzer', name: 'm', compileJobId: ids.modelJob, createdAt: new Date().toISOString() });
  });

  after(async () => {
    await app?.close();
    store?.close();
    tenants?.close();
    models?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** Ids to put in paths: known ones, random UUIDs, and things that are not ids at all. */
  const idArb = () =>
    fc.oneof(
      fc.constantFrom(ids.succeeded, ids.failed, ids.modelJob, ids.model, root, ids.succeeded.toUpperCase(), root.toUpperCase()),
      fc.uuid(),
      fc.constantFrom(
        '0x',
        `0X${'0'.repeat(64)}`,
        '..%2F..%2Fetc%2Fpasswd',
        '%00',
        '%zz',
        '-1',
        '1e999',
        'null',
        '[]',
        '{}',
        '%F0%9F%92%A9',
      ),
      fc.string({ maxLength: 80 }).map(encodeURIComponent),
      fc.stringMatching(/^0x[0-9a-f]{0,70}$/),
      fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map(String),
      fc.constant('x'.repeat(300)),
    );

  const pathArb = () =>
    fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...ROUTE_TEMPLATES), idArb()).map(([t, id]) => t.replace(':id', id)) },
      { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `/${encodeURIComponent(s)}`) },
    );

  const queryArb = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('limit', 'state', 'x', 'limit[]', '__proto__'),
          fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)),
        )
        .map(([k, v]) => `?${k}=${encodeURIComponent(v)}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?limit=0', '?limit=1001', '?limit=99999', '?state=running&state=queued', '?limit=1e3', '?%zz'),
    },
  );

  /** Values of the wrong type and out of range, for the fields the routes know. */
  const weirdValue = fc.oneof(
    fc.constantFrom(null, true, false, '', -1, 0, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, '1e400', [], {}, [[[]]]),
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: 0n, max: 2n ** 256n }).map(String),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const recordArb = fc.record(
    {
      id: weirdValue,
      contributor: fc.oneof(fc.constant(addr(7)), weirdValue),
      contentHash: fc.oneof(fc.constant(hash(7)), weirdValue),
      weight: weirdValue,
    },
    { requiredKeys: [] },
  );
  const knownShapes = fc.oneof(
    fc.record({ records: fc.oneof(fc.array(recordArb, { maxLength: 4 }), weirdValue) }, { requiredKeys: [] }),
    fc.record({ csv: weirdValue, jsonl: weirdValue, depth: weirdValue }, { requiredKeys: [] }),
    fc.record({ recordId: fc.oneof(fc.constant('r-1'), weirdValue), epoch: weirdValue }, { requiredKeys: [] }),
    fc.record({ input: fc.oneof(fc.array(fc.oneof(fc.double(), weirdValue), { maxLength: 70 }), weirdValue) }, { requiredKeys: [] }),
    fc.record(
      {
        name: weirdValue,
        onnx: fc.oneof(fc.base64String({ maxLength: 200 }), weirdValue),
        calibrationCsv: weirdValue,
        weights: weirdValue,
      },
      { requiredKeys: [] },
    ),
    fc.record(
      {
        format: fc.constantFrom('zkai-proof-bundle', 'x'),
        version: weirdValue,
        kind: weirdValue,
        publicSignals: weirdValue,
        proof: weirdValue,
      },
      { requiredKeys: [] },
    ),
  );
  /** Raw bodies: JSON of the known shapes, any JSON, broken JSON, huge numbers, deep nesting, oversized. */
  const bodyArb = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: knownShapes.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.json().map((s) => s.slice(0, Math.max(1, Math.floor(s.length / 2)))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"recordId": "r-1", "epoch": 1e400}',
        `{"records": [{"id": 1e308, "contributor": "${addr(1)}", "contentHash": "${hash(1)}", "weight": 123456789012345678901234567890}]}`,
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2001)}`,
        '{"__proto__": {"admin": true}, "records": []}',
        '{"constructor": {"prototype": {"x": 1}}}',
        '\u0000\u0001\u0002',
        '',
        'null',
        '"just a string"',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 3 }).map((n) => `{"csv": "${'a'.repeat(n)}"}`) },
  );

  const contentTypeArb = fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'application/octet-stream',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    ';;;',
    undefined,
  );

  const authArb = (): fc.Arbitrary<Record<string, string>> =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant({ authorization: `Bearer ${key}` }) },
      { weight: 1, arbitrary: fc.constant({ 'x-api-key': key }) },
      { weight: 1, arbitrary: fc.constant({}) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(
            fc.constantFrom(
              'Bearer',
              'Bearer ',
              `Bearer ${key}x`,
              `Basic ${key}`,
              `bearer\t${key}`,
              `Bearer zkai_${'A'.repeat(43)}`,
              `Bearer ${'z'.repeat(10_000)}`,
            ),
            fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
          )
          .map((v) => ({ authorization: v.replace(/[\r\n]/g, '') })),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ 'x-api-key': s.replace(/[\r\n]/g, '') })) },
    );

  test(`${RUNS} malformed requests: never a 5xx, always the error envelope with a known code`, async () => {
    const statuses = new Map<number, number>();
    let sent = 0;

    const requestArb = fc.record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      path: pathArb(),
      query: queryArb,
      body: bodyArb,
      contentType: contentTypeArb,
      auth: authArb(),
    });

    const property = fc.asyncProperty(requestArb, async (r) => {
      const headers: Record<string, string> = { ...r.auth };
      if (r.contentType) headers['content-type'] = r.contentType;
      const opts: InjectOptions = { method: r.method as InjectOptions['method'], url: `${r.path}${r.query}`, headers };
      if (r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD') opts.payload = r.body;
      const res: LightMyRequestResponse = await app.inject(opts);
      sent++;
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const where = `${r.method} ${opts.url} (${r.contentType ?? 'no content-type'}) → ${res.statusCode} ${res.body.slice(0, 300)}`;
      assert.ok(res.statusCode < 500, `server error: ${where}`);
      if (res.statusCode < 400 || r.method === 'HEAD') return; // a valid request by chance; HEAD has no body
      assert.match(String(res.headers['content-type']), /^application\/json/, where);
      const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
      assert.deepEqual(Object.keys(body), ['error'], where);
      assert.deepEqual(Object.keys(body.error!).sort(), ['code', 'message'], where);
      assert.equal(typeof body.error!.message, 'string', where);
      const code = body.error!.code as string;
      assert.ok(CLIENT_CODES.has(code), `unknown code ${code}: ${where}`);
      // The status is the one the code maps to (the 422 of a failed job's bundle carries the job's code).
      if (res.statusCode !== 422) assert.equal(res.statusCode, httpStatusFor(code), where);
    });
    // Warm up first (code, caches, fast-check's own lazily built arbitraries), so the heap comparison below
    // measures what the requests leave behind, not what the first ones build once.
    await fc.assert(property, { numRuns: 200, seed: SEED + 1 });
    await collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(property, { numRuns: RUNS, seed: SEED, verbose: 1 });

    assert.ok(sent >= 1000, `sent ${sent}`);
    const clientErrors = [...statuses].filter(([s]) => s >= 400 && s < 500).reduce((a, [, n]) => a + n, 0);
    assert.ok(clientErrors / sent > 0.8, `mostly malformed: ${JSON.stringify(Object.fromEntries(statuses))}`);
    process.stderr.write(`fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);

    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200, 'still up');
    assert.equal(health.json().status, 'ok');

    const collected = await collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    process.stderr.write(`fuzz: heap grew ${grownMb.toFixed(1)} MiB (gc ${collected ? 'forced' : 'not available'})\n`);
    // Generous: code warm-up and caches grow a little; a leak of the 25-odd oversized bodies alone would be ~5 MiB,
    // of every request's buffers ~15 MiB, and it would grow with RUNS.
    assert.ok(grownMb < (collected ? 32 : 256), `heap grew by ${grownMb.toFixed(1)} MiB`);
  });
});

/** Every route, with `:id` where an id (job, model or dataset root) goes. */
const ROUTE_TEMPLATES = [
  '/health',
  '/metrics',
  '/docs/json',
  '/v1/chain',
  '/v1/verify',
  '/v1/jobs',
  '/v1/jobs/:id',
  '/v1/jobs/:id/bundle',
  '/v1/jobs/:id/events',
  '/v1/jobs/:id/cancel',
  '/v1/datasets',
  '/v1/datasets/:id',
  '/v1/datasets/:id/proofs',
  '/v1/models',
  '/v1/models/:id',
  '/v1/models/:id/prove',
];
