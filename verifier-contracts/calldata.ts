/**
 * A snarkjs proof in the Solidity verifiers' argument layout. Free of ethers, so that the web console (console/src)
 * encodes the same calldata in the browser as the CLI and the contract helpers do in Node.
 */
import { BN254_Q, BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';

/** A Groth16 proof as snarkjs writes it (projective JSON, decimal strings). */
export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol?: string;
  curve?: string;
}

/** A proof in the verifier's calldata layout. */
export interface Groth16Calldata {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
  pubSignals: bigint[];
}

/**
 * Converts a snarkjs proof to the Solidity verifier's argument layout, as `snarkjs.groth16.exportSolidityCallData`
 * does: affine coordinates (the trailing projective "1" is dropped) and, for B, each Fp2 coordinate written
 * [c1, c0] because the EVM pairing precompile takes the imaginary part first.
 */
export function toSolidityCalldata(proof: SnarkjsProof | object, publicSignals: readonly string[]): Groth16Calldata {
  const fq = (v: unknown, what: string) => fieldElement(v, BN254_Q, what);
  const { pi_a, pi_b, pi_c } = (proof ?? {}) as SnarkjsProof;
  if (!Array.isArray(pi_a) || !Array.isArray(pi_c) || !Array.isArray(pi_b) || pi_a.length < 2 || pi_c.length < 2 || pi_b.length < 2) {
    throw new ZkaiError('BAD_BUNDLE', 'proof must have pi_a, pi_b, pi_c as snarkjs writes them');
  }
  for (const [name, point] of [
    ['pi_a', pi_a],
    ['pi_c', pi_c],
  ] as const) {
    if (point.length > 2 && String(point[2]) !== '1') throw new ZkaiError('BAD_BUNDLE', `${name} is not normalized (z != 1)`);
  }
  if (!Array.isArray(pi_b[0]) || !Array.isArray(pi_b[1]) || pi_b[0].length !== 2 || pi_b[1].length !== 2) {
    throw new ZkaiError('BAD_BUNDLE', 'pi_b must hold two Fp2 coordinates [c0, c1]');
  }
  return {
    a: [fq(pi_a[0], 'pi_a[0]'), fq(pi_a[1], 'pi_a[1]')],
    b: [
      [fq(pi_b[0][1], 'pi_b[0][1]'), fq(pi_b[0][0], 'pi_b[0][0]')],
      [fq(pi_b[1][1], 'pi_b[1][1]'), fq(pi_b[1][0], 'pi_b[1][0]')],
    ],
    c: [fq(pi_c[0], 'pi_c[0]'), fq(pi_c[1], 'pi_c[1]')],
    pubSignals: (publicSignals ?? []).map((s, i) => fieldElement(s, BN254_R, `publicSignals[${i}]`)),
  };
}

function fieldElement(v: unknown, modulus: bigint, what: string): bigint {
  let x: bigint;
  try {
    if (typeof v !== 'string' && typeof v !== 'bigint' && typeof v !== 'number') throw new Error();
    x = BigInt(v);
  } catch {
    throw new ZkaiError('BAD_BUNDLE', `${what} is not an integer: ${JSON.stringify(String(v))}`);
  }
  if (x < 0n || x >= modulus) throw new ZkaiError('BAD_BUNDLE', `${what} is outside the field`);
  return x;
}
