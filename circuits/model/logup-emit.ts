/**
 * LogUp range checks in generated model circuits (compile option `lookups: 'logup'`; docs/lookups.md, "In the model
 * compiler"). The TypeScript side of circuits/lib/logup-quant.circom:
 * - lurLimbWidths / lurConstraints: the limbs LogUpRequant looks up and its constraints, mirroring the circom
 *   functions (a test compares them with circom's counts); signedRangeCounts: the input range's limbs
 *   (LogUpSignedRange / LogUpSignedPack);
 * - emitLimbRouting: the lines a layer template runs after each LogUpRequant instance to copy its limbs into the
 *   layer's `lk` output, grouped by limb width (the groups' starts are a var array, so the loops stay loops);
 * - emitLogUpMain: the main template's side: the committed outputs `logupCommitted`, the public inputs `logupAlpha`
 *   and `logupBlind`, and one LogUpCount + LogUpRangeTable per limb width in use, wired to every layer's groups.
 * - linearRowsLeft: how many of a set of linear rows circom --O2 cannot substitute away (public weights, case 0).
 * The circuit then follows prover/lookup's convention (prover/lookup/circuit.ts), so its setup, two-round prover and
 * verifier are prover/lookup's, unchanged.
 */
import { BN254_R, invMod, mod } from '../../common/bn254.ts';
import { ZkaiError } from '../../common/errors.ts';

/** The default limb width B: tables of 2^1 … 2^8 rows (510 rows at most per circuit). */
export const LOGUP_LIMB_BITS = 8;

/**
 * The limb widths a model circuit may use: the generator emits the model with each and keeps the one with the fewest
 * constraints (codegen.ts generateCircom). A wider B turns a 9- or 10-bit range (LeNet-5's 9- and 10-bit
 * remainders) into one lookup instead of two, for a table of up to 2^B rows (2,046 in all for B = 10).
 */
export const LOGUP_LIMB_WIDTHS: readonly number[] = [8, 9, 10];

export type LookupsMode = 'off' | 'logup';
export const LOOKUPS_MODES: readonly LookupsMode[] = ['off', 'logup'];

/** lurCase in logup-quant.circom: 0 no clamp, 1 ReLU without clamp, 2 clamp (with or without ReLU). */
export function lurCase(bIn: number, shift: number, bOut: number, relu: boolean): 0 | 1 | 2 {
  if (bIn - shift <= bOut) return relu ? 1 : 0;
  return 2;
}

/** Widths of the ranges LogUpRequant proves by limbs, in its order (lurRange). */
function lurRanges(bIn: number, shift: number, bOut: number, relu: boolean): number[] {
  const bY = bIn - shift;
  const c = lurCase(bIn, shift, bOut, relu);
  if (c === 0) return [shift, bY];
  if (c === 1) return [shift, bY - 1];
  return [shift, bOut - 1, bY - bOut];
}

/** Limb widths of a w-bit range: B-bit limbs, then w mod B. */
export function rangeLimbWidths(w: number, B = LOGUP_LIMB_BITS): number[] {
  const out: number[] = [];
  for (let rest = w; rest > 0; rest -= B) out.push(Math.min(rest, B));
  return out;
}

/** The widths of LogUpRequant(bIn, shift, bOut, relu, B)'s `lk` outputs, in order (lurLimbWidth). */
export function lurLimbWidths(bIn: number, shift: number, bOut: number, relu: boolean, B = LOGUP_LIMB_BITS): number[] {
  return lurRanges(bIn, shift, bOut, relu).flatMap((w) => rangeLimbWidths(w, B));
}

/** LogUpRequant's constraints besides its lookups' α rows (counted by the tables): 0, 2 or 4 by case. */
export function lurConstraints(bIn: number, shift: number, bOut: number, relu: boolean): number {
  return [0, 2, 4][lurCase(bIn, shift, bOut, relu)]!;
}

