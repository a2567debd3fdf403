import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { HDNodeWallet, JsonRpcProvider, Network } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';
import { CONTRACTS_ROOT, HARDHAT_CLI, HARDHAT_CONFIG, hardhatEnv } from './compile.ts';

/** Hardhat's well-known development mnemonic: its accounts are funded on every dev chain. Public; never use on a real chain. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** Chain id of Hardhat's network (see hardhat.config.cjs). */
export const DEV_CHAIN_ID = 31337;
/** Hardhat funds this many accounts, m/44'/60'/0'/0/0 .. /19, with 10 000 ETH each. */
const DEV_ACCOUNT_COUNT = 20;
const WATCHDOG = path.join(CONTRACTS_ROOT, 'parent-watchdog.cjs');
const KEEPALIVE = path.join(CONTRACTS_ROOT, 'dev-chain-keepalive.cjs');

export interface DevChainOptions {
  /** Port on 127.0.0.1; default ZKAI_CHAIN_PORT or 8545. Must be free. */
  port?: number;
  /** Receives the chain's output lines (Hardhat logs every RPC call); dropped when absent. */
  log?: (line: string) => void;
  /** How long to wait for the chain to answer; default 60 s. */
  readyTimeoutMs?: number;
  /** The genesis block's time (ISO 8601), for a chain that replays a journal (chain-journal.ts); default now. */
  initialDate?: string;
}

export interface DevChain {
  /** JSON-RPC URL, http://127.0.0.1:<port> */
  url: string;
  port: number;
  chainId: number;
  /** Private keys of the funded dev accounts, in Hardhat's order (account 0 first). */
  accounts: string[];
  /** Stops the chain and waits for the process to exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a local development chain (`hardhat node`, in-memory, automine) as a child process and resolves once it
 * answers `eth_chainId`. The child is killed by stop(), when this process exits, and (through a preloaded
 * watchdog) when this process dies without running exit handlers. Nothing persists between runs.
 */
export async function startDevChain(opts: DevChainOptions = {}): Promise<DevChain> {
  const port = opts.port ?? Number(process.env.ZKAI_CHAIN_PORT ?? 8545);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ZkaiError('BAD_INPUT', `invalid chain port ${port}`);
  // Checked up front: if another chain already listens there, our readiness probe would get its answer instead.
  await assertPortFree(port);

  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      '--require',
      WATCHDOG,
      '--require',
      KEEPALIVE,
      HARDHAT_CLI,
      '--config',
      HARDHAT_CONFIG,
      'node',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      cwd: REPO_ROOT,
      env: hardhatEnv(opts.initialDate ? { HARDHAT_ZKAI_INITIAL_DATE: opts.initialDate } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  // Always drain the pipes (a full pipe would stall the chain); keep a tail for error messages.
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.log?.(line);
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);

  let exited = false;
  child.on('error', (err) => onLine(`spawn error: ${err.message}`));
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      process.off('exit', killOnExit);
      resolve();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(timer);
    }
  };

  try {
    const chainId = await waitUntilReady(url, child, () => exited, opts.readyTimeoutMs ?? 60_000);
    return { url, port, chainId, accounts: devAccountKeys(), stop };
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new ZkaiError('CHAIN_ERROR', `dev chain on port ${port} did not start: ${message}\n${tail.join('\n')}`, { port });
  }
}

/** The private keys of Hardhat's funded dev accounts (derived from DEV_MNEMONIC). */
export function devAccountKeys(count = DEV_ACCOUNT_COUNT): string[] {
  const base = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => base.deriveChild(i).privateKey);
}

/**
 * An ethers provider for a local chain: fixed network (no chain-id probe before every call), fast polling (the dev
 * chain mines each transaction at once) and no request cache: ethers otherwise reuses an identical request's answer
 * for 250 ms, so back-to-back transactions from one signer would get the same nonce.
 */
export function localProvider(url: string, chainId = DEV_CHAIN_ID): JsonRpcProvider {
  return new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
}

/** Finds a free TCP port on 127.0.0.1 (listen on 0, read the port, close). Racy by nature; fine for tests. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function assertPortFree(port: number): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `port ${port} on 127.0.0.1 is already in use (${(err as Error).message}); set ZKAI_CHAIN_PORT`, {
      port,
    });
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Asks a JSON-RPC endpoint for its chain id once, giving up after `timeoutMs` (an ethers provider left to detect the
 * network itself retries forever when nothing answers). Throws with the endpoint's error or the HTTP status.
 */
export async function rpcChainId(url: string | URL, timeoutMs: number): Promise<bigint> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: string; error?: { message?: string } };
  if (!body.result) throw new Error(body.error?.message ?? `no result (HTTP ${res.status})`);
  return BigInt(body.result);
}

async function waitUntilReady(url: string, child: ChildProcess, hasExited: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`hardhat node exited with code ${child.exitCode}`);
    try {
      return Number(await rpcChainId(url, 2000));
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`no answer to eth_chainId within ${timeoutMs} ms`);
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      onLine(buf.slice(0, i).trimEnd());
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}
