import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InterfaceAbi } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';

/** verifier-contracts/ (Hardhat's root: contracts/, artifacts/, cache/ live here). */
export const CONTRACTS_ROOT = path.join(REPO_ROOT, 'verifier-contracts');
export const HARDHAT_CONFIG = path.join(CONTRACTS_ROOT, 'hardhat.config.cjs');
export const ARTIFACTS_DIR = path.join(CONTRACTS_ROOT, 'artifacts');
/** Hardhat's CLI entry point, run with our own `node` so no `npx` (and no network) is involved. */
export const HARDHAT_CLI = path.join(REPO_ROOT, 'node_modules', 'hardhat', 'internal', 'cli', 'cli.js');

const LOCK_DIR = path.join(CONTRACTS_ROOT, 'cache', 'zkai-compile.lock');
const LOCK_WAIT_MS = 10 * 60_000;
const COMPILE_TIMEOUT_MS = 5 * 60_000;

/** Environment for Hardhat child processes: never prompt, never phone home. */
export function hardhatEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', HARDHAT_HIDE_SOLIDITY_SURVEY_MESSAGE: 'true', ...extra };
}

export interface CompileOptions {
  log?: (msg: string) => void;
  /** Delete artifacts and cache first (`hardhat clean`), forcing a full recompile. */
  force?: boolean;
  timeoutMs?: number;
}

export interface CompileResult {
  /** Hardhat's own summary line, e.g. "Compiled 3 Solidity files successfully" or "Nothing to compile". */
  summary: string;
  seconds: number;
}

/**
 * Compiles everything under verifier-contracts/contracts (generated verifiers included) with Hardhat, as a child
 * process. Hardhat caches by content, so an unchanged tree costs ~0.2 s. Runs under a cross-process lock so
 * concurrent test files or jobs never write artifacts at the same time.
 */
export async function compileContracts(opts: CompileOptions = {}): Promise<CompileResult> {
  return withCompileLock(() => compileUnlocked(opts));
}

/** compileContracts without taking the lock; for callers that already hold it (see withCompileLock). */
export async function compileUnlocked(opts: CompileOptions = {}): Promise<CompileResult> {
  const started = performance.now();
  if (opts.force) await runHardhat(['clean'], opts.timeoutMs ?? COMPILE_TIMEOUT_MS);
  const out = await runHardhat(['compile'], opts.timeoutMs ?? COMPILE_TIMEOUT_MS);
  const summary = out.trim().split('\n').filter(Boolean).at(-1) ?? '';
  const seconds = (performance.now() - started) / 1000;
  opts.log?.(`contracts: ${summary} (${seconds.toFixed(1)} s)`);
  return { summary, seconds };
}

async function runHardhat(args: string[], timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, [HARDHAT_CLI, '--config', HARDHAT_CONFIG, ...args], {
    cwd: REPO_ROOT,
    env: hardhatEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) {
    // Hardhat prints solc's diagnostics (file:line: message) on stderr; keep them whole, they are the useful part.
    throw new ZkaiError('CONTRACT_COMPILE_FAILED', `hardhat ${args.join(' ')} failed (exit ${code}):\n${(stderr || stdout).trim()}`, {
      exitCode: code,
    });
  }
  return stdout;
}

/**
 * Runs `fn` holding the contracts compile lock (a directory under verifier-contracts/cache, holding the owner's
 * pid). Anything that writes into contracts/ and then compiles must hold it for the whole sequence. A lock left by
 * a dead process is taken over.
 */
export async function withCompileLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(LOCK_DIR), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await lockIsStale()) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ZkaiError('CONTRACT_COMPILE_FAILED', `timed out waiting for the contracts compile lock ${LOCK_DIR}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

async function lockIsStale(): Promise<boolean> {
  const pid = Number(await readFile(path.join(LOCK_DIR, 'pid'), 'utf8').catch(() => ''));
  if (!pid) {
    // Owner died between mkdir and writing its pid, or is just about to write it: give it a few seconds.
    const st = await stat(LOCK_DIR).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs > 10_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A compiled contract, as Hardhat writes it to artifacts/. */
export interface ContractArtifact {
  contractName: string;
  sourceName: string;
  abi: InterfaceAbi;
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
  deployedBytecode: string;
}

/**
 * Reads the artifact of the contract called `name` from verifier-contracts/artifacts (after compileContracts).
 * Names are unique across our sources (generated verifiers are renamed for that reason).
 */
export async function loadArtifact(name: string): Promise<ContractArtifact> {
  const matches = await findArtifactFiles(path.join(ARTIFACTS_DIR, 'contracts'), `${name}.json`);
  if (matches.length === 0) {
    throw new ZkaiError('NOT_FOUND', `no compiled artifact for contract ${name} under ${ARTIFACTS_DIR}: run compileContracts() first`);
  }
  if (matches.length > 1) {
    throw new ZkaiError('INTERNAL', `contract name ${name} is ambiguous: ${matches.join(', ')}`);
  }
  const json = JSON.parse(await readFile(matches[0], 'utf8')) as ContractArtifact;
  return {
    contractName: json.contractName,
    sourceName: json.sourceName,
    abi: json.abi,
    bytecode: json.bytecode,
    deployedBytecode: json.deployedBytecode,
  };
}

async function findArtifactFiles(dir: string, fileName: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) found.push(...(await findArtifactFiles(p, fileName)));
    else if (e.name === fileName) found.push(p);
  }
  return found;
}
