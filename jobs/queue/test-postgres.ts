// Test helper: a throwaway PostgreSQL cluster (Debian's postgresql 15 binaries) on a free loopback port, in a
// temporary folder, trust auth; as root it runs as the `postgres` user (initdb refuses root). See test/require-dep.ts
// for what a test does when the binaries are missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestPostgres {
  /** postgres://… of the `zkai` database. */
  url: string;
  stop(): Promise<void>;
}

/** The folder of initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH. */
function pgBin(): string | undefined {
  if (process.env.PG_BIN && existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** Whether a cluster can be made here: the binaries, and (as root) a `postgres` user to run them as. */
export function hasPostgres(): boolean {
  if (!pgBin()) return false;
  return !isRoot() || spawnSync('id', ['postgres'], { stdio: 'ignore' }).status === 0;
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

/**
 * `host`: listen there too (another machine's view of this one: test/netns.ts) and trust connections from its /24;
 * the url then names it.
 */
export async function startTestPostgres(opts: { host?: string } = {}): Promise<TestPostgres> {
  const bin = pgBin();
  if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-pg-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const run = (cmd: string, args: string[]) =>
    isRoot()
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const stop = async () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {}
    await rm(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const remote = opts.host && opts.host !== '127.0.0.1' ? opts.host : undefined;
    if (remote) {
      const net24 = `${remote.split('.').slice(0, 3).join('.')}.0/24`;
      await appendFile(path.join(data, 'pg_hba.conf'), `host all all ${net24} trust\n`);
    }
    const listen = remote ? `127.0.0.1,${remote}` : '127.0.0.1';
    const options = `-c listen_addresses=${listen} -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'zkai']);
  } catch (err) {
    await stop();
    throw new Error(`could not start PostgreSQL: ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`);
  }
  return { url: `postgres://postgres@${opts.host ?? '127.0.0.1'}:${port}/zkai`, stop };
}
