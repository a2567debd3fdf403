/**
 * The proof bundle: one self-describing JSON file carrying everything needed to check a proof offline
 * (verification key included), its public signals by name, and how it was made.
 *
 * parseBundle checks shape and internal consistency only (cheap, no curve arithmetic); whether the proof
 * is valid is verify.ts's job.
 */
import { MEMBERSHIP_PUBLIC_SIGNALS } from '../circuits/membership.ts';
import { BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import type { PublicInputCommitment } from './commitment.ts';

export const BUNDLE_FORMAT = 'zkai-proof-bundle';
export const BUNDLE_VERSION = 1;

/** membership-batch: several records of one dataset in one proof (prover/membership-batch.ts). */
export type BundleKind = 'membership' | 'membership-batch' | 'inference';

export interface BundleMetadata {
  /** ISO 8601 time the bundle was made. */
  createdAt: string;
  /** What made the proof, e.g. "snarkjs@0.7.6" or "zkai-pool/cpu". */
  engine: string;
  provingMs?: number;
  /** true when the setup came from a locally generated (insecure) powers of tau. Never omitted. */
  insecureSetup: boolean;
  /** Free-form description of the setup (ptau name/hash, contributions). */
  setup?: string;
  [k: string]: unknown;
}

export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  kind: BundleKind;
  circuitId: string;
  /** sha256Hex(canonicalJson(vkey)): what a contract or registry pins. */
  vkeyHash: string;
  /** snarkjs verification key JSON, so verification works offline. */
  vkey: Record<string, unknown>;
  /** snarkjs proof JSON {pi_a, pi_b, pi_c, protocol, curve}. */
  proof: Record<string, unknown>;
  /** Decimal strings, in snarkjs (circuit) order. */
  publicSignals: string[];
  /** The same signals by name; address-valued signals (membership: contributor) as 0x + 40 hex digits. */
  public: Record<string, string>;
  /**
   * Present exactly when vkey has `zkai_commitment` (a circuit with committed public inputs: Pedersen model
   * weights): the commitment W the proof is checked against (IC₀ + W) and its proof of knowledge. See commitment.ts.
   */
  commitment?: PublicInputCommitment;
  /**
   * Present exactly when vkey has `zkai_lookup` (a model circuit with LogUp range checks, prover/lookup/): the
   * commitment D to the looked-up limbs and multiplicities and its proof of knowledge; α = H(D) is a statement signal.
   */
  lookupCommitment?: PublicInputCommitment;
  metadata: BundleMetadata;
}

export interface BundleNaming {
  /** Names of the public signals, in order. Default: the membership names for kind "membership", else the key order of `public`. */
  signalNames?: readonly string[];
  /**
   * Which named signals are Ethereum addresses (written 0x…, a uint160). Default: ["contributor"] for membership;
   * ["binding"] for inference (the registrant a model proof is bound to, see circuits/model/codegen.ts).
   */
  addressSignals?: readonly string[];
}

export interface MakeBundleInput extends BundleNaming {
  kind: BundleKind;
  circuitId: string;
  vkey: object;
  proof: object;
  publicSignals: readonly string[];
  /** The named signals, if the caller already has them; checked against publicSignals. Default: derived from the names. */
  public?: Record<string, string>;
  /** For a statement vkey (`zkai_commitment`): the commitment the proof is checked against. */
  commitment?: PublicInputCommitment;
  /** For a LogUp statement vkey (`zkai_lookup`): the lookup commitment D. */
  lookupCommitment?: PublicInputCommitment;
  metadata: Omit<BundleMetadata, 'createdAt'> & { createdAt?: string };
}

