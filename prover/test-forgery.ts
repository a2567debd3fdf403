/**
 * TEST-ONLY: the "bring your own key" forgery of issue 13 item 2, built from scratch with @noble/curves. A statement key
 * (zkai_commitment) whose κ the forger chose; W = −(IC₀ + Σ sᵢ·ICᵢ) makes L = 0, K = κ·W passes the proof of
 * knowledge, and A = α, B = β + δ, C = α satisfies e(A,B) = e(α,β)·e(L,γ)·e(C,δ) for any statement.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { makeBundle, type ProofBundle } from './bundle.ts';
import { g1Json, g2Json, randomScalar } from './commitment.ts';

const G1 = bn254.G1.Point.BASE;
const G2 = bn254.G2.Point.BASE;

/** A statement key of the forger's making (every trapdoor known), with one committed input and `statement` public signals. */
export function forgerKey(statementSignals: number, kappa: bigint): Record<string, unknown> {
  return {
    protocol: 'groth16',
    curve: 'bn128',
    nPublic: statementSignals,
    vk_alpha_1: g1Json(G1.multiply(randomScalar())),
    vk_beta_2: g2Json(G2.multiply(randomScalar())),
    vk_gamma_2: g2Json(G2),
    vk_delta_2: g2Json(G2.multiply(randomScalar())),
    vk_alphabeta_12: [],
    IC: Array.from({ length: statementSignals + 1 }, () => g1Json(G1.multiply(randomScalar()))),
    zkai_commitment: { kappa_2: g2Json(G2.multiply(kappa)), publicIndices: [0], circuitPublic: statementSignals + 1 },
  };
}

/** The forged "proof" of `signals` (any values) under `vkey`, knowing its κ. */
export function forge(vkey: Record<string, unknown>, kappa: bigint, signals: bigint[], circuitId = 'model-forged-0001'): ProofBundle {
  const point = (p: unknown) => {
    const [x, y] = p as string[];
    return bn254.G1.Point.fromAffine({ x: BigInt(x!), y: BigInt(y!) });
  };
  const g2 = (p: unknown) => {
    const [[x0, x1], [y0, y1]] = p as string[][];
    return bn254.G2.Point.fromAffine({
      x: bn254.fields.Fp2.fromBigTuple([BigInt(x0!), BigInt(x1!)]),
      y: bn254.fields.Fp2.fromBigTuple([BigInt(y0!), BigInt(y1!)]),
    });
  };
  const ic = (vkey.IC as unknown[]).map(point);
  let l = ic[0]!;
  signals.forEach((s, i) => {
    l = l.add(ic[i + 1]!.multiply(s));
  });
  const w = l.negate(); // IC₀ + W + Σ sᵢ·ICᵢ = 0
  const alpha = point(vkey.vk_alpha_1);
  const proof = {
    pi_a: g1Json(alpha),
    pi_b: g2Json(g2(vkey.vk_beta_2).add(g2(vkey.vk_delta_2))),
    pi_c: g1Json(alpha),
    protocol: 'groth16',
    curve: 'bn128',
  };
  return makeBundle({
    kind: 'inference',
    circuitId,
    vkey,
    proof,
    publicSignals: signals.map(String),
    signalNames: signals.map((_, i) => `logit_${i}`),
    commitment: { point: g1Json(w), knowledge: g1Json(w.multiply(kappa)) },
    metadata: { engine: 'forger', insecureSetup: false },
  });
}
