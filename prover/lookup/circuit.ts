/**
 * Which public signals of a LogUp circuit are committed, which one is the challenge, and the structural check that
 * makes the argument sound whatever circom's optimiser did (docs/lookups.md, "What setup checks").
 *
 * The convention (circuits/lib/logup-demo.circom): main's outputs `logupCommitted[k]` carry the looked-up values and
 * multiplicities, the public input `logupBlind` hides the commitment, both committed; the public input `logupAlpha`
 * is the challenge α = H(D). Public wires are 1..nPublic, so a public wire w is public signal w − 1.
 */
import type { BuiltCircuit } from '../../circuits/build.ts';
import type { LinearCombination, R1cs } from '../../circuits/r1cs.ts';
import { readSymbols } from '../../circuits/witness.ts';
import { ZkaiError } from '../../common/errors.ts';

export interface LookupLayout {
  /** 0-based public-signal positions of the committed values: every logupCommitted[k] in order, then logupBlind. */
  committedIndices: number[];
  /** Public-signal position of logupAlpha. */
  alphaIndex: number;
}

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `LogUp circuit: ${message}`);
}

/** The layout of `circuit`'s public signals, read from its symbol file. */
export async function lookupLayout(circuit: BuiltCircuit): Promise<LookupLayout> {
  const sym = await readSymbols(circuit.symPath);
  const publicWire = (name: string): number => {
    const w = sym.get(name);
    if (w === undefined || w < 1 || w > circuit.nPublic) bad(`${name} must be a public signal of main`);
    return w;
  };
  const committed: number[] = [];
  for (let k = 0; sym.has(`main.logupCommitted[${k}]`); k++) committed.push(publicWire(`main.logupCommitted[${k}]`) - 1);
  if (committed.length === 0) bad('main has no output logupCommitted[]');
  committed.push(publicWire('main.logupBlind') - 1);
  return { committedIndices: committed, alphaIndex: publicWire('main.logupAlpha') - 1 };
}

const wires = (lc: LinearCombination) => [...lc.keys()];

/**
 * Refuses (BAD_INPUT) a circuit in which the challenge could meet a value chosen after it. Every constraint that
 * mentions α's wire must read  X · (α + ℓ) = c  (or (α + ℓ) · X = c)  where ℓ and c involve only committed wires and
 * the constant wire 0: then every pole ℓ and numerator c of the rational identity the circuit checks is fixed by D
 * before α = H(D) exists, and the inverse wires X are determined by them (X = c/(α + ℓ)). Any other use of α — in c,
 * on both sides, next to an uncommitted wire (e.g. a limb that circom's optimiser substituted by a private wire) —
 * would let the prover adapt after seeing α, so it is refused rather than analysed. Returns the number of α rows.
 */
export function checkLookupShape(r1cs: R1cs, layout: LookupLayout): number {
  const alpha = layout.alphaIndex + 1;
  const fixed = new Set([0, ...layout.committedIndices.map((i) => i + 1)]);
  let rows = 0;
  r1cs.constraints.forEach(({ a, b, c }, k) => {
    const inA = a.has(alpha);
    const inB = b.has(alpha);
    if (!inA && !inB && !c.has(alpha)) return;
    if (c.has(alpha) || inA === inB) bad(`constraint ${k} uses α other than as X·(α + ℓ) = c`);
    const side = inA ? a : b;
    const other = inA ? b : a;
    if (other.has(alpha)) bad(`constraint ${k} uses α on both sides`);
    for (const w of [...wires(side), ...wires(c)]) {
      if (w !== alpha && !fixed.has(w)) bad(`constraint ${k} pairs α with wire ${w}, which is not committed before α`);
    }
    rows++;
  });
  if (rows === 0) bad('α is used by no constraint');
  return rows;
}
