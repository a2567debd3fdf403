import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { ZkaiError } from '../../common/errors.ts';
import { canonicalJson, sha256File, sha256Hex } from '../../common/hash.ts';
import type { OnSetupStep } from '../progress.ts';
import { pickRegisteredPtau, readRegistry } from './ceremony.ts';
import { DEV_PTAU_WARNING, ensureDevPtau } from './dev-ptau.ts';
import { importPtau, type PtauInfo, powerFor } from './ptau.ts';
import { ffjavascriptSetupEngine, nativeSetupEngine, type SetupEngine } from './setup-engine.ts';
import { contributeZkey, pickContributionEngine } from './zkey-contribute.ts';
import { newZkey } from './zkey-new.ts';

/** The Groth16 keys of one circuit for one ptau, ready to prove and verify with. */
export interface CircuitSetup {
  circuitId: string;
  dir: string;
  zkeyPath: string;
  vkeyPath: string;
  /** snarkjs verification key JSON. */
  vkey: Record<string, unknown>;
  /** sha256Hex(canonicalJson(vkey)): names the verification key in bundles and on chain. */
  vkeyHash: string;
  solidityVerifierPath: string;
  /** True when made from a development ptau: proofs are then not trustworthy to third parties. */
  insecure: boolean;
  ptauLabel: string;
}

/** What `setup.json` records next to the keys. */
export interface SetupMeta {
  circuitId: string;
  r1csSha256: string;
  ptau: { label: string; sha256: string; insecure: boolean; source: PtauInfo['source']; power: number };
  zkeySha256: string;
  vkeySha256: string;
  /** snarkjs's circuit hash (blake2b of the initial zkey), as `snarkjs zkey verify` prints it. */
  circuitHash: string;
  contributions: { name: string; hash: string }[];
  /** Who wrote the initial zkey (absent in older setups: snarkjs). The bytes are the same either way. */
  zkeyGenerator?: ZkeyGenerator;
  /** File names of the current keys in the setup folder (absent: the initial circuit.zkey, vkey.json, Groth16Verifier.sol). */
  files?: { zkey: string; vkey: string; verifier: string };
  /** 1 for the initial keys, +1 per `zkai setup contribute`. */
  version?: number;
  insecure: boolean;
  warning?: string;
  createdAt: string;
  seconds: number;
}

export interface SetupOptions {
  /** The ptau to use; default: $ZKAI_PTAU (a user's prepared file), else a cached dev ptau of the right power. */
  ptau?: PtauInfo;
  log?: (msg: string) => void;
  /**
   * Told as the setup enters each step (prover/progress.ts SETUP_STEPS: ptau when none is given, then, unless cached,
   * zkey, contribution with its points counted, keys): a compile's job progress.
   */
  onStep?: OnSetupStep;
}

const CONTRIBUTION_NAME = 'zkai phase-2 contribution (OS CSPRNG entropy)';

/** zkai's zkey generator on the native engine or on ffjavascript, or `snarkjs zkey new`. */
export type ZkeyGenerator = 'zkai-native' | 'zkai-ffjavascript' | 'snarkjs';

/**
 * Which generator makes initial zkeys: ZKAI_ZKEY_GENERATOR=snarkjs forces snarkjs, =zkai forces zkai's
 * (ffjavascript when the native engine is absent); by default zkai's when the native engine is built
 * (its output is byte-identical to snarkjs's, minutes faster), else snarkjs.
 */
export async function pickZkeyGenerator(): Promise<{ generator: ZkeyGenerator; engine?: SetupEngine }> {
  const forced = process.env.ZKAI_ZKEY_GENERATOR;
  if (forced && forced !== 'snarkjs' && forced !== 'zkai') {
    throw new ZkaiError('BAD_INPUT', `ZKAI_ZKEY_GENERATOR must be snarkjs or zkai, got ${JSON.stringify(forced)}`);
  }
  if (forced === 'snarkjs') return { generator: 'snarkjs' };
  const native = nativeSetupEngine();
  if (native) return { generator: 'zkai-native', engine: native };
  if (forced === 'zkai') return { generator: 'zkai-ffjavascript', engine: ffjavascriptSetupEngine };
  return { generator: 'snarkjs' };
}

const require = createRequire(import.meta.url);

