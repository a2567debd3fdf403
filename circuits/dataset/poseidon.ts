import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPoseidon } from 'circomlibjs';
import { BN254_R } from '../../common/bn254.ts';

/** BN254 scalar field order: every circuit signal is an element of this field. */
export const SNARK_FIELD = BN254_R;

export interface PoseidonHasher {
  /** Poseidon over 1..16 field elements, as circomlib's Poseidon(n) template computes it. */
  hash(inputs: readonly bigint[]): bigint;
}

interface CircomlibPoseidon {
  (inputs: readonly bigint[]): unknown;
  F: { toObject(x: unknown): bigint };
}

let hasher: Promise<PoseidonHasher> | undefined;

/** The circomlibjs Poseidon (the reference for circomlib's circuit), built once per process. */
export function getPoseidon(): Promise<PoseidonHasher> {
  if (!hasher) {
    const build: Promise<CircomlibPoseidon> = buildPoseidon();
    hasher = build.then((p) => ({ hash: (inputs: readonly bigint[]) => p.F.toObject(p(inputs)) }));
  }
  return hasher;
}

/**
 * One Poseidon width's constants exactly as circomlibjs's reference hasher above uses them (its WebAssembly hasher and
 * poseidon_opt read src/poseidon_constants_opt.js: round constants C, sparse-round constants S, MDS matrix M and the
 * pre-sparse matrix P), each element 32 bytes big-endian, matrices row-major. This is what the native engine is given
 * (prover/native poseidonParams): it keeps no Poseidon table of its own. Round counts are derived from the table
 * sizes (C holds nRoundsF·t + nRoundsP constants, S (2t-1)·nRoundsP), not restated here.
 */
export interface PoseidonTables {
  t: number;
  nRoundsF: number;
  nRoundsP: number;
  C: Buffer;
  S: Buffer;
  M: Buffer;
  P: Buffer;
}

interface OptConstants {
  C: string[][];
  S: string[][];
  M: string[][][];
  P: string[][][];
}

let optConstants: Promise<OptConstants> | undefined;

/** circomlibjs's own constants module (its package exports only the entry point, so it is imported by file). */
function loadOptConstants(): Promise<OptConstants> {
  if (!optConstants) {
    const entry = createRequire(import.meta.url).resolve('circomlibjs'); // <pkg>/build/main.cjs
    const file = path.join(path.dirname(entry), '..', 'src', 'poseidon_constants_opt.js');
    optConstants = import(pathToFileURL(file).href).then((m: { default: OptConstants }) => m.default);
  }
  return optConstants;
}

function packBe(values: readonly string[]): Buffer {
  const out = Buffer.alloc(32 * values.length);
  values.forEach((v, i) => {
    const x = BigInt(v);
    if (x < 0n || x >= BN254_R) throw new Error(`circomlibjs Poseidon constant ${v} is not a field element`);
    out.write(x.toString(16).padStart(64, '0'), 32 * i, 'hex');
  });
  return out;
}

/** The tables of Poseidon with t - 1 inputs (t = 2..17 in circomlibjs; the native engine takes 2..6). */
export async function poseidonTables(t: number): Promise<PoseidonTables> {
  const k = await loadOptConstants();
  const C = k.C[t - 2];
  const S = k.S[t - 2];
  const M = k.M[t - 2];
  const P = k.P[t - 2];
  if (!C || !S || !M || !P) throw new Error(`circomlibjs has no Poseidon constants for t = ${t}`);
  const nRoundsP = S.length / (2 * t - 1);
  const nRoundsF = (C.length - nRoundsP) / t;
  if (!Number.isInteger(nRoundsP) || !Number.isInteger(nRoundsF)) throw new Error(`circomlibjs Poseidon t = ${t}: unexpected table sizes`);
  return { t, nRoundsF, nRoundsP, C: packBe(C), S: packBe(S), M: packBe(M.flat()), P: packBe(P.flat()) };
}
