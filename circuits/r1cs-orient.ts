/**
 * Orients the LogUp rows of a compiled R1CS so that the prover's G2 work stays small (docs/lookups.md, "Prover time").
 *
 * circom writes each LogUp row as (α − f)·inv = c: α and the looked-up value f in A, the inverse wire in B. A Groth16
 * prover computes B in G2 (and again in G1), A in G1 only, and a wire costs an MSM point on each side it appears on.
 * The inverse wires 1/(α − f) are full 254-bit scalars, one per lookup, while f is a limb of a few bits, nearly free in
 * a Pippenger MSM. So the rows are rewritten inv·(α − f) = c: A·B = C and B·A = C hold for exactly the same
 * witnesses, so the constraint system, its solutions, and everything the lookup argument's soundness rests on
 * (prover/lookup/circuit.ts checks either orientation) are unchanged; only where the prover pays moves.
 *
 * Done on the r1cs file right after circom, before anything reads it, so the setup (zkey-new.ts), `snarkjs zkey
 * verify` and the shape check all see the same rows. Deterministic from the file: a worker that compiles the same
 * source gets the same bytes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readBinLayout } from '../common/binfile.ts';
import { ZkaiError } from '../common/errors.ts';
import { readSymbols } from './witness.ts';

/** In the circuit hash of every circuit whose sources mention logupAlpha (circuits/build.ts circuitHash). */
export const LOOKUP_ROWS_TAG = 'logup-rows: inverse in A (r1cs-orient.ts v1)';

/** The signal a LogUp circuit's challenge is (circuits/lib/logup-demo.circom and the model compiler's main). */
export const LOGUP_ALPHA_SIGNAL = 'main.logupAlpha';

/**
 * Swaps A and B, in place, in every constraint of the r1cs in `buf` whose A has the wire `alpha` and whose B does not.
 * Returns how many rows were swapped.
 */
export function swapAlphaRows(buf: Buffer, alpha: number): number {
  const sections = readBinLayout(buf, { magic: 'r1cs', label: 'circom r1cs' }).sections;
  const header = sections.get(1)?.[0];
  const body = sections.get(2)?.[0];
  if (!header || !body) throw new ZkaiError('BAD_INPUT', 'r1cs without header or constraints section');
  const n8 = buf.readUInt32LE(header.start);
  const nConstraints = buf.readUInt32LE(header.start + 4 + n8 + 24);
  const term = 4 + n8;
  /** End of the linear combination at `p`; `has` set when it mentions `alpha`. */
  const lc = (p: number): { end: number; has: boolean } => {
    const n = buf.readUInt32LE(p);
    let has = false;
    for (let i = 0; i < n; i++) if (buf.readUInt32LE(p + 4 + i * term) === alpha) has = true;
    return { end: p + 4 + n * term, has };
  };
  let p = body.start;
  let swapped = 0;
  for (let k = 0; k < nConstraints; k++) {
    const a = lc(p);
    const b = lc(a.end);
    if (a.has && !b.has) {
      // [A][B] → [B][A]: the same bytes in the same span, so C and every later constraint stay where they are.
      const rowA = Buffer.from(buf.subarray(p, a.end));
      buf.copy(buf, p, a.end, b.end);
      rowA.copy(buf, p + (b.end - a.end));
      swapped++;
    }
    p = lc(b.end).end;
  }
  if (p !== body.start + body.size) throw new ZkaiError('BAD_INPUT', 'r1cs constraints section does not end where its size says');
  return swapped;
}

/**
 * For a circuit with a LogUp challenge (`main.logupAlpha` in its symbols), orients its α rows in the r1cs file;
 * returns the rows swapped (0 for any other circuit).
 */
export async function orientLookupRows(r1csPath: string, symPath: string): Promise<number> {
  const alpha = (await readSymbols(symPath)).get(LOGUP_ALPHA_SIGNAL);
  if (alpha === undefined) return 0;
  const buf = await readFile(r1csPath);
  const swapped = swapAlphaRows(buf, alpha);
  if (swapped > 0) await writeFile(r1csPath, buf);
  return swapped;
}
