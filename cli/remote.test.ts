import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ZkaiClient } from '../client/index.ts';
import { REPO_ROOT } from '../common/config.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');

/** `zkai --server <url> …` in a child process, as a user runs it (asynchronously: the service runs in this process). */
function zkai(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('zkai --server: remote commands through zkai/client', () => {
  let tmp: string;
  let store: JobStore;
  let tenants: TenantStore;
  let pool: ProverPool;
  let runner: JobRunner;
  let membership: MembershipCircuit;
  let app: FastifyInstance;
  let url: string;
  let key: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-remote-'));
    const dbFile = path.join(tmp, 'jobs.sqlite');
    const datasetsDir = path.join(tmp, 'datasets');
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    pool = new ProverPool({ threads: 1 });
    membership = await prepareMembershipCircuit(4);
    runner = new JobRunner(store, { membership: membershipJobHandler({ pool, membership, datasetsDir }) }, { pollMs: 50 });
    runner.start();
    app = await buildApp({ store, runner, membership, datasetsDir, auth: { mode: 'keys', keys: tenants }, tenants });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    key = tenants.createKey('remote').key;
  });

  after(async () => {
    await app?.close();
    await runner?.stop();
    await pool?.close();
    store?.close();
    tenants?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('jobs, bundle and verify against the service; a tampered bundle exits 1; no key is refused', async () => {
    const api = new ZkaiClient({ baseUrl: url, apiKey: key });
    const records = [1, 2].map((i) => ({
      id: `r${i}`,
      contributor: `0x${String(i).repeat(40)}`,
      contentHash: `0x${String(i).repeat(64)}`,
      weight: i,
    }));
    const commit = await fetch(`${url}/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records, depth: 4 }),
    });
    const { rootHex } = (await commit.json()) as { rootHex: string };
    const job = await api.watchJob((await api.proveMembership(rootHex, { recordId: 'r1', epoch: 3 })).jobId);
    assert.equal(job.state, 'succeeded');

    const jobs = await zkai(['--server', url, 'jobs'], { ZKAI_API_KEY: key });
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.deepEqual(
      (JSON.parse(jobs.stdout) as { id: string }[]).map((j) => j.id),
      [job.id],
    );

    const out = path.join(tmp, 'proof.json');
    const fetched = await zkai(['--server', url, '--api-key', key, 'bundle', job.id, '--out', out], {});
    assert.equal(fetched.code, 0, fetched.stderr);
    const valid = await zkai(['--server', url, 'verify', out], {});
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    assert.equal(JSON.parse(valid.stdout).valid, true);

    const tampered = JSON.parse(await readFile(out, 'utf8'));
    tampered.publicSignals[4] = '4';
    tampered.public.epoch = '4';
    await writeFile(out, JSON.stringify(tampered));
    const invalid = await zkai(['--server', url, 'verify', out], {});
    assert.equal(invalid.code, 1, invalid.stdout + invalid.stderr);
    assert.equal(JSON.parse(invalid.stdout).reasonCode, 'PROOF_INVALID');

    const refused = await zkai(['--server', url, 'jobs'], { ZKAI_API_KEY: '' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /UNAUTHORIZED/);
  });
});
