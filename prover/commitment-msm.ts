/**
 * The multi-scalar multiplications of Pedersen commit-and-prove (prover/commitment.ts): a model's W = Σ v_c·IC_c and
 * K = Σ v_c·κ·IC_c over tens of thousands of committed elements, and the random linear combinations that check a
 * commitment key. @noble/curves' BigInt Pippenger takes about 9 s per 24,000 points on this machine (a 784-256-128-10
 * MLP: four such MSMs were 25 s of a 28 s CLI proof); the native engine's (prover/native) takes tens of milliseconds.
 * noble stays the fallback when the engine is not built or ZKAI_NATIVE=off, with the same results.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_Q, BN254_R, powMod } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import type { G1Json } from './commitment.ts';
import { g1FromBytes, g1ToJson } from './groth16/points.ts';
import { loadSetupNative } from './setup/setup-engine.ts';
import { type G1Point, g1 } from './verify-noble.ts';

const G1_BYTES = 64;
/** R = 2^256 mod q: the native engine's coordinates are Montgomery form, x·R mod q. */
const R_MOD_Q = (1n << 256n) % BN254_Q;

function writeLe(view: DataView, offset: number, x: bigint): void {
  for (let i = 0; i < 4; i++) view.setBigUint64(offset + 8 * i, BigInt.asUintN(64, x >> BigInt(64 * i)), true);
}

/** Which implementation a commitment MSM runs on: the native engine when built, else noble (ZKAI_NATIVE=off forces it). */
export function commitmentMsmEngine(): 'native' | 'noble' {
  return loadSetupNative() ? 'native' : 'noble';
}

/** A base list checked once: noble's points, and the native engine's Montgomery bytes once asked for. */
interface PreparedBases {
  parsed: G1Point[];
  native?: Uint8Array;
}

/**
 * Prepared base lists by the identity of the array they were read from. A warm circuit proves with the same commitment
 * key object every time (prover/warm-prover.ts keeps it), and checking and converting its points is most of a
 * commitment's cost (26,574 lookup bases of LeNet-5: a few hundred ms per list against tens for the MSM itself). Keys
 * are read from JSON and never changed in place (a contribution writes new files, which load as new objects), so an
 * array's identity names its content; a WeakMap lets a dropped key's entry go with it.
 */
const preparedBases = new WeakMap<readonly G1Json[], PreparedBases>();

function prepare(points: readonly G1Json[], what: string): PreparedBases {
  let p = preparedBases.get(points);
  if (!p) {
    p = { parsed: points.map((pt, i) => g1(pt, `${what}[${i}]`)) };
    preparedBases.set(points, p);
  }
  return p;
}

/** The points as the native engine takes them (64 bytes each, Montgomery coordinates; infinity all zero). */
function nativeBases(points: readonly G1Json[], prepared: PreparedBases): Uint8Array {
  if (prepared.native) return prepared.native;
  const bases = new Uint8Array(points.length * G1_BYTES);
  const bv = new DataView(bases.buffer);
  points.forEach((p, i) => {
    // Infinity stays 64 zero bytes; the JSON's coordinates are already affine (g1() required z = 1).
    if (!prepared.parsed[i]!.is0()) {
      writeLe(bv, i * G1_BYTES, (BigInt(p[0]) * R_MOD_Q) % BN254_Q);
      writeLe(bv, i * G1_BYTES + 32, (BigInt(p[1]) * R_MOD_Q) % BN254_Q);
    }
  });
  prepared.native = bases;
  return bases;
}

/**
 * Σ scalars[i]·points[i] for points in snarkjs JSON. Every point is checked to be on the curve (g1() of
 * verify-noble.ts, which also rejects non-canonical coordinates) before either engine sees it: the native engine
 * trusts its inputs. Scalars must be in [0, r). The checked points are kept for the next MSM over the same array.
 */
export async function g1MsmJson(points: readonly G1Json[], scalars: readonly bigint[], what: string): Promise<G1Point> {
  if (points.length !== scalars.length) throw new ZkaiError('BAD_INPUT', `${what}: ${points.length} points but ${scalars.length} scalars`);
  const prepared = prepare(points, what);
  scalars.forEach((s, i) => {
    if (s < 0n || s >= BN254_R) throw new ZkaiError('BAD_INPUT', `${what}: scalar ${i} is not a field element`);
  });
  const native = loadSetupNative();
  if (!native || points.length === 0) return pippenger(bn254.G1.Point, prepared.parsed, [...scalars]);
  const sc = new Uint8Array(points.length * 32);
  const sv = new DataView(sc.buffer);
  scalars.forEach((s, i) => {
    writeLe(sv, i * 32, s);
  });
  return g1FromBytes(await native.msmG1(nativeBases(points, prepared), sc));
}

/** R⁻¹ mod q: the native engine's Montgomery coordinates back to standard form. */
const R_INV_Q = powMod(R_MOD_Q, BN254_Q - 2n, BN254_Q);

function readLe(bytes: Uint8Array, offset: number): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  let x = 0n;
  for (let i = 3; i >= 0; i--) x = (x << 64n) | v.getBigUint64(8 * i, true);
  return x;
}

/**
 * Every point times one scalar (κ's re-randomisation multiplies every knowledge base by a contributor's secret): the
 * native engine's g1BatchScale, else one noble multiplication per point (about 1 ms each). Points are checked as in
 * g1MsmJson; the result is snarkjs JSON.
 */
export async function g1ScaleJson(points: readonly G1Json[], scalar: bigint, what: string): Promise<G1Json[]> {
  if (scalar <= 0n || scalar >= BN254_R) throw new ZkaiError('BAD_INPUT', `${what}: the scale factor is not a non-zero field element`);
  const parsed = points.map((p, i) => g1(p, `${what}[${i}]`));
  const native = loadSetupNative();
  if (!native || points.length === 0) return parsed.map((p) => g1ToJson(p.multiply(scalar)) as G1Json);
  const bases = new Uint8Array(points.length * G1_BYTES);
  const bv = new DataView(bases.buffer);
  points.forEach((p, i) => {
    if (!parsed[i]!.is0()) {
      writeLe(bv, i * G1_BYTES, (BigInt(p[0]) * R_MOD_Q) % BN254_Q);
      writeLe(bv, i * G1_BYTES + 32, (BigInt(p[1]) * R_MOD_Q) % BN254_Q);
    }
  });
  const k = new Uint8Array(32);
  writeLe(new DataView(k.buffer), 0, scalar);
  const out = await native.g1BatchScale(bases, k);
  return points.map((_, i) => {
    const x = readLe(out, i * G1_BYTES);
    const y = readLe(out, i * G1_BYTES + 32);
    if (x === 0n && y === 0n) return ['0', '1', '0'];
    return [((x * R_INV_Q) % BN254_Q).toString(), ((y * R_INV_Q) % BN254_Q).toString(), '1'];
  });
}
