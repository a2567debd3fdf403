/**
 * A proof's finish on the native engine (src/finish.inc): πA, πB and πC from the five MSMs and the secret r, s in one
 * synchronous call, constant-time in r and s (complete projective formulas, fixed windows, masked table reads), in a
 * fraction of a millisecond. noble's constant-time finish (finish-noble.ts), which engines without it use, took ~10 ms
 * of JavaScript at the end of every warm proof, after the MSMs, so all of it was latency.
 */
import { ZkaiError } from '../../common/errors.ts';
import { bigIntToLe, G1_POINT_BYTES, G2_POINT_BYTES, g1BytesToJson, g2BytesToJson } from './point-bytes.ts';
import type { Groth16Proof, MsmParts } from './prove.ts';
import type { ParsedZkey } from './zkey.ts';

/** The native engine's groth16Finish (prover/native/api.ts). */
export type FinishKernel = (key: Uint8Array, parts: Uint8Array, rs: Uint8Array) => Uint8Array;

const G1 = G1_POINT_BYTES;
const G2 = G2_POINT_BYTES;
const keyBytesCache = new WeakMap<ParsedZkey, Uint8Array>();

/** α₁ ‖ β₁ ‖ δ₁ ‖ β₂ ‖ δ₂, once per parsed key. */
function keyBytes(zkey: ParsedZkey): Uint8Array {
  let key = keyBytesCache.get(zkey);
  if (!key) {
    key = new Uint8Array(3 * G1 + 2 * G2);
    key.set(zkey.alpha1.subarray(0, G1), 0);
    key.set(zkey.beta1.subarray(0, G1), G1);
    key.set(zkey.delta1.subarray(0, G1), 2 * G1);
    key.set(zkey.beta2.subarray(0, G2), 3 * G1);
    key.set(zkey.delta2.subarray(0, G2), 3 * G1 + G2);
    keyBytesCache.set(zkey, key);
  }
  return key;
}

/** The function that finishes the proof from the MSMs, with these r and s. */
export function nativeFinisher(zkey: ParsedZkey, finish: FinishKernel, r: bigint, s: bigint): (parts: MsmParts) => Groth16Proof {
  const key = keyBytes(zkey);
  const rs = new Uint8Array(64);
  bigIntToLe(r, rs, 0);
  bigIntToLe(s, rs, 32);
  return (parts) => {
    const msms = new Uint8Array(4 * G1 + G2);
    msms.set(parts.a.subarray(0, G1), 0);
    msms.set(parts.b1.subarray(0, G1), G1);
    msms.set(parts.c.subarray(0, G1), 2 * G1);
    msms.set(parts.h.subarray(0, G1), 3 * G1);
    msms.set(parts.b2.subarray(0, G2), 4 * G1);
    let out: Uint8Array;
    try {
      out = finish(key, msms, rs);
    } catch (err) {
      // A key point off its curve is a corrupt or forged zkey: the caller's input. (An MSM result off its curve would
      // be the engine's fault, and stays the error it is.)
      if (/proving key/.test((err as Error).message)) throw new ZkaiError('BAD_INPUT', (err as Error).message);
      throw err;
    } finally {
      rs.fill(0);
    }
    return {
      pi_a: g1BytesToJson(out, 0),
      pi_b: g2BytesToJson(out, G1),
      pi_c: g1BytesToJson(out, G1 + G2),
      protocol: 'groth16',
      curve: 'bn128',
    };
  };
}
