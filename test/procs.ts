// Helpers for end-to-end tests that run the service and `zkai worker` as child processes (kill -9 included).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, REPO_ROOT } from '../common/config.ts';

/** A child process with its output collected line by line (stdout and stderr together). */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line (already seen or still to come) that `match` accepts. */
  waitFor(match: (line: string) => boolean, what: string, ms?: number): Promise<string>;
  exited: Promise<void>;
  /** Send `signal` and wait for the exit (SIGKILL after `graceMs` if it is still running) and, briefly, for its last output. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** `prefix`: a command the node process runs under, e.g. `ip netns exec <ns>` (it execs node: the same pid). */
export function spawnProc(args: string[], env: Record<string, string>, prefix: string[] = []): Proc {
  const command = [...prefix, process.execPath, '--import', 'tsx', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
      for (const w of [...waiters]) w();
    });
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // 'close' comes once its output has all been read (unless a grandchild still holds the pipes).
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  return {
    child,
    lines,
    exited,
    waitFor(match, what, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(match);
          if (hit === undefined) return;
          cleanup();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; last output:\n${lines.slice(-20).join('\n')}`));
        }, ms);
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited while waiting for ${what}; last output:\n${lines.slice(-20).join('\n')}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill(signal = 'SIGKILL', graceMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

/** A fresh ZKAI_HOME that shares the compiled circuits and keys of the cache (so nothing is set up again). */
export async function sharedArtifactsHome(prefix: string): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), prefix));
  await symlink(cacheDir('circuits'), path.join(home, 'circuits'));
  await symlink(cacheDir('ptau'), path.join(home, 'ptau'));
  return home;
}

/** Environment for a service child: loopback, no chain, no warm-up, auth off (these tests are about jobs, not tenants). */
export function serviceEnv(home: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ZKAI_HOME: home,
    ZKAI_PORT: String(port),
    ZKAI_HOST: '127.0.0.1',
    ZKAI_CHAIN: 'off',
    ZKAI_WARMUP: '0',
    ZKAI_AUTH: 'off',
    ZKAI_LOG_LEVEL: 'info',
    ZKAI_RATE_LIMIT: '1000000',
    ...extra,
  };
}

/** JSON API client for a service on loopback. */
export function apiClient(port: number) {
  return async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

/** Poll /health until the service answers (or `proc` exits). */
export async function waitHealthy(port: number, proc: Proc, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`service exited:\n${proc.lines.slice(-30).join('\n')}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not start:\n${proc.lines.slice(-30).join('\n')}`);
}

/**
 * Job events in a process's output, parsed: pino JSON lines (the service) whose msg is `msg`, and
 * `[zkai worker] <msg> {json}` lines (the worker).
 */
export function logEvents(lines: string[], msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const workerMark = `] ${msg} {`;
  for (const line of lines) {
    try {
      if (line.startsWith('{')) {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.msg === msg) out.push(event);
      } else if (line.includes(workerMark)) out.push(JSON.parse(line.slice(line.indexOf(workerMark) + workerMark.length - 1)));
    } catch {}
  }
  return out;
}

/** Random-looking but fixed 32-byte hex for record n. */
export const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** n dataset records r1..rn. */
export function records(n: number) {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { id: `r${i}`, contributor: `0x${(i % 16).toString(16).repeat(40)}`, contentHash: H(i), weight: i };
  });
}
