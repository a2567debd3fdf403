import type { CircuitSpec } from '../build.ts';

/** Constraints of one Num2Bits(64) block: 64 booleanity constraints and the recomposition. */
const BLOCK_CONSTRAINTS = 65;

/**
 * A synthetic circuit of about `constraints` constraints (half multiplications of random field elements,
 * half bit decompositions), for proving and setup benchmarks at sizes no real fixture reaches.
 */
export function syntheticCircuitSpec(constraints: number): CircuitSpec {
  if (!Number.isInteger(constraints) || constraints < 2 * BLOCK_CONSTRAINTS)
    throw new RangeError(`constraints must be an integer >= ${2 * BLOCK_CONSTRAINTS}`);
  const nMul = Math.floor(constraints / 2);
  const nBlocks = Math.max(1, Math.round((constraints - nMul) / BLOCK_CONSTRAINTS));
  return {
    name: `synthetic-${constraints}`,
    include: 'synthetic.circom',
    instance: `SyntheticWork(${nMul}, ${nBlocks})`,
    publicInputs: ['x'],
  };
}

/** A valid input for any synthetic circuit. */
export function syntheticInput(seed = 1): Record<string, string> {
  return { x: String(3 + seed), seed: String(1000 + seed) };
}
