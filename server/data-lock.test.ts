import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCK_FILE, lockDataDir } from './data-lock.ts';

const dirs: string[] = [];
const home = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'zkai-lock-'));
  dirs.push(d);
  return d;
};
const locked = (err: unknown) => (err as { code?: string }).code === 'DATA_DIR_LOCKED';

/** The pid of a process that has exited (a short-lived child). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('one service per data directory', () => {
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a second lock on a held directory is refused, naming the owner; release lets the next one in', async () => {
    const dir = await home();
    const lock = lockDataDir(dir);
    const owner = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, os.hostname());
    assert.throws(
      () => lockDataDir(dir),
      (err: Error) => locked(err) && err.message.includes(`pid ${process.pid}`),
    );
    lock.release();
    lock.release(); // idempotent
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
    lockDataDir(dir).release();
  });

  it('a lock left by a dead process (kill -9, crash) is taken over', async () => {
    const dir = await home();
    const pid = deadPid();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = lockDataDir(dir);
    assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    lock.release();
  });

  it("a live process's lock is honoured even across processes; another host's lock is never taken over", async () => {
    const dir = await home();
    // A live owner in another process: this test's parent (the test runner) is alive for sure.
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: 'x' }));
    assert.throws(() => lockDataDir(dir), locked);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'another-host', startedAt: 'x' }));
    assert.throws(
      () => lockDataDir(dir),
      (err: Error) => locked(err) && err.message.includes('another-host'),
    );
    writeFileSync(path.join(dir, LOCK_FILE), 'not json');
    assert.throws(
      () => lockDataDir(dir),
      (err: Error) => locked(err) && err.message.includes('unreadable'),
    );
  });

  it('release never removes a lock another instance took after ours', async () => {
    const dir = await home();
    const lock = lockDataDir(dir);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: 'later' }));
    lock.release();
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), true);
  });

  it('two processes racing for one directory: exactly one wins', async () => {
    const dir = await home();
    const script = `import('${path.join(import.meta.dirname, 'data-lock.ts')}').then(({ lockDataDir }) => { try { lockDataDir(process.argv[1]); process.stdout.write('won'); setTimeout(() => {}, 1500); } catch (e) { process.stdout.write(e.code); } })`;
    const run = () =>
      new Promise<string>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d) => {
          out += d;
        });
        c.on('close', () => resolve(out));
      });
    const results = (await Promise.all([run(), run()])).sort();
    assert.deepEqual(results, ['DATA_DIR_LOCKED', 'won']);
  });
});
