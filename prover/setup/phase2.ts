import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { cacheDir } from '../../common/config.ts';
import { ZkaiError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { canonicalJson, sha256File, sha256Hex } from '../../common/hash.ts';
import { type CommitmentKey, type KappaContribution, statementVkey } from '../commitment.ts';
import { pickRegisteredPtau } from './ceremony.ts';
import {
  COMMITMENT_KEY_FILE,
  checkKeyAgainstSetup,
  contributeToCommitmentKey,
  LOOKUP_KEY_FILE,
  readCommitmentKeyFile,
} from './commitment-key.ts';
import {
  defaultPtau,
  ensureCircuitSetup,
  type SetupMeta,
  setupDir,
  setupFiles,
  snarkjsTemplate,
  type ZkeyGenerator,
} from './groth16-setup.ts';
import { powerFor } from './ptau.ts';
import { contributeZkey, pickContributionEngine } from './zkey-contribute.ts';

/** snarkjs stores at most 64 bytes of a contribution's name. */
const MAX_NAME_BYTES = 64;

type Log = (msg: string) => void;

async function readMeta(dir: string): Promise<SetupMeta> {
  return JSON.parse(await readFile(path.join(dir, 'setup.json'), 'utf8')) as SetupMeta;
}

/** One process at a time adds a contribution to a setup folder (versions are numbered). */
async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, 'contribute.lock');
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(lock, 'wx');
  } catch {
    throw new ZkaiError('SETUP_BUSY', `another contribution to ${dir} is in progress (remove ${lock} if that process died)`);
  }
  try {
    await fh.writeFile(String(process.pid));
    return await work();
  } finally {
    await fh.close();
    await rm(lock, { force: true });
  }
}

export interface ContributeOptions {
  /** Public name of the contribution (≤ 64 bytes, stored in the zkey). */
  name?: string;
  /** The contributor's own randomness; always mixed with 64 CSPRNG bytes, so weak text cannot weaken it. */
  entropy?: string;
  log?: Log;
  /**
   * The setup folder to contribute to (it must exist), instead of the one of the circuit's default ptau: the folder the
   * circuit's models of record prove with (jobs/pg-contribute.ts), which another node's ptau may have named.
   */
  setupDir?: string;
}

export interface ContributeResult {
  circuitId: string;
  version: number;
  /** blake2b-512 of the contribution, as snarkjs prints it: the contributor publishes it. */
  hash: string;
  name: string;
  zkeyPath: string;
  vkeyPath: string;
  vkeyHash: string;
  solidityVerifierPath: string;
  contributions: { name: string; hash: string }[];
  /**
   * For a circuit with committed public inputs: this contribution's step of κ (commitment-history.ts), whose hash the
   * contributor publishes too; absent when the setup has no commitment key (yet).
   */
  commitmentKey?: { index: number; hash: string; kappa_2: KappaContribution['kappa_2'] };
  /** A LogUp circuit's lookup key, re-randomised the same way. */
  lookupKey?: { index: number; hash: string; kappa_2: KappaContribution['kappa_2'] };
}

/**
 * `zkai setup contribute`: add a phase-2 contribution to a circuit's current zkey (its default ptau's
 * setup; made first if missing). The new zkey, vkey and Solidity verifier get version-numbered names
 * beside the old ones, which are never overwritten; then setup.json (the "current" pointer) is replaced
 * atomically, so a reader sees either the old keys or the new ones, never a mix.
 */
