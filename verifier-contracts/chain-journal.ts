/**
 * A dev chain whose state survives restarts (ZKAI_CHAIN=dev-persistent). Hardhat 2's node keeps its state in memory
 * only, so zkai journals what changes it and replays that at the next start:
 * - the node listens on an internal port; the chain's public port is a small JSON-RPC proxy in front of it;
 * - every state-changing call that succeeds (a transaction, a mined block, a balance set…) is appended to
 *   `journal.ndjson` (one JSON object per line, fsynced) with the timestamp of the block it went into;
 * - at start, a chain whose genesis time is the journal's replays each entry with its recorded timestamp, and each
 *   transaction must get its recorded hash back (signed transactions replay exactly: same nonce, same chain id), else
 *   the start fails rather than serve a chain that differs from the one users saw;
 * - snapshots and reverts (evm_snapshot/evm_revert) are refused: they would rewrite history the journal has written.
 * Contract addresses, balances, storage and block timestamps come back as they were; block numbers too, since
 * every mined block is journaled.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ZkaiError } from '../common/errors.ts';
import { type DevChain, freePort, startDevChain } from './chain.ts';

/** Calls that change the chain's state: journaled when they succeed. */
const JOURNALED = new Set([
  'eth_sendRawTransaction',
  'eth_sendTransaction',
  'evm_mine',
  'hardhat_mine',
  'evm_increaseTime',
  'hardhat_setBalance',
  'hardhat_setCode',
  'hardhat_setStorageAt',
  'hardhat_setNonce',
]);
/** Calls that would make the journal lie. */
const REFUSED = new Set(['evm_snapshot', 'evm_revert', 'hardhat_reset', 'hardhat_dropTransaction', 'evm_setAutomine']);
const TRANSACTIONS = new Set(['eth_sendRawTransaction', 'eth_sendTransaction']);

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown[];
}

interface JournalEntry {
  method: string;
  params: unknown[];
  /** The timestamp of the block the call produced (latest block after it). */
  timestamp: number;
  /** For a transaction: its hash, checked on replay. */
  hash?: string;
}

interface JournalHeader {
  format: 'zkai-dev-chain-journal';
  version: 1;
  /** Genesis time of the chain, ISO 8601: the replaying chain starts there. */
  genesis: string;
}

export interface PersistentChain extends DevChain {
  /** Entries replayed at start (0 for a new chain). */
  replayed: number;
  journalFile: string;
}

/** Starts (or resumes) the persistent dev chain whose journal lives in `dir`. */
export async function startPersistentChain(opts: { port: number; dir: string; log?: (line: string) => void }): Promise<PersistentChain> {
  mkdirSync(opts.dir, { recursive: true });
  const journalFile = path.join(opts.dir, 'journal.ndjson');
  const existing = existsSync(journalFile) ? readJournal(journalFile) : undefined;
  const node = await startDevChain({ port: await freePort(), ...(existing ? { initialDate: existing.header.genesis } : {}) });
  const rpc = (method: string, params: unknown[] = []) => call(node.url, method, params);
  try {
    if (existing) {
      for (const [i, entry] of existing.entries.entries()) await replay(rpc, entry, i, journalFile);
      // New blocks continue from now (never before the last replayed one).
      const latest = Number(((await rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string }).timestamp);
      await rpc('evm_setNextBlockTimestamp', [Math.max(latest + 1, Math.floor(Date.now() / 1000))]);
    } else {
      const genesis = (await rpc('eth_getBlockByNumber', ['0x0', false])) as { timestamp: string };
      const header: JournalHeader = {
        format: 'zkai-dev-chain-journal',
        version: 1,
        genesis: new Date(Number(genesis.timestamp) * 1000).toISOString(),
      };
      appendDurably(journalFile, header);
    }
  } catch (err) {
    await node.stop();
    throw err;
  }
  const proxy = await startProxy(opts.port, node.url, journalFile);
  opts.log?.(`dev chain journal ${journalFile}: ${existing?.entries.length ?? 0} entries replayed`);
  return {
    ...node,
    url: `http://127.0.0.1:${opts.port}`,
    port: opts.port,
    replayed: existing?.entries.length ?? 0,
    journalFile,
    stop: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await node.stop();
    },
  };
}