/**
 * Linear rows that stay constraints after circom --O2's substitution, for rows whose only substitutable signals are
 * the keys of each map (coefficient by signal expression): --O2 eliminates linear constraints by solving each for a
 * signal that is neither public nor already eliminated, so of these rows exactly their rank over those signals (mod
 * r, the field circom works in) disappear, and the rest remain as rows among public signals. A public-weights
 * LogUpRequant in case 0 is such a row: its division in + 2^(bIn−1) = t·2^shift + r is linear, its limbs are
 * committed (public), and `in` is bias + Σ w·x, so it can only be solved for one of the layer's inputs x; 10 logits
 * read from 8 hidden values leave 2 rows.
 *
 * The elimination costs about rows·signals·min(rows, signals) field operations; past `budget` (a case-0 layer far
 * larger than a model's logits, e.g. a convolution's every position) the rank is taken to be min(rows, signals), what
 * any weights without an exact linear dependence give, so that the generator's time stays bounded; the compile's count
 * check still refuses a model whose weights are that degenerate.
 */
export function linearRowsLeft(rows: readonly ReadonlyMap<string, bigint>[], budget = 1e7): number {
  const keys = [...new Set(rows.flatMap((r) => [...r.keys()]))];
  if (rows.length * keys.length * Math.min(rows.length, keys.length) > budget) return Math.max(0, rows.length - keys.length);
  const col = new Map(keys.map((k, i) => [k, i]));
  const m = rows.map((r) => {
    const a = keys.map(() => 0n);
    for (const [k, v] of r) a[col.get(k)!] = mod(v, BN254_R);
    return a;
  });
  // Gaussian elimination mod r; the rows are few (a layer's case-0 outputs: the logits).
  let rank = 0;
  for (let c = 0; c < keys.length && rank < m.length; c++) {
    const p = m.findIndex((row, i) => i >= rank && row[c] !== 0n);
    if (p < 0) continue;
    [m[rank], m[p]] = [m[p]!, m[rank]!];
    const pivot = m[rank]!;
    const inv = invMod(pivot[c]!, BN254_R);
    for (let i = rank + 1; i < m.length; i++) {
      const row = m[i]!;
      if (row[c] === 0n) continue;
      const f = (row[c]! * inv) % BN254_R;
      for (let j = c; j < keys.length; j++) row[j] = mod(row[j]! - f * pivot[j]!, BN254_R);
    }
    rank++;
  }
  return rows.length - rank;
}

/** Limb counts by width (index k − 1 for width k). */
export type WidthCounts = number[];
export const emptyWidthCounts = (B = LOGUP_LIMB_BITS): WidthCounts => Array.from({ length: B }, () => 0);

export function addLimbs(counts: WidthCounts, widths: readonly number[]): void {
  for (const k of widths) counts[k - 1]! += 1;
}

/** Limb counts of LogUpSignedRange(n, b, B) / LogUpSignedPack (a model's input): each of n values' b-bit limbs. */
export function signedRangeCounts(n: number, b: number, B = LOGUP_LIMB_BITS): WidthCounts {
  const counts = emptyWidthCounts(B);
  for (const k of rangeLimbWidths(b, B)) counts[k - 1]! += n;
  return counts;
}

/** Starts of each width's group in a layer's `lk` output (groups in width order 1 … B). */
export function groupStarts(counts: WidthCounts): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const n of counts) {
    starts.push(at);
    at += n;
  }
  return starts;
}

/**
 * Template lines that declare the running group positions (`var lkAt[B]`, from `starts`), to put once before the
 * layer's loops.
 */
export function emitLimbCursor(starts: readonly number[]): string[] {
  return [`    var lkAt[${starts.length}] = [${starts.join(', ')}];`];
}

/**
 * Template lines, inside the loops, that copy gadget `g`'s limbs (a LogUpRequant instance expression, e.g.
 * `rq[c * 4 + o]`) into `lk` by width. `args` are its parameters as circom expressions (bIn, shift, bOut, relu), B
 * the limb width it was instantiated with.
 */
export function emitLimbRouting(g: string, args: string, indent: string, B = LOGUP_LIMB_BITS): string[] {
  return [
    `${indent}for (var j = 0; j < lurLimbCount(${args}, ${B}); j++) {`,
    `${indent}    var k = lurLimbWidth(${args}, ${B}, j);`,
    `${indent}    lk[lkAt[k - 1]] <== ${g}.lk[j];`,
    `${indent}    lkAt[k - 1] += 1;`,
    `${indent}}`,
  ];
}

/** A component whose `lk` output holds limb groups by width (its counts, in groupStarts' layout). */
export interface LimbSource {
  /** The component's name in main (e.g. `layer3`): an identifier made from indices only. */
  component: string;
  counts: WidthCounts;
}

