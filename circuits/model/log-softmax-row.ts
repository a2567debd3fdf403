/**
 * The TypeScript side of circuits/lib/log-softmax.circom (LogSoftmaxRow): the scales ops/log-softmax.ts picks, the
 * log tables, the exact integer semantics (what the circuit outputs) and the constraint cost. The normalisation of
 * the row sum S to an exponent k and an M-bit mantissa v, and the error bound's derivation, are in the template's
 * comment; docs/model.md states the result.
 */
import { ZkaiError } from '../../common/errors.ts';
import { bitLength } from './gadget-cost.ts';
import { requantize } from './int-reference.ts';
import { bestSplit, lookupCost, lookupRef } from './lookup.ts';
import type { QLogSoftmax } from './qir.ts';

/** What LogSoftmaxRow needs beyond the exp table: its scale Fe, the mantissa width M, the log tables. */
export type LogRowParams = Pick<QLogSoftmax, 'n' | 'Fe' | 'M' | 'lM' | 'logTable' | 'logConst' | 'G' | 'RB'>;

/** The finest input scale the log table serves (M = f + 5 <= 13: a 2^12-entry table); a finer input is floor-shifted. */
export const LOG_SOFTMAX_MAX_FRAC = 8;
/** Extra fractional bits of the log terms before the one rounding (each table rounding costs 2^-(G+1) LSB). */
export const LOG_SOFTMAX_G = 5;

/**
 * The scales for a row of n at the input's 2^-f (f <= LOG_SOFTMAX_MAX_FRAC): Fe = max(f, 0) + bitLength(n) + 3 (the
 * exp table's rounding costs < 2^-4 LSB) and M = max(f, 0) + 5 (the mantissa's truncation <= 2^-5 LSB).
 */
export function logSoftmaxScales(f: number, n: number): { Fe: number; M: number } {
  if (f > LOG_SOFTMAX_MAX_FRAC) throw new ZkaiError('INTERNAL', `log-softmax: input scale 2^-${f} not floor-shifted`);
  return { Fe: Math.max(f, 0) + bitLength(n) + 3, M: Math.max(f, 0) + 5 };
}

/** The documented error bound in output LSBs (log-softmax.circom): ½ + 2^-G + 2^(f-M) + (n - 1)·2^(f-Fe-1). */
export function logSoftmaxErrorBound(f: number, n: number, Fe: number, M: number, G = LOG_SOFTMAX_G): number {
  return 0.5 + 2 ** -G + 2 ** (f - M) + (n - 1) * 2 ** (f - Fe - 1);
}

/**
 * The log tables at 2^(f+G): LT[w] = round(log((w + 2^(M-1) + ½) / 2^(M-1))·2^(f+G)) for the mantissa v = w + 2^(M-1),
 * C[k] = round(k·ln2·2^(f+G)) for k < bitLength(n); RB bounds R = round(L / 2^G), L = C[k] + LT[w].
 */
export function logSoftmaxTables(f: number, n: number, Fe: number, M: number, G = LOG_SOFTMAX_G): LogRowParams {
  if (M < 5 || M > 13 || G < 1) throw new ZkaiError('INTERNAL', `log-softmax: mantissa of ${M} bits, G = ${G}`);
  const half = 2 ** (M - 1);
  const scale = 2 ** (f + G);
  const logTable = Array.from({ length: half }, (_, w) => Math.round(Math.log((w + half + 0.5) / half) * scale));
  const logConst = Array.from({ length: bitLength(n) }, (_, k) => Math.round(k * Math.LN2 * scale));
  const rMax = Math.floor((logConst.at(-1)! + Math.max(...logTable) + 2 ** (G - 1)) / 2 ** G);
  const RB = Math.max(1, bitLength(rMax));
  if (!logTable.every(Number.isSafeInteger) || RB + G > 200) throw new ZkaiError('BAD_INPUT', `log-softmax: scale 2^-${f}`);
  return { n, Fe, M, lM: bestSplit(logTable, M - 1), logTable, logConst, G, RB };
}

/** The row sum's normalisation: S·2^a = v·2^(sh0 + k) + r (log-softmax.circom's a, Fs, sh0). */
function shifts(p: LogRowParams): { a: number; Fs: number; sh0: number; K: number } {
  const a = Math.max(0, p.M - 1 - p.Fe);
  const Fs = p.Fe + a;
  return { a, Fs, sh0: Fs - (p.M - 1), K: bitLength(p.n) };
}

/**
 * What LogSoftmaxRow outputs: x_i - m - R, m = max x_j, S = Σ T[m - x_j], k = ⌊log2(S·2^a / 2^Fs)⌋, the mantissa
 * v = ⌊S·2^a / 2^(sh0 + k)⌋, R = ⌊(C[k] + LT[v - 2^(M-1)] + 2^(G-1)) / 2^G⌋. Rows of xs.length = p.n only.
 */
export function logSoftmaxRowRef(xs: readonly bigint[], b: number, table: readonly number[], p: LogRowParams): bigint[] {
  if (xs.length !== p.n) throw new ZkaiError('INTERNAL', `log-softmax row of ${xs.length}, not ${p.n}`);
  let m = xs[0]!;
  for (const x of xs) if (x > m) m = x;
  const S = xs.reduce((acc, x) => acc + lookupRef(table, b, m - x), 0n);
  const { a, Fs, sh0, K } = shifts(p);
  const Sp = S << BigInt(a);
  const k = Sp.toString(2).length - 1 - Fs;
  if (k < 0 || k >= K) throw new ZkaiError('INTERNAL', `log-softmax row sum ${S} outside [2^${p.Fe}, n·2^${p.Fe}]`);
  const v = Sp >> BigInt(sh0 + k);
  const L = BigInt(p.logConst[k]!) + lookupRef(p.logTable, p.M - 1, v - (1n << BigInt(p.M - 1)));
  const R = requantize(L + (1n << BigInt(p.G - 1)), p.RB + p.G + 1, p.G, p.RB + 1);
  return xs.map((x) => x - m - R);
}

/**
 * LogSoftmaxRow's constraints: n exp lookups, n - 1 products (m), K selector bits, the product v·2^sh_k, r's shMax
 * bits and K - 1 masks, the mantissa's log lookup, and the rounding's Requantize (RB + G + 1, never saturating).
 */
export function logSoftmaxRowCost(b: number, l: number, table: readonly number[], p: LogRowParams): number {
  const { sh0, K } = shifts(p);
  const shMax = sh0 + K - 1;
  return p.n * lookupCost(table, b, l) + (p.n - 1) + K + 1 + shMax + (K - 1) + lookupCost(p.logTable, p.M - 1, p.lM) + p.RB + p.G + 1;
}