function readJournal(file: string): { header: JournalHeader; entries: JournalEntry[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  // A line cut short by a crash mid-append is the only one that may be incomplete: the last.
  if (lines.at(-1) !== '') lines.pop();
  const parsed = lines
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new ZkaiError('CHAIN_ERROR', `${file}:${i + 1} is not JSON; the dev chain journal is damaged (delete it for a new chain)`);
      }
    });
  const header = parsed[0] as JournalHeader | undefined;
  if (header?.format !== 'zkai-dev-chain-journal' || header.version !== 1)
    throw new ZkaiError('CHAIN_ERROR', `${file} is not a zkai dev chain journal (version 1)`);
  return { header, entries: parsed.slice(1) as JournalEntry[] };
}

async function replay(rpc: (m: string, p?: unknown[]) => Promise<unknown>, entry: JournalEntry, i: number, file: string): Promise<void> {
  const latest = Number(((await rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string }).timestamp);
  // A call that mines sets its block's time; increaseTime and the set* calls mine nothing.
  if (TRANSACTIONS.has(entry.method) || entry.method === 'evm_mine' || entry.method === 'hardhat_mine') {
    if (entry.timestamp > latest) await rpc('evm_setNextBlockTimestamp', [entry.timestamp]);
  }
  const params = entry.method === 'evm_mine' ? [] : entry.params;
  let result: unknown;
  try {
    result = await rpc(entry.method, params);
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `replaying ${file} entry ${i + 1} (${entry.method}) failed: ${(err as Error).message}`);
  }
  if (entry.hash !== undefined && result !== entry.hash)
    throw new ZkaiError(
      'CHAIN_ERROR',
      `replaying ${file} entry ${i + 1}: the transaction came back as ${String(result)}, recorded as ${entry.hash}; the journal does not replay`,
    );
}

function startProxy(port: number, target: string, journalFile: string): Promise<http.Server> {
  // One request at a time reaches the node through the proxy, so the journal's order is the chain's order.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = (text: string): Promise<string> => {
    const run = queue.then(() => handle(text, target, journalFile));
    queue = run.catch(() => {});
    return run;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void serialised(Buffer.concat(chunks).toString('utf8')).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: err.message } }));
        },
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new ZkaiError('CHAIN_ERROR', `port ${port} on 127.0.0.1 is already in use (${err.message}); set ZKAI_CHAIN_PORT`)),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function handle(text: string, target: string, journalFile: string): Promise<string> {
  let body: RpcRequest | RpcRequest[];
  try {
    body = JSON.parse(text);
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
  }
  const requests = Array.isArray(body) ? body : [body];
  const answers: unknown[] = [];
  for (const request of requests) answers.push(await forward(request, target, journalFile));
  return JSON.stringify(Array.isArray(body) ? answers : answers[0]);
}

async function forward(request: RpcRequest, target: string, journalFile: string): Promise<unknown> {
  const method = typeof request.method === 'string' ? request.method : '';
  if (REFUSED.has(method))
    return {
      jsonrpc: '2.0',
      id: request.id ?? null,
      error: { code: -32601, message: `${method} is not available on the persistent dev chain (its journal keeps every change)` },
    };
  const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const answer = (await res.json()) as { result?: unknown; error?: unknown };
  if (JOURNALED.has(method) && answer.error === undefined) {
    const block = (await call(target, 'eth_getBlockByNumber', ['latest', false])) as { timestamp: string };
    const entry: JournalEntry = { method, params: request.params ?? [], timestamp: Number(block.timestamp) };
    if (TRANSACTIONS.has(method)) entry.hash = String(answer.result);
    appendDurably(journalFile, entry);
  }
  return answer;
}

/** Appends one JSON line and fsyncs it: a transaction the chain answered is never lost by a crash after. */
function appendDurably(file: string, value: unknown): void {
  appendFileSync(file, `${JSON.stringify(value)}\n`);
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function call(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(body.error.message ?? 'JSON-RPC error');
  return body.result;
}
