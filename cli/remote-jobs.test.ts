/**
 * The long remote commands (cli/remote-jobs.ts) in a child process, as a provider or auditor runs them, against one
 * real in-process service: a dataset commit with a column mapping (a background job), a membership proof, a model
 * compile and an inference proof, each followed to its end with its progress on stderr, and each bundle checked by
 * the service's /v1/verify through `zkai --server … verify`. Refusals keep the service's error code.
 *
 * Progress without races: every job handler here waits until the command has opened the job's event stream (the
 * stream's reply is being sent, so it is watching the store), so each phase the job reports is seen, whatever the
 * speed of the machine. No sleeps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { commitDataset, normaliseRecord } from '../circuits/dataset/index.ts';
import { REPO_ROOT } from '../common/config.ts';
import { datasetCommitJobHandler } from '../jobs/dataset-commit-job.ts';
import { type JobHandler, JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { modelJobHandlers } from '../jobs/model-jobs.ts';
import { ModelCatalog } from '../jobs/models.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';
import { COMPILE_LINES, SETUP_LINES } from './test-progress.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const DIGITS_CSV = path.join(FIXTURES, 'digits_test.csv');
const DEPTH = 4;

type Run = { code: number | null; stdout: string; stderr: string };

/** `zkai …` in a child process (asynchronously: the service runs in this process). */
function zkai(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The `--json` progress events a command wrote on stderr (one JSON object a line, nothing else). */
function events(run: Run): { event: string; step?: string; message?: string; done?: number; total?: number }[] {
  return run.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** A refusal: exit `exit`, exactly one error line (after any progress lines) naming `code`, no stack trace. */
function refused(run: Run, exit: number, code: string): string {
  assert.equal(run.code, exit, run.stderr);
  const errors = run.stderr.split('\n').filter((l) => l.startsWith('error'));
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0]!, new RegExp(`^error \\[${code}\\]: `), run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  return errors[0]!;
}

/** The steps a command's progress went through, in order (a step repeated with a new percent counted once). */
const steps = (run: Run) =>
  events(run)
    .flatMap((e) => (e.event === 'progress' && e.step ? [e.step] : []))
    .filter((step, i, all) => step !== all[i - 1]);

describe('zkai --server: dataset commit, prove, model compile and model prove as jobs with progress', () => {
  let tmp: string;
  let store: JobStore;
  let tenants: TenantStore;
  let models: ModelCatalog;
  let pool: ProverPool;
  let runner: JobRunner;
  let app: FastifyInstance;
  let url: string;
  let key: string;
  // A job's handler starts once its event stream is open (see the file comment); all released at the end.
  const streams = new Map<string, { opened: Promise<void>; open: () => void }>();
  const stream = (id: string) => {
    let s = streams.get(id);
    if (!s) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      s = { opened, open };
      streams.set(id, s);
    }
    return s;
  };
  const gated =
    (handler: JobHandler): JobHandler =>
    async (job, ctx) => {
      await stream(job.id).opened;
      return handler(job, ctx);
    };

  const rows = [1, 2, 3, 4, 5].map((i) => ({
    id: `rec-${i}`,
    contributor: `0x${String(i).repeat(40)}`,
    contentHash: `0x${String(i).repeat(64)}`,
    weight: 10 * i,
  }));
  let rootHex: string;
  let modelId: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-remote-jobs-'));
    const dbFile = path.join(tmp, 'jobs.sqlite');
    const datasetsDir = path.join(tmp, 'datasets');
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    models = new ModelCatalog(path.join(tmp, 'models'), dbFile);
    pool = new ProverPool({ threads: 1 });
    const membership = await prepareMembershipCircuit(DEPTH);
    const modelHandlers = modelJobHandlers({ pool, modelsDir: models.dir, maxConstraints: 200_000 });
    runner = new JobRunner(
      store,
      {
        membership: gated(membershipJobHandler({ pool, membership, datasetsDir })),
        'dataset-commit': gated(datasetCommitJobHandler({ datasetsDir, claim: (t, r, s) => tenants.claimDataset(t, r, s).claim })),
        'model-compile': gated(modelHandlers['model-compile']),
        inference: gated(modelHandlers.inference),
      },
      { pollMs: 50 },
    );
    runner.start();
    app = await buildApp({
      store,
      runner,
      membership,
      datasetsDir,
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
      asyncCommits: true,
    });
    // The event stream's reply is sent after it has shown the job and started watching the store.
    app.addHook('onSend', async (request, _reply, payload) => {
      const m = /^\/v1\/jobs\/([0-9a-f-]{36})\/events$/.exec(request.url);
      if (m) stream(m[1]!).open();
      return payload;
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    key = tenants.createKey('provider').key;
  });

  after(async () => {
    for (const s of streams.values()) s.open();
    await app?.close();
    await runner?.stop();
    await pool?.close();
    store?.close();
    tenants?.close();
    models?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('dataset commit: your own column names, a background job with progress, the root of the same records', async () => {
    const csv = path.join(tmp, 'contributions.csv');
    const lines = rows.map((r) => `${r.weight},${r.contentHash},${r.id},${r.contributor}`);
    await writeFile(csv, `weight,content_sha256,record_id,contributor\n${lines.join('\n')}\n`);
    const run = await zkai(
      ['--server', url, 'dataset', 'commit', csv, '--columns', 'id=record_id,content_hash=content_sha256', '--name', 'june.csv', '--json'],
      { ZKAI_API_KEY: key },
    );
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    // The same records committed here give the same root: the service mapped the columns as the local CLI would.
    const local = await commitDataset(
      rows.map((r, i) => normaliseRecord(r, `row ${i}`)),
      path.join(tmp, 'local', 'dataset.json'),
      { depth: DEPTH },
    );
    assert.equal(out.rootHex, local.manifest.rootHex);
    assert.equal(out.leafCount, 5);
    assert.equal(out.totalWeight, '150');
    assert.equal(out.source.name, 'june.csv');
    assert.match(out.jobId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(steps(run).slice(-2), ['commit: leaves', 'commit: tree']);
    // With the service's percent of the whole job (leaves 0–50, tree 50–100) for a bar.
    const tree = events(run).find((e) => e.step === 'commit: tree');
    assert.equal(tree?.total, 100);
    assert.ok(tree.done! >= 50 && tree.done! <= 100, JSON.stringify(tree));
    assert.ok(events(run).some((e) => e.event === 'log' && e.message === `job ${out.jobId} on ${url}`));
    rootHex = out.rootHex;

    // A mapping naming a column the file lacks: the service's BAD_DATASET / BAD_INPUT, exit 2, one line.
    const wrong = await zkai(['--server', url, 'dataset', 'commit', csv, '--columns', 'id=recordid'], { ZKAI_API_KEY: key });
    assert.match(refused(wrong, 2, 'BAD_(DATASET|INPUT)'), /recordid|content_hash/);
  });

  test('dataset commit against a node that runs no background commits (a shared queue): committed in the request', async () => {
    // Another API node over the same stores, as with ZKAI_QUEUE: it refuses `async`, so the command commits in one request.
    const sync = await buildApp({
      store,
      runner,
      membership: await prepareMembershipCircuit(DEPTH),
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
    });
    try {
      const syncUrl = await sync.listen({ host: '127.0.0.1', port: 0 });
      const jsonl = path.join(tmp, 'more.jsonl');
      const records = rows
        .slice(0, 2)
        .map((r) => ({ record_id: r.id, contributor: r.contributor, content_hash: r.contentHash, weight: r.weight }));
      await writeFile(jsonl, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
      const run = await zkai(['--server', syncUrl, 'dataset', 'commit', jsonl, '--columns', 'id=record_id'], { ZKAI_API_KEY: key });
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      const local = await commitDataset(
        rows.slice(0, 2).map((r, i) => normaliseRecord(r, `row ${i}`)),
        path.join(tmp, 'local2', 'dataset.json'),
        { depth: DEPTH },
      );
      assert.equal(out.rootHex, local.manifest.rootHex);
      assert.equal(out.jobId, undefined);
      assert.equal(out.source.name, 'more.jsonl');
      assert.match(run.stderr, /commit \(in the request: this service runs no background commits\)/);
    } finally {
      await sync.close();
    }
  });

  test('prove: a membership proof job followed to its bundle, which the service verifies', async () => {
    assert.ok(rootHex, 'the commit test ran first');
    const out = path.join(tmp, 'membership.json');
    const run = await zkai(['--server', url, 'prove', rootHex, 'rec-3', '--epoch', '7', '--out', out, '--json'], { ZKAI_API_KEY: key });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.out, out);
    assert.equal(result.public.weight, '30');
    assert.equal(result.public.epoch, '7');
    assert.ok(
      steps(run).some((s) => /^prove: (witness|quotient|msm|proving)$/.test(s)),
      run.stderr,
    );
    const bundle = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(bundle.kind, 'membership');
    assert.deepEqual(bundle.public, result.public);
    const verified = await zkai(['--server', url, 'verify', out]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).valid, true);

    // Without --out the bundle itself is the result on stdout.
    const plain = await zkai(['--server', url, 'prove', rootHex, 'rec-1', '--epoch', '7'], { ZKAI_API_KEY: key });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).public.weight, '10');
    assert.match(plain.stderr, /prove: /);
  });

  test("model compile: upload, the six compile phases with the setup's steps, the ready model", async () => {
    const run = await zkai(
      [
        '--server',
        url,
        'model',
        'compile',
        path.join(FIXTURES, 'mlp_digits.onnx'),
        '--calibration',
        DIGITS_CSV,
        '--name',
        'mlp-digits',
        '--json',
      ],
      { ZKAI_API_KEY: key },
    );
    assert.equal(run.code, 0, run.stderr);
    const m = JSON.parse(run.stdout);
    assert.match(m.modelId, /^[0-9a-f-]{36}$/);
    assert.equal(m.name, 'mlp-digits');
    assert.ok(m.constraints > 0);
    assert.match(m.vkeyHash, /^[0-9a-f]{64}$/);
    assert.ok(m.agreement.agreement >= 0.97, JSON.stringify(m.agreement));
    const compile = steps(run).filter((s) => /^\d\/6 /.test(s));
    assert.deepEqual(
      compile.map((s) => s.split(': ')[0]).filter((s, i, all) => s !== all[i - 1]),
      COMPILE_LINES,
    );
    // The setup's steps as the service reports them: a cached setup only finds its ptau, a new one makes its keys.
    assert.ok(
      [1, 4].some(
        (n) =>
          JSON.stringify(compile.filter((s) => s.startsWith('4/6 ')).map((s) => s.split(': ')[1])) ===
          JSON.stringify(SETUP_LINES.slice(0, n)),
      ),
      run.stderr,
    );
    // With the service's percent of the whole compile for a bar, ending at 100.
    const last = events(run)
      .filter((e) => e.event === 'progress' && e.step?.startsWith('6/6 '))
      .at(-1);
    assert.deepEqual([last?.done, last?.total], [100, 100], run.stderr);
    modelId = m.modelId;
  });

  test('model compile in plain mode (a log, not a terminal): a line as each phase and setup step starts, as locally', async () => {
    const run = await zkai(
      ['--server', url, 'model', 'compile', path.join(FIXTURES, 'mlp_digits.onnx'), '--calibration', DIGITS_CSV, '--name', 'mlp-digits'],
      { ZKAI_API_KEY: key },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(JSON.parse(run.stdout).modelId, /^[0-9a-f-]{36}$/);
    // cli/progress.ts plain mode: "<step>..." when a step starts, "<step>: done in …" when it ends; no JSON, no bar.
    const started = run.stderr.split('\n').filter((l) => /^\d\/6 .*\.\.\.$/.test(l));
    const ended = run.stderr.split('\n').filter((l) => /^\d\/6 .*: done in [0-9.]+ s$/.test(l));
    assert.deepEqual(
      started.map((l) => l.slice(0, -3).split(': ')[0]).filter((s, i, all) => s !== all[i - 1]),
      COMPILE_LINES,
      run.stderr,
    );
    assert.ok(started.includes(`${COMPILE_LINES[3]}: ${SETUP_LINES[0]}...`), run.stderr);
    assert.equal(ended.length, started.length, run.stderr);
    assert.doesNotMatch(run.stderr, /^\{/m);
  });

  test('model prove: an inference proof with its signed outputs; the bundle verifies', async () => {
    assert.ok(modelId, 'the compile test ran first');
    const row = readFileSync(DIGITS_CSV, 'utf8').trim().split('\n')[151]!.split(',').map(Number);
    const input = path.join(tmp, 'input.json');
    await writeFile(input, JSON.stringify({ input: row.slice(0, 64) }));
    const out = path.join(tmp, 'inference.json');
    const owner = '0x00000000000000000000000000000000000000ab';
    const run = await zkai(['--server', url, 'model', 'prove', modelId, '--input', input, '--owner', owner, '--out', out], {
      ZKAI_API_KEY: key,
    });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(Number(result.label), row[64]);
    assert.equal(result.logits.length, 10);
    assert.ok(
      result.logits.every((l: string) => /^-?[0-9]+$/.test(l) && BigInt(l) < 2n ** 64n && BigInt(l) > -(2n ** 64n)),
      'signed logits, not field elements',
    );
    assert.match(run.stderr, /prove: (witness|quotient|msm|proving)/);
    const bundle = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(bundle.kind, 'inference');
    assert.equal(bundle.public.binding, owner);
    const verified = await zkai(['--server', url, 'verify', out]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).valid, true);

    // The wrong number of input values: the service's BAD_INPUT naming the model's input size.
    await writeFile(input, JSON.stringify([1, 2, 3]));
    const short = await zkai(['--server', url, 'model', 'prove', modelId, '--input', input], { ZKAI_API_KEY: key });
    assert.match(refused(short, 2, 'BAD_INPUT'), /64/);
  });

  test('refused: a bad API key, an unknown dataset or model, a flag the command does not take; one line, no stack', async () => {
    const csv = path.join(tmp, 'contributions.csv');
    const badKey = await zkai(['--server', url, '--api-key', 'zkai_not-a-key', 'dataset', 'commit', csv, '--columns', 'id=record_id']);
    refused(badKey, 1, 'UNAUTHORIZED');

    const unknown = await zkai(['--server', url, 'prove', `0x${'ab'.repeat(32)}`, 'rec-1', '--epoch', '1'], { ZKAI_API_KEY: key });
    refused(unknown, 2, 'UNKNOWN_DATASET');

    const input = path.join(tmp, 'zeros.json');
    await writeFile(input, JSON.stringify(new Array(64).fill(0)));
    const noModel = await zkai(['--server', url, 'model', 'prove', '00000000-0000-4000-8000-000000000000', '--input', input], {
      ZKAI_API_KEY: key,
    });
    refused(noModel, 2, 'UNKNOWN_MODEL');

    const unreachable = await zkai(['--server', 'http://127.0.0.1:1', 'models'], { ZKAI_API_KEY: key });
    assert.match(refused(unreachable, 1, 'INTERNAL'), /cannot reach the service at http:\/\/127\.0\.0\.1:1/);
    refused(await zkai(['--server', 'not a url', 'models']), 2, 'BAD_INPUT');
    assert.match(refused(await zkai(['--server', url, 'constructor']), 2, 'BAD_INPUT'), /unknown remote command: constructor/);

    const flag = await zkai(['--server', url, 'models', '--columns', 'id=x'], { ZKAI_API_KEY: key });
    assert.match(refused(flag, 2, 'BAD_INPUT'), /models does not take --columns/);
  });
});
