/**
 * TEST-ONLY: the demo LogUp circuit (circuits/lib/logup-demo.circom), set up, and the witness a forger would build for
 * it: commit to limbs `f` and multiplicities `m` of its choice, then — with α fixed — fill every other wire the way
 * that satisfies the most constraints (each inverse wire its defining value). Shared by the off-chain tests
 * (lookup.test.ts) and the Solidity verifier's (verifier-contracts/test/lookup-verifier.test.ts).
 */
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { readSymbols, witnessIgnoringAsserts } from '../../circuits/witness.ts';
import { BN254_R, invMod, mod } from '../../common/bn254.ts';
import { commitPublicInputs, type PublicInputCommitment, randomScalar } from '../commitment.ts';
import { logupChallenge } from './challenge.ts';
import { ensureLookupSetup, type LookupSetup } from './setup.ts';

/** The demo: N values in [0, 2^BITS) with B-bit limbs (L = BITS / B per value); statement (sum, α). */
export const DEMO = { N: 4, BITS: 16, B: 4, L: 4, T: 16 } as const;

export const demoSpec = (n: number, bits: number, b: number) => ({
  name: `logup-range-${n}x${bits}-b${b}`,
  include: 'logup-demo.circom',
  instance: `LogUpRangeDemo(${n}, ${bits}, ${b})`,
  publicInputs: ['logupAlpha', 'logupBlind'],
});

export interface DemoFixture {
  circuit: BuiltCircuit;
  ls: LookupSetup;
  sym: Map<string, number>;
}

/** LogUpRangeDemo(4, 16, 4), built and set up (cached). */
export async function demoFixture(): Promise<DemoFixture> {
  const circuit = await buildCircuit(demoSpec(DEMO.N, DEMO.BITS, DEMO.B));
  return { circuit, ls: await ensureLookupSetup(circuit), sym: await readSymbols(circuit.symPath) };
}

const inv = (v: bigint) => invMod(mod(v, BN254_R), BN254_R);

export const limbsOf = (x: bigint[]) =>
  x.flatMap((v) => Array.from({ length: DEMO.L }, (_, k) => (v >> BigInt(DEMO.B * k)) & BigInt(DEMO.T - 1)));
export const countsOf = (f: bigint[], T: number = DEMO.T) =>
  Array.from({ length: T }, (_, j) => BigInt(f.filter((v) => v === BigInt(j)).length));

/**
 * A forged witness for any circuit of the LogUp layout whose table component is `main.table`: `input` goes to the
 * witness code (asserts ignored), then the committed wires get `f`, `m` and a blind, α its value, every wire named in
 * `wires` its value (the statement: the generated code stops at its first failed assert and leaves the rest blank),
 * and each inverse wire its defining value. `alpha` maps H(D) to the α the forger uses (default: H(D) itself, the
 * only α a verifier accepts).
 */
export async function forgeLookupWitness(
  { circuit, ls, sym }: DemoFixture,
  input: Record<string, unknown>,
  f: bigint[],
  m: bigint[],
  wires: Record<string, bigint>,
  alpha: (hd: bigint) => bigint = (hd) => hd,
): Promise<{ w: bigint[]; commitment: PublicInputCommitment; alpha: bigint }> {
  const blind = randomScalar();
  const committed = [...f, ...m, blind];
  const commitment = await commitPublicInputs(ls.key, committed);
  const a = alpha(logupChallenge(commitment.point));
  const { w } = await witnessIgnoringAsserts(circuit.wasmPath, { ...input, logupAlpha: a.toString(), logupBlind: blind.toString() });
  ls.layout.committedIndices.forEach((pub, k) => {
    w[pub + 1] = committed[k]!;
  });
  w[sym.get('main.logupAlpha')!] = a;
  for (const [name, value] of Object.entries(wires)) w[sym.get(name)!] = mod(value, BN254_R);
  for (const [name, wire] of sym) {
    const invF = /^main\.table\.invF\[(\d+)\]$/.exec(name);
    if (invF) w[wire] = inv(a - f[Number(invF[1])]!);
    const invT = /^main\.table\.invT\[(\d+)\]$/.exec(name);
    if (invT) w[wire] = mod(m[Number(invT[1])]! * inv(a - BigInt(invT[1]!)), BN254_R);
  }
  return { w, commitment, alpha: a };
}

/** forgeLookupWitness for the range demo: values `x`, statement their sum. */
export function forgeDemoWitness(fx: DemoFixture, x: bigint[], f: bigint[], m: bigint[], alpha?: (hd: bigint) => bigint) {
  const sum = x.reduce((s, v) => s + v, 0n);
  return forgeLookupWitness(fx, { x: x.map(String) }, f, m, { 'main.sum': sum }, alpha);
}

/**
 * The attack Fiat–Shamir stops: 65536 with limbs (0, 0, 0, 16) — 16 is outside the table — and m₀ solved so that
 * the sum holds at α′ chosen first. Every constraint holds; only α′ ≠ H(D) gives it away.
 */
export async function forgeChosenAlpha(fx: DemoFixture, alphaPrime = 123456789n) {
  const x = [65536n, 1n, 2n, 3n];
  const f = limbsOf(x);
  f[3] = 16n;
  const m = countsOf(f.filter((v) => v < BigInt(DEMO.T)));
  const lhs = f.reduce((s, v) => mod(s + inv(alphaPrime - v), BN254_R), 0n);
  const rest = m.reduce((s, mj, j) => (j === 0 ? s : mod(s + mj * inv(alphaPrime - BigInt(j)), BN254_R)), 0n);
  m[0] = mod((lhs - rest) * alphaPrime, BN254_R);
  return forgeDemoWitness(fx, x, f, m, () => alphaPrime);
}