export const TOP_LEVEL_KEYS = [
  'format',
  'version',
  'kind',
  'circuitId',
  'vkeyHash',
  'vkey',
  'proof',
  'publicSignals',
  'public',
  'metadata',
];
/** Top-level keys a bundle may have besides TOP_LEVEL_KEYS. */
const OPTIONAL_KEYS = ['commitment', 'lookupCommitment'];
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
export const HEX64 = /^[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const CIRCUIT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SIGNAL_NAME = /^[A-Za-z_][A-Za-z0-9_.[\]]{0,127}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Most public signals a bundle's key may declare (bundle-schema.ts says the same to request validation). */
export const MAX_SIGNALS = 4096;

/**
 * The most public signals a statement zkai makes may have: `POST /v1/verify` refuses longer bundles before any curve
 * arithmetic, and compileModel refuses a model whose statement would be longer (MODEL_TOO_LARGE), so every bundle the
 * service makes can be verified by it. The membership statement has 6 signals, the digits models about 15.
 */
export const MAX_STATEMENT_SIGNALS = 256;

function bad(field: string, message: string): never {
  throw new ZkaiError('BAD_BUNDLE', `bundle.${field}: ${message}`, { field });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function decimalString(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DECIMAL.test(v)) bad(field, `expected a decimal string, got ${show(v)}`);
  return v;
}

function decimalArray(v: unknown, length: number, field: string): void {
  if (!Array.isArray(v) || v.length !== length) bad(field, `expected an array of ${length} decimal strings`);
  for (const [i, x] of v.entries()) decimalString(x, `${field}[${i}]`);
}

function g1Shape(v: unknown, field: string): void {
  decimalArray(v, 3, field);
}

function g2Shape(v: unknown, field: string): void {
  if (!Array.isArray(v) || v.length !== 3) bad(field, 'expected an array of 3 [c0, c1] pairs');
  for (const [i, x] of v.entries()) decimalArray(x, 2, `${field}[${i}]`);
}

/** The snarkjs Groth16 vkey shape (curve membership is checked by the verifiers, not here). */
function vkeyShape(v: unknown): number {
  if (!isRecord(v)) bad('vkey', 'expected an object');
  if (v.protocol !== 'groth16') bad('vkey.protocol', `expected "groth16", got ${show(v.protocol)}`);
  if (v.curve !== 'bn128') bad('vkey.curve', `expected "bn128", got ${show(v.curve)}`);
  const n = v.nPublic;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_SIGNALS)
    bad('vkey.nPublic', `expected an integer 0..${MAX_SIGNALS}`);
  g1Shape(v.vk_alpha_1, 'vkey.vk_alpha_1');
  for (const k of ['vk_beta_2', 'vk_gamma_2', 'vk_delta_2']) g2Shape(v[k], `vkey.${k}`);
  if (!Array.isArray(v.IC) || v.IC.length !== n + 1) bad('vkey.IC', `expected nPublic + 1 = ${n + 1} points`);
  for (const [i, p] of v.IC.entries()) g1Shape(p, `vkey.IC[${i}]`);
  return n;
}

/** The sizes of the key's committed sets (zkai_commitment, zkai_lookup), each shape-checked. */
function committedSetSizes(vkey: Record<string, unknown>): number {
  let total = 0;
  for (const set of ['zkai_commitment', 'zkai_lookup']) {
    const info = vkey[set];
    if (info === undefined) continue;
    if (!isRecord(info)) bad(`vkey.${set}`, 'expected an object');
    g2Shape(info.kappa_2, `vkey.${set}.kappa_2`);
    if (!Array.isArray(info.publicIndices) || info.publicIndices.some((i) => !Number.isSafeInteger(i) || i < 0)) {
      bad(`vkey.${set}.publicIndices`, 'expected an array of non-negative integers');
    }
    total += info.publicIndices.length;
  }
  for (const set of ['zkai_commitment', 'zkai_lookup']) {
    const info = vkey[set] as Record<string, unknown> | undefined;
    if (info !== undefined && info.circuitPublic !== (vkey.nPublic as number) + total) {
      bad(`vkey.${set}.circuitPublic`, 'expected nPublic + the number of committed inputs');
    }
  }
  return total;
}

/**
 * `commitment` is there exactly when the vkey is a statement key (`zkai_commitment`), `lookupCommitment` exactly
 * when it is a LogUp key (`zkai_lookup`), each as two G1 points.
 */
function commitmentShape(vkey: Record<string, unknown>, v: unknown, lookup: unknown): void {
  committedSetSizes(vkey);
  for (const [field, set, value] of [
    ['commitment', 'zkai_commitment', v],
    ['lookupCommitment', 'zkai_lookup', lookup],
  ] as const) {
    if (vkey[set] === undefined) {
      if (value !== undefined) bad(field, `only a bundle whose vkey has ${set} carries a ${field}`);
      continue;
    }
    if (!isRecord(value)) bad(field, `expected { point, knowledge } (the vkey has ${set})`);
    for (const k of Object.keys(value)) if (k !== 'point' && k !== 'knowledge') bad(`${field}.${k}`, 'unknown field');
    g1Shape(value.point, `${field}.point`);
    g1Shape(value.knowledge, `${field}.knowledge`);
  }
}

function proofShape(v: unknown): void {
  if (!isRecord(v)) bad('proof', 'expected an object');
  if (v.protocol !== 'groth16') bad('proof.protocol', `expected "groth16", got ${show(v.protocol)}`);
  if (v.curve !== 'bn128') bad('proof.curve', `expected "bn128", got ${show(v.curve)}`);
  g1Shape(v.pi_a, 'proof.pi_a');
  g2Shape(v.pi_b, 'proof.pi_b');
  g1Shape(v.pi_c, 'proof.pi_c');
}