export async function contributePhase2(circuit: BuiltCircuit, opts: ContributeOptions = {}): Promise<ContributeResult> {
  const log = opts.log;
  const name = opts.name ?? 'zkai setup contribute';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new ZkaiError('BAD_INPUT', `--name is at most ${MAX_NAME_BYTES} bytes (snarkjs stores no more)`);
  }
  if (opts.setupDir && !existsSync(path.join(opts.setupDir, 'setup.json')))
    throw new ZkaiError('NOT_FOUND', `${opts.setupDir} holds no setup of ${circuit.id} to contribute to`);
  const setup = opts.setupDir ? { dir: opts.setupDir } : await ensureCircuitSetup(circuit, { log });
  return withLock(setup.dir, async () => {
    const meta = await readMeta(setup.dir); // re-read under the lock
    const before = setupFiles(setup.dir, meta);
    const version = (meta.version ?? meta.contributions.length) + 1;
    const files = { zkey: `circuit-${version}.zkey`, vkey: `vkey-${version}.json`, verifier: `Groth16Verifier-${version}.sol` };
    const out = setupFiles(setup.dir, { ...meta, files });
    // The entropy string is hashed into the RNG seed with 64 more CSPRNG bytes (as snarkjs does): user text + CSPRNG
    // bytes, never user text alone.
    const entropy = `${opts.entropy ?? ''}|${randomBytes(64).toString('hex')}`;
    const contributor = pickContributionEngine();
    log?.(`contributing to ${circuit.id} (version ${meta.version ?? 1} → ${version}, ${contributor.name}) …`);
    const t = performance.now();
    let hashBytes: Uint8Array;
    try {
      hashBytes = (await contributeZkey(before.zkey, out.zkey, { name, randomness: { entropy }, engine: contributor, log })).hash;
    } catch (err) {
      await rm(out.zkey, { force: true });
      throw err;
    }
    const hash = Buffer.from(hashBytes).toString('hex');
    const vkey = (await snarkjs.zKey.exportVerificationKey(out.zkey)) as Record<string, unknown>;
    const solidity = (await snarkjs.zKey.exportSolidityVerifier(out.zkey, {
      groth16: await snarkjsTemplate('verifier_groth16.sol.ejs'),
    })) as string;
    await writeFile(out.vkey, `${JSON.stringify(vkey, null, 2)}\n`);
    await writeFile(out.verifier, solidity);
    // δ is not the only toxic waste of a circuit with committed inputs: κ gets a secret of this contributor's too, its
    // step recorded (with a proof of knowledge) against this zkey contribution, before setup.json points at it.
    const kappa = await contributeToCommitmentKey({ dir: setup.dir, vkey }, { name, zkeyContribution: hash }, log);
    if (kappa) log?.(`commitment key re-randomised (κ contribution #${kappa.index}, hash ${kappa.hash})`);
    // A LogUp circuit's lookup key too (prover/lookup/): whoever knew its κ alone could pass out-of-range lookups.
    const lookupKappa = await contributeToCommitmentKey({ dir: setup.dir, vkey }, { name, zkeyContribution: hash }, log, LOOKUP_KEY_FILE);
    if (lookupKappa) log?.(`lookup key re-randomised (κ contribution #${lookupKappa.index}, hash ${lookupKappa.hash})`);
    const next: SetupMeta = {
      ...meta,
      files,
      version,
      zkeySha256: await sha256File(out.zkey),
      vkeySha256: sha256Hex(canonicalJson(vkey)),
      contributions: [...meta.contributions, { name, hash }],
    };
    await writeFileAtomic(path.join(setup.dir, 'setup.json'), `${JSON.stringify(next, null, 2)}\n`);
    log?.(`contribution added (${((performance.now() - t) / 1000).toFixed(2)}s)`);
    return {
      circuitId: circuit.id,
      version,
      hash,
      name,
      zkeyPath: out.zkey,
      vkeyPath: out.vkey,
      vkeyHash: next.vkeySha256,
      solidityVerifierPath: out.verifier,
      contributions: next.contributions,
      ...(kappa ? { commitmentKey: { index: kappa.index, hash: kappa.hash, kappa_2: kappa.kappa_2 } } : {}),
      ...(lookupKappa ? { lookupKey: { index: lookupKappa.index, hash: lookupKappa.hash, kappa_2: lookupKappa.kappa_2 } } : {}),
    };
  });
}

