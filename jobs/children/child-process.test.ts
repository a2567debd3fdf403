/**
 * Child processes of the service (child-process.ts): a timed-out or aborted child is killed with its own children
 * (the circom a compile starts), and no more than the limit run at once while the rest wait (none refused).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChildSlots, maxChildProcessesFromEnv, runChild, startLauncher } from './child-process.ts';

/** True while `pid` runs (a zombie, or a process that no longer exists, is not running). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync(stat)) return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to a generous bound, not a timing assertion) until `pid` is gone; answers whether it went. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && running(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !running(pid);
}

describe('child processes', () => {
  let dir: string;
  let hang: string;
  let count: string;
  let launcherPid: number;

  before(async () => {
    // As the service does at start: the children below are forked by the launcher, which is up by then.
    launcherPid = await startLauncher();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-children-'));
    // Starts a grandchild (like circom under a compile), writes both pids where the parent said, then never answers.
    hang = path.join(dir, 'hang.mjs');
    await writeFile(
      hang,
      `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
process.once('message', (m) => {
  const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(m.pids, JSON.stringify({ child: process.pid, grandchild: g.pid }));
  setInterval(() => {}, 1000);
});
`,
    );
    // Marks itself running in a folder, counts the marks (the children alive now), waits a little, answers the count.
    count = path.join(dir, 'count.mjs');
    await writeFile(
      count,
      `import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
process.once('message', (m) => {
  const mine = path.join(m.dir, String(process.pid));
  writeFileSync(mine, '');
  const seen = readdirSync(m.dir).length;
  setTimeout(() => {
    rmSync(mine);
    process.send({ seen }, () => process.exit(0));
  }, 300);
});
`,
    );
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function pidsOnceWritten(file: string): Promise<{ child: number; grandchild: number }> {
    for (let i = 0; i < 400 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
    return JSON.parse(readFileSync(file, 'utf8'));
  }

  it('children are forked by the launcher, never by this (proving) process', async () => {
    const parent = path.join(dir, 'parent.mjs');
    await writeFile(parent, `process.once('message', () => process.send({ ppid: process.ppid }, () => process.exit(0)));\n`);
    const { ppid } = await runChild<{ ppid: number }>({ script: parent, request: {}, what: 'test child', slots: new ChildSlots(1) });
    assert.notEqual(ppid, process.pid);
    assert.equal(ppid, launcherPid);
    assert.equal(await startLauncher(), launcherPid, 'one launcher, started once');
  });

  it('a child past its timeout is killed with its grandchild, and the call fails with JOB_TIMEOUT', async () => {
    const pids = path.join(dir, 'timeout.json');
    const call = runChild({ script: hang, request: { pids }, what: 'test child', timeoutMs: 6000, slots: new ChildSlots(1) });
    const { child, grandchild } = await pidsOnceWritten(pids);
    assert.ok(running(child) && running(grandchild), 'both processes run before the timeout');
    await assert.rejects(call, { code: 'JOB_TIMEOUT' });
    assert.ok(await gone(child), 'the child is killed');
    assert.ok(await gone(grandchild), 'the grandchild (its process group) is killed too');
  });

  it('an aborted call (a job that timed out in its runner) kills its child and grandchild', async () => {
    const pids = path.join(dir, 'abort.json');
    const giveUp = new AbortController();
    const call = runChild({ script: hang, request: { pids }, what: 'test child', signal: giveUp.signal, slots: new ChildSlots(1) });
    const { child, grandchild } = await pidsOnceWritten(pids);
    giveUp.abort(Object.assign(new Error('job timed out'), { code: 'JOB_TIMEOUT' }));
    await assert.rejects(call, { code: 'JOB_TIMEOUT' });
    assert.ok(await gone(child));
    assert.ok(await gone(grandchild));
  });

  it('no more than the limit run at once; the others wait their turn and all finish', async () => {
    const marks = path.join(dir, 'marks');
    await import('node:fs/promises').then((fs) => fs.mkdir(marks));
    const slots = new ChildSlots(2);
    const calls = Array.from({ length: 5 }, () =>
      runChild<{ seen: number }>({ script: count, request: { dir: marks }, what: 'count', slots }),
    );
    assert.equal(slots.active, 2);
    assert.equal(slots.queued, 3);
    const answers = await Promise.all(calls);
    assert.equal(answers.length, 5, 'none refused or lost');
    for (const { seen } of answers) assert.ok(seen >= 1 && seen <= 2, `a child saw ${seen} running at once`);
    assert.equal(slots.active, 0);
    assert.deepEqual(await readdir(marks), []);
  });

  it('a request given up while it waits for a slot leaves the queue without starting', async () => {
    const slots = new ChildSlots(1);
    const first = await slots.acquire();
    const giveUp = new AbortController();
    const waiting = slots.acquire(giveUp.signal);
    const next = slots.acquire();
    assert.equal(slots.queued, 2);
    giveUp.abort(new Error('gave up'));
    await assert.rejects(waiting, /gave up/);
    assert.equal(slots.queued, 1);
    first();
    const release = await next;
    assert.equal(slots.active, 1);
    release();
    assert.equal(slots.active, 0);
  });

  it('ZKAI_MAX_CHILD_PROCESSES: default 2, an integer in [1, 64]', () => {
    assert.equal(maxChildProcessesFromEnv({}), 2);
    assert.equal(maxChildProcessesFromEnv({ ZKAI_MAX_CHILD_PROCESSES: '3' }), 3);
    for (const bad of ['0', '65', '1.5', 'x'])
      assert.throws(() => maxChildProcessesFromEnv({ ZKAI_MAX_CHILD_PROCESSES: bad }), { code: 'BAD_INPUT' });
  });
});