/** A file from snarkjs's templates folder (the Solidity verifier template). */
export function snarkjsTemplate(name: string): Promise<string> {
  // snarkjs exports only its entry point; walk up from it to the package root.
  let dir = path.dirname(require.resolve('snarkjs'));
  while (!existsSync(path.join(dir, 'templates'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new ZkaiError('INTERNAL', 'cannot find the snarkjs templates folder');
    dir = up;
  }
  return readFile(path.join(dir, 'templates', name), 'utf8');
}

/** snarkjs reports some failures only through its logger (and returns -1): collect them. */
export function snarkjsLogger(log?: (msg: string) => void) {
  const errors: string[] = [];
  return {
    errors,
    logger: {
      debug() {},
      info() {},
      warn: (m: unknown) => log?.(`snarkjs: ${String(m)}`),
      error: (m: unknown) => errors.push(String(m)),
    },
  };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * The ptau a setup uses when none is given: $ZKAI_PTAU (imported and checked), else the smallest
 * big-enough ceremony registered with `zkai setup import` (never an insecure one), else a dev ptau.
 * A registered ceremony changes which keys a circuit gets (the setup folder is named by the ptau).
 */
export async function defaultPtau(power: number, log?: (msg: string) => void): Promise<PtauInfo> {
  const userPath = process.env.ZKAI_PTAU;
  if (userPath) {
    log?.(`using ptau from ZKAI_PTAU=${userPath}`);
    const info = await importPtau(userPath);
    // Name a registered ceremony by its registry label (e.g. hermez-final-12) rather than its file name.
    const registered = info.insecure ? undefined : (await readRegistry()).find((c) => c.sha256 === info.sha256 && !c.insecure);
    return registered ? { ...info, label: registered.label } : info;
  }
  const registered = await pickRegisteredPtau(power);
  if (registered) {
    log?.(`using registered ceremony ${registered.label} (2^${registered.power}) from ${registered.path}`);
    return registered;
  }
  log?.(`using development ptau dev-${power} (no registered ceremony of power ≥ ${power}; see zkai setup import)`);
  return ensureDevPtau(power, { log });
}

/** The folder holding a circuit's keys for one ptau. */
export function setupDir(circuit: BuiltCircuit, ptau: PtauInfo): string {
  return path.join(circuit.dir, `setup-${ptau.sha256.slice(0, 12)}`);
}

/** Current key files of a setup folder (setup.json is the pointer that `zkai setup contribute` moves). */
export function setupFiles(dir: string, meta: SetupMeta): { zkey: string; vkey: string; verifier: string } {
  const f = meta.files ?? { zkey: 'circuit.zkey', vkey: 'vkey.json', verifier: 'Groth16Verifier.sol' };
  return { zkey: path.join(dir, f.zkey), vkey: path.join(dir, f.vkey), verifier: path.join(dir, f.verifier) };
}

/** Load the keys setup.json points at. */
export async function loadSetup(dir: string, meta: SetupMeta): Promise<CircuitSetup> {
  const files = setupFiles(dir, meta);
  const vkeyPath = files.vkey;
  const vkey = JSON.parse(await readFile(vkeyPath, 'utf8')) as Record<string, unknown>;
  return {
    circuitId: meta.circuitId,
    dir,
    zkeyPath: files.zkey,
    vkeyPath,
    vkey,
    vkeyHash: sha256Hex(canonicalJson(vkey)),
    solidityVerifierPath: files.verifier,
    insecure: meta.insecure,
    ptauLabel: meta.ptau.label,
  };
}

/**
 * Groth16 keys for a built circuit: phase-2 zkey from the ptau, one contribution with fresh
 * OS entropy (so δ is not the generator and the zkey is not reproducible from public data),
 * the verification key and a Solidity verifier. Cached under
 * `<circuit.dir>/setup-<first 12 hex of the ptau sha256>/`, written atomically (temp dir + rename).
 */
export async function ensureCircuitSetup(circuit: BuiltCircuit, opts: SetupOptions = {}): Promise<CircuitSetup> {
  const log = opts.log;
  const onStep: OnSetupStep = opts.onStep ?? (() => {});
  const needed = powerFor(circuit.nConstraints, circuit.nPublic);
  if (!opts.ptau) onStep('ptau');
  const ptau = opts.ptau ?? (await defaultPtau(needed, log));
  if (ptau.power < needed) {
    throw new ZkaiError(
      'PTAU_TOO_SMALL',
      `${circuit.id} needs a ptau of power ≥ ${needed} (${circuit.nConstraints} constraints + ${circuit.nPublic} public), ${ptau.label} has ${ptau.power}`,
      { needed, have: ptau.power },
    );
  }
  if (ptau.insecure) {
    log?.(`WARNING: the Groth16 keys of ${circuit.id} come from ${ptau.label}. ${DEV_PTAU_WARNING}`);
  }

  log?.(`ptau for ${circuit.id}: ${ptau.label}`);
  const dir = setupDir(circuit, ptau);
  const metaPath = path.join(dir, 'setup.json');
  if (existsSync(metaPath)) {
    log?.(`Groth16 setup for ${circuit.id} with ${ptau.label}: cached in ${dir}`);
    return loadSetup(dir, JSON.parse(await readFile(metaPath, 'utf8')) as SetupMeta);
  }

  const started = performance.now();
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work();
    log?.(`  ${what} (${((performance.now() - t) / 1000).toFixed(2)}s)`);
    return result;
  };
  log?.(`Groth16 setup for ${circuit.id} with ${ptau.label} …`);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    const zkey0 = path.join(tmp, 'circuit_0000.zkey');
    const zkey = path.join(tmp, 'circuit.zkey');
    const sl = snarkjsLogger(log);
    // A domain of 2^28 (the field's limit) is laid out differently by snarkjs: only snarkjs handles it.
    const { generator, engine } = needed < 28 ? await pickZkeyGenerator() : { generator: 'snarkjs' as const, engine: undefined };
    onStep('zkey');
    const circuitHash = engine
      ? (
          await step(`phase-2 zkey from r1cs + ptau (zkai zkey generator, ${engine.name})`, () =>
            newZkey(circuit.r1csPath, ptau.path, zkey0, engine, { log }),
          )
        ).csHash
      : await step('phase-2 zkey from r1cs + ptau (snarkjs zkey new)', () =>
          snarkjs.zKey.newZKey(circuit.r1csPath, ptau.path, zkey0, sl.logger),
        );
    if (!(circuitHash instanceof Uint8Array)) {
      throw new ZkaiError('BAD_PTAU', `snarkjs could not make a zkey from ${ptau.label}: ${sl.errors.join('; ') || 'unknown error'}`);
    }
    const contributor = pickContributionEngine();
    onStep('contribution');
    const onProgress = (done: number, total: number) => onStep('contribution', done, total);
    const { hash: contributionHash } = await step(`phase-2 contribution (zkai, ${contributor.name})`, () =>
      contributeZkey(zkey0, zkey, { name: CONTRIBUTION_NAME, randomness: { entropy: '' }, engine: contributor, log, onProgress }),
    );
    await rm(zkey0);
    onStep('keys');
    const vkey = (await step('verification key', () => snarkjs.zKey.exportVerificationKey(zkey))) as Record<string, unknown>;
    const template = await snarkjsTemplate('verifier_groth16.sol.ejs');
    const solidity = (await step('Solidity verifier', () => snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }))) as string;
    await writeFile(path.join(tmp, 'vkey.json'), `${JSON.stringify(vkey, null, 2)}\n`);
    await writeFile(path.join(tmp, 'Groth16Verifier.sol'), solidity);
    const meta: SetupMeta = {
      circuitId: circuit.id,
      r1csSha256: await sha256File(circuit.r1csPath),
      ptau: { label: ptau.label, sha256: ptau.sha256, insecure: ptau.insecure, source: ptau.source, power: ptau.power },
      zkeySha256: await sha256File(zkey),
      vkeySha256: sha256Hex(canonicalJson(vkey)),
      circuitHash: hex(circuitHash),
      contributions: [{ name: CONTRIBUTION_NAME, hash: hex(contributionHash) }],
      zkeyGenerator: generator,
      version: 1,
      insecure: ptau.insecure,
      ...(ptau.insecure ? { warning: DEV_PTAU_WARNING } : {}),
      createdAt: new Date().toISOString(),
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
    await writeFile(path.join(tmp, 'setup.json'), `${JSON.stringify(meta, null, 2)}\n`);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished first: use its keys (a different contribution, equally valid).
      if (!existsSync(metaPath)) throw err;
    }
    log?.(`Groth16 setup for ${circuit.id} done (${meta.seconds}s)`);
    return loadSetup(dir, JSON.parse(await readFile(metaPath, 'utf8')) as SetupMeta);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