export interface VerifyResult {
  valid: boolean;
  circuitId: string;
  /** The setup folder verified (setup.json, the zkey, the key files). */
  setupDir: string;
  zkeyPath: string;
  ptau: string;
  /** sha256 of the ptau file the zkey was verified against (setup.json must name the same). */
  ptauSha256: string;
  /** As snarkjs lists them, oldest first. */
  contributions: { index: number; name: string; hash: string }[];
  /** The chain setup.json records agrees with the zkey's. */
  matchesSetupJson: boolean;
  /**
   * For a circuit with committed public inputs (commitkey.json): whether the commitment key belongs to the current
   * verification key (bases = its IC points, one κ throughout), its κ·G2 is the end of a valid history from κ₀ = 1
   * (each step with a proof of knowledge), and that history follows the zkey's contribution chain; absent for
   * other circuits.
   */
  commitmentKey?: 'valid' | 'invalid';
  /** The κ history as the key file holds it (index, name, the zkey contribution it came with, its hash). */
  commitmentKeyHistory?: { index: number; name: string; zkeyContribution: string; hash: string }[];
  /** sha256 of the statement verification key (what bundles and the model's verifier carry) this setup yields. */
  statementVkeyHash?: string;
  /** For a LogUp circuit (lookupkey.json, prover/lookup/): the same checks as commitmentKey, for the lookup key's κ. */
  lookupKey?: 'valid' | 'invalid';
  lookupKeyHistory?: { index: number; name: string; zkeyContribution: string; hash: string }[];
  /** Published hashes the caller expected (`--expect`) that appear in neither chain. */
  missingExpected?: string[];
  errors: string[];
  seconds: number;
}

/** Parse snarkjs's `contribution #N name:` + 4 lines of hex groups (misc.formatHash). */
function parseContribution(msg: string): { index: number; name: string; hash: string } | undefined {
  const m = /^contribution #(\d+) ?(.*):\n([\s0-9a-f]+)$/s.exec(msg);
  if (!m) return undefined;
  return { index: Number(m[1]), name: m[2]!, hash: m[3]!.replace(/\s+/g, '') };
}

/**
 * `zkai setup verify`: snarkjs zkey verify (verifyFromR1cs) of the circuit's current zkey against its
 * r1cs and ptau — recomputes the initial zkey and checks every contribution's proof of knowledge and
 * the final key — and returns the contribution chain as snarkjs read it from the zkey.
 */
export async function verifyPhase2(circuit: BuiltCircuit, opts: { log?: Log; expect?: readonly string[] } = {}): Promise<VerifyResult> {
  const { dir, meta, ptauPath, ptauSha256 } = await currentSetup(circuit, opts.log);
  const zkeyPath = setupFiles(dir, meta).zkey;
  const contributions: VerifyResult['contributions'] = [];
  const errors: string[] = [];
  const logger = {
    debug() {},
    info: (m: unknown) => {
      const c = parseContribution(String(m));
      if (c) contributions.push(c);
    },
    warn: (m: unknown) => opts.log?.(`snarkjs: ${String(m)}`),
    error: (m: unknown) => errors.push(String(m)),
  };
  const t = performance.now();
  let valid: boolean;
  // snarkjs prints some verdicts (e.g. "INVALID(0): deltaAfter does not fillow the public key") with
  // console.log instead of its logger: catch those lines for the report while the check runs.
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (/^INVALID|does not match|[Ii]nvalid/.test(line)) errors.push(line.trim());
    else consoleLog(...args);
  };
  try {
    valid = (await snarkjs.zKey.verifyFromR1cs(circuit.r1csPath, ptauPath, zkeyPath, logger)) === true;
  } catch (err) {
    valid = false;
    errors.push((err as Error).message);
  } finally {
    console.log = consoleLog;
  }
  if (!valid && errors.length === 0)
    errors.push('snarkjs zkey verify rejected the zkey (it does not follow from the r1cs, the ptau and its contributions)');
  contributions.sort((a, b) => a.index - b.index);
  // setup.json names the ceremony a listing records (its sha256): it must be the file the zkey was verified against.
  if (meta.ptau.sha256 !== ptauSha256) {
    valid = false;
    errors.push(`setup.json names the ptau sha256 ${meta.ptau.sha256}; the zkey was verified against ${ptauPath}, sha256 ${ptauSha256}`);
  }
  const ck = await checkSetupCommitmentKey(dir, meta, contributions, errors);
  if (ck.commitmentKey === 'invalid' || ck.lookupKey === 'invalid') valid = false;
  // A published hash (a contributor's zkey or κ contribution) must be in the chains: a wholesale rewrite drops it.
  const known = new Set([
    ...contributions.map((c) => c.hash),
    ...(ck.commitmentKeyHistory ?? []).map((c) => c.hash),
    ...(ck.lookupKeyHistory ?? []).map((c) => c.hash),
  ]);
  const missingExpected = (opts.expect ?? []).map((h) => h.trim().toLowerCase()).filter((h) => !known.has(h));
  if (missingExpected.length > 0) {
    valid = false;
    errors.push(`published contribution hash(es) not in the chain: ${missingExpected.join(', ')}`);
  }
  const matchesSetupJson =
    contributions.length === meta.contributions.length && contributions.every((c, i) => c.hash === meta.contributions[i]!.hash);
  return {
    valid,
    circuitId: circuit.id,
    setupDir: dir,
    zkeyPath,
    ptau: ptauPath,
    ptauSha256,
    contributions,
    matchesSetupJson,
    ...ck,
    ...(opts.expect ? { missingExpected } : {}),
    errors,
    seconds: Math.round((performance.now() - t) / 10) / 100,
  };
}

