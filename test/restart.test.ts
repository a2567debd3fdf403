/**
 * A job accepted by the API survives the service being killed (SIGKILL, no shutdown) mid-proof: after a
 * restart every accepted job ends `succeeded`, and each bundle verifies.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { freePort } from '../verifier-contracts/chain.ts';

const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describe('service restart after kill -9', () => {
  let home: string;
  let port: number;
  let child: ChildProcess | undefined;

  before(async () => {
    // Compile and set up once in the shared cache; the service under test reuses it through symlinks.
    await prepareMembershipCircuit(20);
    home = await mkdtemp(path.join(os.tmpdir(), 'zkai-restart-'));
    await mkdir(home, { recursive: true });
    await symlink(cacheDir('circuits'), path.join(home, 'circuits'));
    await symlink(cacheDir('ptau'), path.join(home, 'ptau'));
    port = await freePort();
  });

  after(async () => {
    child?.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server', 'main.ts')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ZKAI_HOME: home,
        ZKAI_PORT: String(port),
        ZKAI_CHAIN: 'off',
        ZKAI_WARMUP: '0',
        ZKAI_LOG_LEVEL: 'silent',
        ZKAI_AUTH: 'off',
      },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('service did not start');
  }

  async function api(method: string, url: string, body?: unknown) {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('every accepted job succeeds after the restart, once', async () => {
    await start();
    const records = [1, 2, 3, 4, 5].map((i) => ({ id: `r${i}`, contributor: `0x${String(i).repeat(40)}`, contentHash: H(i), weight: i }));
    const root = (await api('POST', '/v1/datasets', { records })).body.rootHex as string;
    const ids: string[] = [];
    for (const i of [1, 2, 3, 4, 5]) {
      const res = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: `r${i}`, epoch: 1 });
      assert.equal(res.status, 202);
      ids.push(res.body.jobId as string);
    }
    // Kill it while the first job is being proved.
    const deadline = Date.now() + 30_000;
    let stateAtKill = 'queued';
    while (stateAtKill === 'queued' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      stateAtKill = (await api('GET', `/v1/jobs/${ids[0]}`)).body.state as string;
    }
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));

    await start();
    const states = async () => Promise.all(ids.map(async (id) => (await api('GET', `/v1/jobs/${id}`)).body));
    const until = Date.now() + 120_000;
    let jobs = await states();
    while (jobs.some((j) => j.state !== 'succeeded' && j.state !== 'failed') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      jobs = await states();
    }
    assert.deepEqual(
      jobs.map((j) => j.state),
      ids.map(() => 'succeeded'),
    );
    // The first proof in a fresh worker takes over a second, so the kill lands while it runs.
    if (stateAtKill === 'running') assert.equal(jobs[0]!.attempts, 2, 'the interrupted job was retried');
    for (const id of ids) {
      const bundle = (await api('GET', `/v1/jobs/${id}/bundle`)).body;
      assert.equal((await api('POST', '/v1/verify', bundle)).body.valid, true);
    }
    child!.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
  });
});
