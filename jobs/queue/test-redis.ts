// Test helper: a throwaway redis-server on a free loopback port (Debian's redis-server; see .ci/install-debian-packages.sh).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kill it (SIGKILL: no persistence, so it loses everything); `restart` starts a fresh one on the same port. */
  crash(): Promise<void>;
  /** Kill it (if it runs) and start a fresh, empty one on the same port. */
  restart(): Promise<void>;
}

/** Whether a redis-server binary is on PATH (see test/require-dep.ts for what a test does when it is not). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Start redis-server with no persistence (the documented `--save '' --appendonly no`) in a temporary folder; resolves once it answers PING. */
export async function startTestRedis(opts: { host?: string } = {}): Promise<TestRedis> {
  // Also on `host` (another machine's view of this one: test/netns.ts), loopback always.
  const bind = opts.host && opts.host !== '127.0.0.1' ? `127.0.0.1 ${opts.host}` : '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  let exited: Promise<void>;
  const spawnServer = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        bind,
        '--protected-mode',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    const self = child;
    exited = new Promise<void>((r) => self.once('exit', () => r()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await ping(port)) return;
      if (self.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spawnServer();
  } catch (err) {
    await stop();
    throw err;
  }
  const restart = async () => {
    await kill();
    await spawnServer();
  };
  return { url: `redis://${opts.host ?? '127.0.0.1'}:${port}`, port, stop, crash: kill, restart };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}