/** A key file of the setup folder checked like commitkey.json: its verdict, its key and the current vkey. */
async function checkSetupKeyFile(
  dir: string,
  meta: SetupMeta,
  file: string,
  what: string,
  zkeyChain: readonly { hash: string }[],
  errors: string[],
): Promise<{ ok: boolean; key?: CommitmentKey; vkey?: Record<string, unknown>; history?: VerifyResult['commitmentKeyHistory'] }> {
  const reasons: string[] = [];
  let key: CommitmentKey | undefined;
  let vkey: Record<string, unknown> | undefined;
  try {
    vkey = JSON.parse(await readFile(setupFiles(dir, meta).vkey, 'utf8')) as Record<string, unknown>;
    key = await readCommitmentKeyFile(file);
  } catch (err) {
    reasons.push((err as Error).message);
  }
  const ok = key !== undefined && vkey !== undefined && (await checkKeyAgainstSetup(vkey, key, zkeyChain, reasons));
  for (const r of reasons) errors.push(`${what} ${file}: ${r}`);
  const history = Array.isArray(key?.history)
    ? key.history.map((c) => ({ index: c.index, name: c.name, zkeyContribution: c.zkeyContribution, hash: c.hash }))
    : undefined;
  return { ok, ...(key ? { key } : {}), ...(vkey ? { vkey } : {}), ...(history ? { history } : {}) };
}

/**
 * The commitment key's and the lookup key's checks for verifyPhase2 (each absent when the setup has none): against the
 * current vkey, its κ history, and the history against the zkey's contribution chain (commitment-key.ts
 * checkKeyAgainstSetup); a failure's reason goes to errors.
 */
