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
