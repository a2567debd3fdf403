import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveHome } from '../common/config.ts';
import type { JobQueueApi } from '../jobs/queue/types.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { configFromEnv, DEFAULT_CONFIG } from './config.ts';
import { startService } from './main.ts';
import { startBlobCollection, startRetentionSweep } from './service.ts';

test('configFromEnv: documented defaults, and clear errors for bad values', () => {
  const config = configFromEnv({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  // The data directory: from the repository root the project's .zkai (the tests' own cache), never a new one.
  assert.equal(config.home, resolveHome({}).path);
  assert.equal(config.treeDepth, 20);
  assert.equal(config.poolSize, 1);
  assert.equal(config.chain, 'dev');
  assert.equal(config.chainPort, 8545);
  assert.equal(config.bodyLimit, 50 * 1024 * 1024);
  assert.deepEqual({ ...config, home: DEFAULT_CONFIG.home }, DEFAULT_CONFIG);

  const custom = configFromEnv({ ZKAI_PORT: '0', ZKAI_CHAIN: 'off', ZKAI_TREE_DEPTH: '8', ZKAI_HOME: '/tmp/x', ZKAI_WARMUP: 'no' });
  assert.equal(custom.port, 0);
  assert.equal(custom.chain, 'off');
  assert.equal(custom.treeDepth, 8);
  assert.equal(custom.home, '/tmp/x');
  assert.equal(custom.warmup, false);

  assert.throws(() => configFromEnv({ ZKAI_PORT: 'eighty' }), /ZKAI_PORT must be an integer/);
  assert.throws(() => configFromEnv({ ZKAI_TREE_DEPTH: '33' }), /ZKAI_TREE_DEPTH must be an integer 1\.\.32/);
  assert.throws(
    () => configFromEnv({ ZKAI_CHAIN: 'mainnet' }),
    /ZKAI_CHAIN must be 'dev', 'dev-persistent', 'off' or an http\(s\) JSON-RPC URL/,
  );
  const rpc = configFromEnv({ ZKAI_CHAIN: 'https://rpc.invalid:8545', ZKAI_CHAIN_DEPLOYMENT: 'deploy.json' });
  assert.deepEqual([rpc.chain, rpc.chainRpc, rpc.chainDeployment], ['rpc', 'https://rpc.invalid:8545', path.resolve('deploy.json')]);
  assert.throws(() => configFromEnv({ ZKAI_WARMUP: 'maybe' }), /ZKAI_WARMUP/);
  assert.deepEqual(config.db, { kind: 'sqlite' });
  assert.deepEqual(configFromEnv({ ZKAI_DB: 'postgres://zkai@db:5432/zkai' }).db, {
    kind: 'postgres',
    url: 'postgres://zkai@db:5432/zkai',
  });
  assert.throws(() => configFromEnv({ ZKAI_DB: 'mysql://db/zkai' }), /ZKAI_DB must be empty/);
  assert.equal(config.queueReconcileMs, 5000);

  assert.equal(config.maxQueue, 1000);
  assert.equal(config.jobTimeoutMs, 300_000);
  assert.equal(config.rateLimit, 600);
  const limits = configFromEnv({ ZKAI_MAX_QUEUE: '5', ZKAI_JOB_TIMEOUT_MS: '0', ZKAI_RATE_LIMIT: '10' });
  assert.deepEqual([limits.maxQueue, limits.jobTimeoutMs, limits.rateLimit], [5, 0, 10]);
  assert.throws(() => configFromEnv({ ZKAI_MAX_QUEUE: '0' }), /ZKAI_MAX_QUEUE must be an integer/);
  assert.throws(() => configFromEnv({ ZKAI_RATE_LIMIT: 'lots' }), /ZKAI_RATE_LIMIT must be an integer/);

  assert.equal(config.auth, 'keys', 'API keys are on unless switched off');
  assert.equal(configFromEnv({ ZKAI_AUTH: 'off' }).auth, 'off');
  assert.throws(() => configFromEnv({ ZKAI_AUTH: 'maybe' }), /ZKAI_AUTH must be 'keys'/);
  assert.equal(config.maxModelBytes, 8 * 1024 * 1024);
  assert.equal(configFromEnv({ ZKAI_MAX_MODEL_BYTES: '4096' }).maxModelBytes, 4096);
  assert.equal(config.compileTimeoutMs, 3_600_000, 'model compiles get an hour');
  assert.equal(configFromEnv({ ZKAI_COMPILE_TIMEOUT_MS: '0' }).compileTimeoutMs, 0);
  assert.equal(config.jobRetentionHours, 168, 'finished jobs are kept a week');
  assert.equal(configFromEnv({ ZKAI_JOB_RETENTION_HOURS: '0' }).jobRetentionHours, 0);
  assert.throws(() => configFromEnv({ ZKAI_JOB_RETENTION_HOURS: '-1' }), /ZKAI_JOB_RETENTION_HOURS must be an integer/);
  assert.equal(config.blobGraceHours, 24, 'unreferenced model blobs are kept a day');
  assert.equal(configFromEnv({ ZKAI_BLOB_GRACE_HOURS: '0' }).blobGraceHours, 0);
  assert.throws(() => configFromEnv({ ZKAI_BLOB_GRACE_HOURS: '1.5' }), /ZKAI_BLOB_GRACE_HOURS must be an integer/);
});

test('the blob collection runs at once with the configured grace, logs what it deleted, and survives a failing store', async () => {
  const graces: number[] = [];
  const logs: string[] = [];
  let fail = false;
  const files = {
    collectBlobs: async (graceMs: number) => {
      graces.push(graceMs);
      if (fail) throw new Error('postgres went away');
      return { marked: 1, deleted: ['ab'.repeat(32)] };
    },
  };
  const collection = startBlobCollection(files, 24, (m) => logs.push(m));
  await collection.done;
  collection.stop();
  assert.deepEqual(graces, [24 * 3_600_000]);
  assert.deepEqual(logs, ['model files: deleted 1 blob(s) no model has referenced for 24 h']);
  fail = true;
  const failing = startBlobCollection(files, 1, (m) => logs.push(m));
  await failing.done;
  failing.stop();
  assert.match(logs.at(-1)!, /model file collection failed: postgres went away/);
});

test('the retention sweep prunes at once with the configured age, logs what it deleted, and survives a failing store', async () => {
  const cutoffs: number[] = [];
  const logs: string[] = [];
  let fail = false;
  const store = {
    pruneFinished: async (before: Date) => {
      cutoffs.push(before.getTime());
      if (fail) throw new Error('redis went away');
      return 2;
    },
  } as unknown as JobQueueApi;
  const t0 = Date.now();
  const sweep = startRetentionSweep(store, 24, (m) => logs.push(m));
  await sweep.done;
  const t1 = Date.now();
  sweep.stop();
  assert.equal(cutoffs.length, 1);
  // 24 h before the moment it ran: bounded by the clock read before and after, not by a guessed duration.
  assert.ok(cutoffs[0]! >= t0 - 24 * 3_600_000 && cutoffs[0]! <= t1 - 24 * 3_600_000, 'cutoff is 24 h before now');
  assert.deepEqual(logs, ['job retention: deleted 2 job(s) finished more than 24 h ago']);
  fail = true;
  const failing = startRetentionSweep(store, 1, (m) => logs.push(m));
  await failing.done;
  failing.stop();
  assert.match(logs.at(-1)!, /job retention sweep failed: redis went away/);
});

test('startService: warm pool, real HTTP, then a clean shutdown', async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-service-test-'));
  // What a dataset commit killed mid-way leaves behind (issue 18): removed at start.
  const stale = path.join(home, 'datasets', '.incoming', 'a-killed-commit');
  mkdirSync(stale, { recursive: true });
  writeFileSync(path.join(stale, 'dataset.json'), '{');
  const lines: string[] = [];
  const service = await startService(
    { ...DEFAULT_CONFIG, home, port: 0, treeDepth: 4, chain: 'off', logLevel: 'silent' },
    { log: (l) => lines.push(l), handleSignals: false },
  );
  try {
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await (await fetch(`${service.url}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.equal(health.circuits.membership.depth, 4);
    const chain = await fetch(`${service.url}/v1/chain`);
    assert.equal(chain.status, 404);
    assert.ok(existsSync(path.join(home, 'jobs.sqlite')));
    assert.ok(!existsSync(path.join(home, 'datasets', '.incoming')), 'stale commit folders removed at start');
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    assert.match(metrics, /^zkai_pool_threads 1$/m, 'the service wires its prover pool into /metrics');
    assert.match(metrics, /^zkai_jobs\{state="queued"\} 0$/m);
    assert.match(metrics, /^process_cpu_seconds_total /m);
    const text = lines.join('\n');
    assert.match(text, /warm up with one proof: \d+\.\d s/);
    assert.match(text, /zkai is ready/);
    assert.ok(text.includes(`${service.url}/docs`), 'the summary names the docs URL');
    // One quiet banner: the INSECURE notice once (not from every setup step), no JSON log lines in it.
    if (service.membership.setup.insecure) assert.equal(lines.filter((l) => l.includes('INSECURE')).length, 1, text);
    assert.ok(!lines.some((l) => l.trimStart().startsWith('{')), text);
    assert.match(text, /chain {6}off \(ZKAI_CHAIN=off\)/);

    // Zero set-up with keys on: the first start made a key for the default tenant and printed it once.
    assert.match(service.apiKey ?? '', /^zkai_[A-Za-z0-9_-]{43}$/);
    assert.equal(lines.filter((l) => l.includes(service.apiKey!)).length, 2, 'the key and a curl line using it');
    assert.equal((await fetch(`${service.url}/v1/jobs`)).status, 401);
    const jobs = await fetch(`${service.url}/v1/jobs`, { headers: { authorization: `Bearer ${service.apiKey}` } });
    assert.equal(jobs.status, 200);
    assert.deepEqual(await jobs.json(), { jobs: [] });

    // A second service on the same data directory stops before touching it (issue 18: it requeued the live one's
    // running jobs, which were proved twice).
    const before = lines.length;
    await assert.rejects(
      startService(
        { ...DEFAULT_CONFIG, home, port: 0, treeDepth: 4, chain: 'off', logLevel: 'silent' },
        { log: (l) => lines.push(l), handleSignals: false },
      ),
      (err: { code?: string; message?: string }) => err.code === 'DATA_DIR_LOCKED' && err.message!.includes(`pid ${process.pid}`),
    );
    assert.ok(!lines.slice(before).some((l) => l.includes('membership circuit')), 'refused before any step');
  } finally {
    await service.close();
    await service.close(); // idempotent
  }
  await assert.rejects(fetch(`${service.url}/health`), 'no longer listening');
  assert.ok(!existsSync(path.join(home, 'service.lock')), 'a clean shutdown releases the lock');
  await rm(home, { recursive: true, force: true });
});

test('the first-key rule: a key is made only for a store that never had one (not after a restart, nor once all are revoked)', async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-first-key-'));
  const config = { ...DEFAULT_CONFIG, home, port: 0, treeDepth: 4, chain: 'off' as const, logLevel: 'silent', warmup: false };
  const start = async () => {
    const lines: string[] = [];
    const service = await startService(config, { log: (l) => lines.push(l), handleSignals: false });
    await service.close();
    return { apiKey: service.apiKey, printed: lines.some((l) => l.includes('API key for the tenant')) };
  };
  try {
    const first = await start();
    assert.match(first.apiKey ?? '', /^zkai_/);
    assert.equal(first.printed, true);
    assert.deepEqual(await start(), { apiKey: undefined, printed: false }, 'a restart makes no second key');
    const tenants = new TenantStore(path.join(home, 'jobs.sqlite'));
    for (const k of tenants.listKeys()) tenants.revokeKey(k.id);
    assert.equal(tenants.listKeys().filter((k) => !k.revokedAt).length, 0);
    tenants.close();
    assert.deepEqual(await start(), { apiKey: undefined, printed: false }, 'every key revoked: still none made');
    // With ZKAI_AUTH=off no key is made even for a fresh store.
    const off = await mkdtemp(path.join(os.tmpdir(), 'zkai-first-key-off-'));
    const service = await startService({ ...config, home: off, auth: 'off' }, { log: () => {}, handleSignals: false });
    await service.close();
    assert.equal(service.apiKey, undefined);
    const offTenants = new TenantStore(path.join(off, 'jobs.sqlite'));
    assert.equal(offTenants.keyCount(), 0);
    offTenants.close();
    await rm(off, { recursive: true, force: true });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
