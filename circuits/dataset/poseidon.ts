import { buildPoseidon } from 'circomlibjs';

/** BN254 scalar field order: every circuit signal is an element of this field. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

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