/** ISO 8601 date-time with a real calendar date (Date.parse alone rolls 2024-02-31 over to March). */
function isIsoDateTime(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m || Number.isNaN(Date.parse(s))) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function metadataShape(v: unknown): BundleMetadata {
  if (!isRecord(v)) bad('metadata', 'expected an object');
  if (typeof v.createdAt !== 'string' || !isIsoDateTime(v.createdAt)) {
    bad('metadata.createdAt', `expected an ISO 8601 date-time, got ${show(v.createdAt)}`);
  }
  if (typeof v.engine !== 'string' || v.engine.length === 0 || v.engine.length > 200) bad('metadata.engine', 'expected a non-empty string');
  if (v.provingMs !== undefined && (typeof v.provingMs !== 'number' || !Number.isFinite(v.provingMs) || v.provingMs < 0)) {
    bad('metadata.provingMs', `expected a non-negative number, got ${show(v.provingMs)}`);
  }
  if (typeof v.insecureSetup !== 'boolean') bad('metadata.insecureSetup', 'expected a boolean (it must say whether the setup is insecure)');
  if (v.setup !== undefined && typeof v.setup !== 'string') bad('metadata.setup', 'expected a string');
  return v as BundleMetadata;
}

function namingFor(
  kind: BundleKind,
  pub: Record<string, string>,
  naming: BundleNaming,
): { names: readonly string[]; addresses: ReadonlySet<string> } {
  const names = naming.signalNames ?? (kind === 'membership' ? MEMBERSHIP_PUBLIC_SIGNALS : Object.keys(pub));
  const addresses = new Set(
    naming.addressSignals ?? (kind === 'membership' ? ['contributor'] : kind === 'membership-batch' ? [] : ['binding']),
  );
  return { names, addresses };
}

/** The `public` value for one signal: the decimal itself, or 0x + 40 lowercase hex for an address signal. */
function namedValue(name: string, signal: string, addresses: ReadonlySet<string>): string {
  if (!addresses.has(name)) return signal;
  const v = BigInt(signal);
  if (v >= 1n << 160n)
    throw new ZkaiError('BAD_BUNDLE', `public signal ${name} = ${signal} is not a 160-bit address`, { field: `public.${name}` });
  return `0x${v.toString(16).padStart(40, '0')}`;
}

/**
 * Parses and strictly validates an untrusted proof bundle (e.g. a request body or a file). Throws
 * ZkaiError('BAD_BUNDLE') naming the first bad field. Checks: every field's type and format, no unknown
 * top-level fields, publicSignals count = vkey.nPublic, `public` equal to publicSignals under the
 * signal names, and vkeyHash = sha256(canonicalJson(vkey)). Does not check the proof itself.
 */
export function parseBundle(json: unknown, naming: BundleNaming = {}): ProofBundle {
  if (!isRecord(json)) throw new ZkaiError('BAD_BUNDLE', 'bundle: expected a JSON object');
  for (const k of Object.keys(json)) if (!TOP_LEVEL_KEYS.includes(k) && !OPTIONAL_KEYS.includes(k)) bad(k, 'unknown field');
  if (json.format !== BUNDLE_FORMAT) bad('format', `expected "${BUNDLE_FORMAT}", got ${show(json.format)}`);
  if (json.version !== BUNDLE_VERSION) bad('version', `unsupported version ${show(json.version)} (this build reads ${BUNDLE_VERSION})`);
  if (json.kind !== 'membership' && json.kind !== 'membership-batch' && json.kind !== 'inference') {
    bad('kind', `expected "membership", "membership-batch" or "inference", got ${show(json.kind)}`);
  }
  const kind = json.kind;
  if (typeof json.circuitId !== 'string' || !CIRCUIT_ID.test(json.circuitId))
    bad('circuitId', `expected a circuit id, got ${show(json.circuitId)}`);
  if (typeof json.vkeyHash !== 'string' || !HEX64.test(json.vkeyHash)) bad('vkeyHash', 'expected 64 lowercase hex digits (sha256)');
  const nPublic = vkeyShape(json.vkey);
  proofShape(json.proof);
  commitmentShape(json.vkey as Record<string, unknown>, json.commitment, json.lookupCommitment);
  const signals = json.publicSignals;
  if (!Array.isArray(signals)) bad('publicSignals', 'expected an array of decimal strings');
  if (signals.length !== nPublic) bad('publicSignals', `expected ${nPublic} signals (vkey.nPublic), got ${signals.length}`);
  for (const [i, s] of signals.entries()) decimalString(s, `publicSignals[${i}]`);
  metadataShape(json.metadata);

  const pub = json.public;
  if (!isRecord(pub)) bad('public', 'expected an object of named signals');
  for (const [k, v] of Object.entries(pub)) {
    if (!SIGNAL_NAME.test(k)) bad('public', `bad signal name ${show(k)}`);
    if (typeof v !== 'string') bad(`public.${k}`, `expected a string, got ${show(v)}`);
  }
  const { names, addresses } = namingFor(kind, pub as Record<string, string>, naming);
  if (names.length !== signals.length) bad('public', `expected ${signals.length} named signals (${names.join(', ')}), got ${names.length}`);
  if (Object.keys(pub).length !== names.length)
    bad('public', `expected exactly the signals ${names.join(', ')}, got ${Object.keys(pub).join(', ')}`);
  names.forEach((name, i) => {
    const given = Object.hasOwn(pub, name) ? pub[name] : undefined;
    if (given === undefined) bad('public', `missing signal ${name}`);
    const signal = signals[i] as string;
    if (addresses.has(name)) {
      if (typeof given !== 'string' || !ADDRESS.test(given)) bad(`public.${name}`, `expected a 0x address, got ${show(given)}`);
      if (BigInt(given) !== BigInt(signal)) bad(`public.${name}`, `${given} does not match publicSignals[${i}] = ${signal}`);
    } else if (given !== signal) {
      bad(`public.${name}`, `${show(given)} does not match publicSignals[${i}] = ${signal}`);
    }
  });

  const actual = sha256Hex(canonicalJson(json.vkey));
  if (actual !== json.vkeyHash) bad('vkeyHash', `does not match the embedded vkey (its hash is ${actual})`);
  return json as unknown as ProofBundle;
}