export interface LogUpMain {
  lines: string[];
  /**
   * What the tables add to the circuit: one α row per limb and per table row (prover/lookup's setup counts the same:
   * LookupSetup.alphaRows). Each table's sum is linear in its inverse wires, and circom --O2 substitutes one of them
   * by it, so the sums cost no row of their own.
   */
  constraints: number;
  /** Length of `logupCommitted` (limbs, then every table's multiplicities). */
  committed: number;
  /**
   * For each width k in use: where its limbs and multiplicities sit in `logupCommitted` (what a test forging a
   * witness needs to recompute the tables' inverse wires).
   */
  tables: { width: number; limbs: number[]; multiplicities: number }[];
}

/**
 * The main template's LogUp section: `logupBlind` and `logupCommitted` declared, the tables wired to `logupAlpha`,
 * which the caller declares where it wants it among the public inputs (a model declares it before `binding`, so the
 * binding stays the statement's last signal). Refuses (INTERNAL) a source list with no limbs: a LogUp circuit needs
 * at least one lookup (prover/lookup/circuit.ts refuses one whose α meets no constraint).
 */
export function emitLogUpMain(sources: readonly LimbSource[], B = LOGUP_LIMB_BITS): LogUpMain {
  for (const s of sources) if (!/^[a-z]+[0-9]*$/.test(s.component)) throw new ZkaiError('INTERNAL', `bad component name ${s.component}`);
  const perWidth = emptyWidthCounts(B);
  for (const s of sources) for (const [i, n] of s.counts.entries()) perWidth[i]! += n;
  const nLimbs = perWidth.reduce((a, n) => a + n, 0);
  if (nLimbs === 0) throw new ZkaiError('INTERNAL', 'a LogUp circuit needs at least one lookup');
  const widths = perWidth.map((n, i) => ({ k: i + 1, n })).filter(({ n }) => n > 0);
  const committed = nLimbs + widths.reduce((a, { k }) => a + 2 ** k, 0);
  const lines = [
    '',
    `    // LogUp range checks (circuits/lib/logup-quant.circom): ${nLimbs} limbs, one table per width in use.`,
    '    // The limbs and multiplicities are committed (Pedersen, prover/lookup/) before alpha = H(D) is drawn.',
    '    signal input logupBlind;',
    `    signal output logupCommitted[${committed}];`,
  ];
  const tables: LogUpMain['tables'] = [];
  let alphaRows = 0;
  let at = 0;
  // `logupCommitted` holds every width's limbs (width by width), then every width's multiplicities (in the same order).
  let multiplicitiesAt = nLimbs;
  for (const { k, n } of widths) {
    lines.push(`    component lkCount${k} = LogUpCount(${n}, ${k});`, `    component lkTable${k} = LogUpRangeTable(${n}, ${k});`);
    const limbs: number[] = [];
    let f = 0;
    for (const s of sources) {
      const m = s.counts[k - 1]!;
      if (m === 0) continue;
      const start = groupStarts(s.counts)[k - 1]!;
      lines.push(
        `    for (var i = 0; i < ${m}; i++) {`,
        `        logupCommitted[${at} + i] <== ${s.component}.lk[${start} + i];`,
        `        lkCount${k}.f[${f} + i] <== ${s.component}.lk[${start} + i];`,
        `        lkTable${k}.logupF[${f} + i] <== logupCommitted[${at} + i];`,
        '    }',
      );
      for (let i = 0; i < m; i++) limbs.push(at + i);
      at += m;
      f += m;
    }
    tables.push({ width: k, limbs, multiplicities: multiplicitiesAt });
    multiplicitiesAt += 2 ** k;
    alphaRows += n + 2 ** k;
  }
  // The multiplicities are written where the record says they are (a forging test reads the record).
  for (const { width: k, multiplicities: at } of tables) {
    lines.push(
      `    for (var j = 0; j < ${2 ** k}; j++) {`,
      `        logupCommitted[${at} + j] <== lkCount${k}.m[j];`,
      `        lkTable${k}.logupM[j] <== logupCommitted[${at} + j];`,
      '    }',
      `    lkTable${k}.alpha <== logupAlpha;`,
    );
  }
  return { lines, constraints: alphaRows, committed, tables };
}
