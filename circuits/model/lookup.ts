/**
 * The TypeScript side of circuits/lib/nonlinear.circom: the exact integer semantics of Lookup, FloorDiv and
 * SoftmaxRow (what the circuit outputs, BAD_INPUT where it has no witness), their constraint costs, and the emission
 * helpers the table ops share (a table as a circom var array, the wiring of a node template's input).
 */
import { ZkaiError } from '../../common/errors.ts';
import { bitLength } from './gadget-cost.ts';
import type { Signals } from './ops/op.ts';

/** Widest table index: 2^12 entries (a 12-bit input); wider inputs are floor-shifted to it first (documented per op). */
export const TABLE_MAX_BITS = 12;
/** Narrowest: Lookup needs at least 2 bits per digit. */
export const TABLE_MIN_BITS = 4;

/** Table width for a signed inBits input, and the floor shift that brings a wider one to TABLE_MAX_BITS. */
export function tableWidth(inBits: number): { bits: number; shift: number } {
  if (inBits > TABLE_MAX_BITS) return { bits: TABLE_MAX_BITS, shift: inBits - TABLE_MAX_BITS };
  return { bits: Math.max(inBits, TABLE_MIN_BITS), shift: 0 };
}

/**
 * Lookup's cost before the table is known (cost.ts estimates): its selectors only, 2^⌊b/2⌋ + 2^⌈b/2⌉, a lower bound
 * (a table of constant rows needs no product), since the estimate must never exceed the count.
 */
export function lookupCostBound(b: number): number {
  return 2 ** Math.floor(b / 2) + 2 ** Math.ceil(b / 2);
}

/** Rows (of 2^l entries) of the table that are not constant: each costs Lookup one product. */
function nonConstantRows(table: readonly number[], b: number, l: number): number {
  const nL = 2 ** l;
  let rows = 0;
  for (let k = 0; k < 2 ** (b - l); k++) {
    const row = table.slice(k * nL, (k + 1) * nL);
    if (row.some((v) => v !== row[0])) rows++;
  }
  return rows;
}

/** Lookup(b, l, T): 2^l + 2^(b-l) booleanity constraints and one product per non-constant row. */
export function lookupCost(table: readonly number[], b: number, l: number): number {
  return 2 ** l + 2 ** (b - l) + nonConstantRows(table, b, l);
}

/** The digit split l (2 <= l <= b - 2) with the fewest constraints for this table. */
export function bestSplit(table: readonly number[], b: number): number {
  if (table.length !== 2 ** b || b < TABLE_MIN_BITS || b > 16)
    throw new ZkaiError('INTERNAL', `lookup table of ${table.length} for ${b} bits`);
  let best = 2;
  for (let l = 3; l <= b - 2; l++) if (lookupCost(table, b, l) < lookupCost(table, b, best)) best = l;
  return best;
}

/** What Lookup(b, l, T) outputs for u: T[u], for u ∈ [0, 2^b) only (no witness otherwise). */
export function lookupRef(table: readonly number[], b: number, u: bigint): bigint {
  if (u < 0n || u >= 1n << BigInt(b)) throw new ZkaiError('BAD_INPUT', `lookup index ${u} is outside [0, 2^${b})`);
  return BigInt(table[Number(u)]!);
}

/** FloorDiv(bQ, bD): 1 + 2·bD + bQ constraints. */
export function floorDivCost(bQ: number, bD: number): number {
  return 1 + 2 * bD + bQ;
}

/**
 * What FloorDiv(bQ, bD) outputs: floor(num / den). It has a witness exactly when num >= 0, den >= 1, the remainder r
 * and den - 1 - r fit bD bits and the quotient bQ bits (so any den <= 2^bD works).
 */
export function floorDivRef(num: bigint, den: bigint, bQ: number, bD: number): bigint {
  if (den < 1n || num < 0n) throw new ZkaiError('BAD_INPUT', `floor division ${num} / ${den} has no witness`);
  const [q, r] = [num / den, num % den];
  if (q >= 1n << BigInt(bQ) || den - 1n - r >= 1n << BigInt(bD))
    throw new ZkaiError('BAD_INPUT', `floor division ${num} / ${den} does not fit ${bQ}-bit quotient, ${bD}-bit divisor`);
  return q;
}

/** The softmax row's divisor width: 2·S <= 2·n·T[0] < 2^bD. */
export function softmaxDivBits(n: number, t0: number): number {
  return bitLength(2 * n * t0);
}

/** What SoftmaxRow(n, b, l, T, F, bD) outputs: round(T[m - x_i]·2^F / S) as floor((e·2^(F+1) + S) / 2S). */
export function softmaxRowRef(xs: readonly bigint[], b: number, table: readonly number[], F: number, bD: number): bigint[] {
  let m = xs[0]!;
  for (const x of xs) if (x > m) m = x;
  const e = xs.map((x) => lookupRef(table, b, m - x));
  const S = e.reduce((a, v) => a + v, 0n);
  return e.map((v) => floorDivRef((v << BigInt(F + 1)) + S, 2n * S, F + 1, bD));
}

/** SoftmaxRow's constraints: n lookups, n - 1 products (m is an input), n FloorDivs. */
export function softmaxRowCost(n: number, b: number, l: number, table: readonly number[], F: number, bD: number): number {
  return n * lookupCost(table, b, l) + (n - 1) + n * floorDivCost(F + 1, bD);
}

/** `var name[n] = [...]`, wrapped at 24 values a line (the source guard reads lines). */
export function varArray(name: string, values: readonly (number | bigint)[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 24)
    lines.push(`        ${values.slice(i, i + 24).join(', ')}${i + 24 < values.length ? ',' : ''}`);
  return [`    var ${name}[${values.length}] = [`, ...lines, '    ];'];
}

/** Lines that set `target[i] <== source(i)` for i < n: one loop when the source is a plain array, else unrolled. */
export function wireInput(n: number, target: string, source: Signals): string[] {
  const base = /^([A-Za-z_][A-Za-z0-9_.]*)\[0\]$/.exec(source(0))?.[1];
  let plain = base !== undefined;
  for (let i = 0; plain && i < n; i++) plain = source(i) === `${base}[${i}]`;
  if (plain) return [`    for (var i = 0; i < ${n}; i++) ${target}[i] <== ${base}[i];`];
  return Array.from({ length: n }, (_, i) => `    ${target}[${i}] <== ${source(i)};`);
}