/**
 * The metadata every bundle this service proves carries: when, which engine, how long (proof and witness), whether
 * the worker was warm, and the setup it was proved under (INSECURE for the dev ptau).
 */
export function proofMetadata(
  out: { engine: string; timings: { witnessMs: number }; warm?: boolean },
  setup: { insecure: boolean; ptauLabel: string },
  startedAt: number,
) {
  return {
    createdAt: new Date().toISOString(),
    engine: out.engine,
    provingMs: Math.round(performance.now() - startedAt),
    witnessMs: Math.round(out.timings.witnessMs),
    ...(out.warm === undefined ? {} : { warmWorker: out.warm }),
    insecureSetup: setup.insecure,
    setup: setup.ptauLabel,
  };
}

/**
 * Assembles a bundle from a snarkjs proof: computes vkeyHash, names the public signals, stamps createdAt,
 * then runs parseBundle on the result so that a bundle this service writes always parses.
 */
export function makeBundle(input: MakeBundleInput): ProofBundle {
  const naming = { signalNames: input.signalNames, addressSignals: input.addressSignals };
  if (input.kind === 'inference' && !input.signalNames) {
    throw new ZkaiError('BAD_BUNDLE', 'makeBundle: an inference bundle needs signalNames (the circuit’s public signal names, in order)');
  }
  const { names, addresses } = namingFor(input.kind, {}, naming);
  if (names.length !== input.publicSignals.length) {
    throw new ZkaiError(
      'BAD_BUNDLE',
      `makeBundle: ${input.publicSignals.length} public signals but ${names.length} names (${names.join(', ')})`,
    );
  }
  for (const [i, s] of input.publicSignals.entries()) decimalString(s, `publicSignals[${i}]`);
  // A caller's own `public` map is taken as given; parseBundle below checks it against publicSignals.
  const pub: Record<string, string> = input.public
    ? { ...input.public }
    : Object.fromEntries(names.map((name, i) => [name, namedValue(name, input.publicSignals[i]!, addresses)]));
  const bundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    kind: input.kind,
    circuitId: input.circuitId,
    vkeyHash: sha256Hex(canonicalJson(input.vkey)),
    vkey: input.vkey,
    proof: input.proof,
    publicSignals: [...input.publicSignals],
    public: pub,
    ...(input.commitment ? { commitment: input.commitment } : {}),
    ...(input.lookupCommitment ? { lookupCommitment: input.lookupCommitment } : {}),
    metadata: { ...input.metadata, createdAt: input.metadata.createdAt ?? new Date().toISOString() },
  };
  return parseBundle(bundle, naming);
}

/**
 * An inference bundle's outputs for people: its logits as signed integers (a negative logit is the field element
 * r − |x| in `public`, e.g. 2188…2955 for −2662) and its label; undefined for other kinds. The logits stay at the
 * model's fixed-point scale (2^−outputFracBits in its manifest).
 */
export function signedOutputs(bundle: ProofBundle): { logits: string[]; label: string } | undefined {
  if (bundle.kind !== 'inference') return undefined;
  const logits: string[] = [];
  for (let i = 0; Object.hasOwn(bundle.public, `logits[${i}]`); i++) {
    const v = BigInt(bundle.public[`logits[${i}]`]!);
    logits.push((v > BN254_R / 2n ? v - BN254_R : v).toString());
  }
  return { logits, label: bundle.public.label ?? '' };
}