async function checkSetupCommitmentKey(
  dir: string,
  meta: SetupMeta,
  zkeyChain: readonly { hash: string }[],
  errors: string[],
): Promise<Pick<VerifyResult, 'commitmentKey' | 'commitmentKeyHistory' | 'statementVkeyHash' | 'lookupKey' | 'lookupKeyHistory'>> {
  const out: Pick<VerifyResult, 'commitmentKey' | 'commitmentKeyHistory' | 'statementVkeyHash' | 'lookupKey' | 'lookupKeyHistory'> = {};
  const file = path.join(dir, COMMITMENT_KEY_FILE);
  if (existsSync(file)) {
    const c = await checkSetupKeyFile(dir, meta, file, 'commitment key', zkeyChain, errors);
    out.commitmentKey = c.ok ? 'valid' : 'invalid';
    if (c.history) out.commitmentKeyHistory = c.history;
    if (c.ok) out.statementVkeyHash = sha256Hex(canonicalJson(statementVkey(c.vkey!, c.key!)));
  }
  const lookupFile = path.join(dir, LOOKUP_KEY_FILE);
  if (existsSync(lookupFile)) {
    const c = await checkSetupKeyFile(dir, meta, lookupFile, 'lookup key', zkeyChain, errors);
    out.lookupKey = c.ok ? 'valid' : 'invalid';
    if (c.history) out.lookupKeyHistory = c.history;
  }
  return out;
}

export interface SetupStatus {
  circuitId: string;
  r1csSha256: string;
  ptau: SetupMeta['ptau'] & { path: string };
  insecure: boolean;
  version: number;
  contributions: { name: string; hash: string }[];
  vkeySha256: string;
  zkeySha256: string;
  circuitHash: string;
  /** Who wrote the initial zkey that the contributions build on. */
  zkeyGenerator: ZkeyGenerator;
  paths: { circuit: string; r1cs: string; setup: string; zkey: string; vkey: string; verifier: string };
  /** A circuit with committed inputs: κ's history as commitkey.json lists it (not checked here: `setup verify` does). */
  commitmentKey?: { file: string; history: { index: number; name: string; hash: string }[] };
  warning?: string;
}

/**
 * The setup a circuit gets by default (see defaultPtau). Nothing is generated: a missing dev ptau or
 * setup folder is NOT_FOUND (inspecting keys must not make new ones).
 */
async function currentSetup(circuit: BuiltCircuit, log?: Log) {
  const power = powerFor(circuit.nConstraints, circuit.nPublic);
  if (!process.env.ZKAI_PTAU && !existsSync(cacheDir('ptau', `dev-${power}.ptau`))) {
    if (!(await pickRegisteredPtau(power))) throw notSetUp(circuit);
  }
  const ptau = await defaultPtau(power, log);
  const dir = setupDir(circuit, ptau);
  if (!existsSync(path.join(dir, 'setup.json'))) throw notSetUp(circuit);
  return { dir, meta: await readMeta(dir), ptauPath: ptau.path, ptauSha256: ptau.sha256 };
}

function notSetUp(circuit: BuiltCircuit): ZkaiError {
  return new ZkaiError('NOT_FOUND', `${circuit.id} has no Groth16 setup here yet (zkai setup contribute ${circuit.id} makes one)`);
}

/** `zkai setup status`: what a circuit's current keys are made of, read from setup.json (nothing is generated). */
export async function setupStatus(circuit: BuiltCircuit, opts: { log?: Log } = {}): Promise<SetupStatus> {
  const { dir, meta, ptauPath } = await currentSetup(circuit, opts.log);
  const files = setupFiles(dir, meta);
  const keyFile = path.join(dir, COMMITMENT_KEY_FILE);
  const key = await readCommitmentKeyFile(keyFile);
  return {
    circuitId: circuit.id,
    r1csSha256: meta.r1csSha256,
    ptau: { ...meta.ptau, path: ptauPath },
    insecure: meta.insecure,
    version: meta.version ?? 1,
    contributions: meta.contributions,
    vkeySha256: meta.vkeySha256,
    zkeySha256: meta.zkeySha256,
    circuitHash: meta.circuitHash,
    zkeyGenerator: meta.zkeyGenerator ?? 'snarkjs',
    paths: { circuit: circuit.dir, r1cs: circuit.r1csPath, setup: dir, zkey: files.zkey, vkey: files.vkey, verifier: files.verifier },
    ...(key
      ? { commitmentKey: { file: keyFile, history: (key.history ?? []).map(({ index, name, hash }) => ({ index, name, hash })) } }
      : {}),
    ...(meta.warning ? { warning: meta.warning } : {}),
  };
}
