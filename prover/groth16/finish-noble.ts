/**
 * A warm prover's finish of a proof with @noble/curves (prover/groth16/prove.ts): the key's constant points decoded
 * and validated once per parsed key, δ₁ and δ₂ with noble's window tables, so that the multiplications by the secret
 * r, s are constant-time and cheap once compiled. prove.ts imports this module only for warm proofs: a one-shot
 * process finishes on the kernels instead (finish-kernels.ts) and never loads noble.
 */
import { ZkaiError } from '../../common/errors.ts';
import { type G1Point, type G2Point, g1FromBytes, g1ToJson, g2FromBytes, g2ToJson } from './points.ts';
import type { Groth16Proof, MsmParts } from './prove.ts';
import type { ParsedZkey } from './zkey.ts';

interface KeyPoints {
  alpha1: G1Point;
  beta1: G1Point;
  delta1: G1Point;
  beta2: G2Point;
  delta2: G2Point;
}

const keyPointsCache = new WeakMap<ParsedZkey, KeyPoints>();

function keyPoints(zkey: ParsedZkey): KeyPoints {
  let points = keyPointsCache.get(zkey);
  if (!points) {
    try {
      points = {
        alpha1: g1FromBytes(zkey.alpha1),
        beta1: g1FromBytes(zkey.beta1),
        delta1: g1FromBytes(zkey.delta1).precompute(4, false),
        beta2: g2FromBytes(zkey.beta2),
        delta2: g2FromBytes(zkey.delta2).precompute(4, false),
      };
    } catch (err) {
      throw new ZkaiError('BAD_INPUT', `the proving key's α, β or δ is not a valid curve point: ${(err as Error).message}`);
    }
    keyPointsCache.set(zkey, points);
  }
  return points;
}

/**
 * Builds the key's points and tables and runs each constant-time multiplication once on a throwaway scalar, so
 * that it is compiled before the first proof needs it.
 */
export function warmKeyPoints(zkey: ParsedZkey, scalar: () => bigint): void {
  const { alpha1, delta1, delta2 } = keyPoints(zkey);
  delta1.multiply(scalar());
  delta2.multiply(scalar());
  alpha1.multiply(scalar());
}

/**
 * r·δ₁ and s·δ₂ now (while the kernels run their MSMs), and the function that finishes the proof from the MSMs:
 *   πA = α₁ + A + r·δ₁,  πB = β₂ + B₂ + s·δ₂,  πC = C + H + s·πA + r·(β₁ + B₁).
 */
export function nobleFinisher(zkey: ParsedZkey, r: bigint, s: bigint): (parts: MsmParts) => Groth16Proof {
  const { alpha1, beta1, delta1, beta2, delta2 } = keyPoints(zkey);
  const rDelta1 = delta1.multiply(r);
  const sDelta2 = delta2.multiply(s);
  return (parts) => {
    const piA = alpha1.add(g1FromBytes(parts.a)).add(rDelta1);
    const piB = beta2.add(g2FromBytes(parts.b2)).add(sDelta2);
    const b1 = beta1.add(g1FromBytes(parts.b1));
    const piC = g1FromBytes(parts.c).add(g1FromBytes(parts.h)).add(piA.multiply(s)).add(b1.multiply(r));
    return { pi_a: g1ToJson(piA), pi_b: g2ToJson(piB), pi_c: g1ToJson(piC), protocol: 'groth16', curve: 'bn128' };
  };
}
