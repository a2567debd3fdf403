/**
 * Precomputed multiples of a proving key's fixed bases, for a prover that keeps a circuit warm (issue 17, item 4).
 *
 * Every proof of a circuit runs its five MSMs over the same points: A, B1, C, H in G1 and B2 in G2. For each base P
 * the native engine can keep the copies 2^(c·t·j)·P, j < q (prover/native/src/msm-fixed.inc); an MSM's ⌈254/c⌉
 * windows then run as t passes of q windows, each pass one bucket set, so a proof pays t bucket reductions instead of
 * one per window and can take a wider window. The cost is memory, q copies of every base, and a build that doubles
 * each base about 254 times once per load.
 *
 * The memory is budgeted per proving process (ZKAI_FIXED_BASE_MIB, default 256: a depth-20 membership circuit takes
 * 66 MiB with every window precomputed; docs/engines.md has the figures). A table pays where the plain MSM's bucket
 * reductions are a large share of its work, small circuits: 20% less CPU at the membership circuit, nothing at 2^17
 * (its windows already hold many points each, and wider windows fall out of cache), so a query gets a table only where
 * the engine's cost model says it saves MIN_SAVING; the copy bound is the largest at which those tables fit.
 */
import { ZkaiError } from '../../common/errors.ts';
import type { ParsedZkey } from './zkey.ts';

/** The fewest copies a table is planned with (below, its passes are about the plain MSM's windows). */
export const MIN_COPIES = 4;

/**
 * The least modelled saving for which a query gets a table: the model (msm-fixed.inc's fixed_plan) matched measured
 * CPU time within a few points at the membership circuit (-20%) and says ~2% at 2^17 with 5 copies, where a table
 * is memory for nothing.
 */
export const MIN_SAVING = 0.1;

/** The default per-process budget, MiB. */
export const DEFAULT_FIXED_BASE_MIB = 256;

/** The native engine's fixed-base calls (prover/native/api.ts). */
export interface FixedBaseKernels {
  fixedTablePlan(n: number, g2: boolean, maxCopies: number, window?: number): FixedTablePlan;
  fixedTableBuild(bases: Uint8Array, g2: boolean, table: Uint8Array, window: number, copies: number): Promise<void>;
  msmFixed(table: Uint8Array, scalars: Uint8Array, g2: boolean): Promise<Uint8Array>;
}

/** A table's shape: window bits c, copies q, passes t, windows nw (q·t ≥ nw), and its size in bytes. */
export interface FixedTablePlan {
  c: number;
  q: number;
  t: number;
  nw: number;
  /** The share of the plain MSM's modelled work it saves (negative: it costs more). */
  saving: number;
  bytes: number;
}

/** One table per query MSM; a query without one runs the plain MSM. */
export interface FixedTables {
  a?: Uint8Array;
  b1?: Uint8Array;
  c?: Uint8Array;
  h?: Uint8Array;
  b2?: Uint8Array;
  /** Their bytes together. */
  bytes: number;
  /** The copies each holds. */
  copies: number;
}

type Query = 'a' | 'b1' | 'c' | 'h' | 'b2';
const QUERIES: Query[] = ['a', 'b1', 'c', 'h', 'b2'];

function basesOf(zkey: ParsedZkey, q: Query): Uint8Array {
  switch (q) {
    case 'a':
      return zkey.pointsA;
    case 'b1':
      return zkey.pointsB1;
    case 'c':
      return zkey.pointsC;
    case 'h':
      return zkey.pointsH;
    case 'b2':
      return zkey.pointsB2;
  }
}

const isG2 = (q: Query) => q === 'b2';
const pointCount = (zkey: ParsedZkey, q: Query) => basesOf(zkey, q).byteLength / (isG2(q) ? 128 : 64);

/** The budget in bytes that ZKAI_FIXED_BASE_MIB names (0 turns the tables off); anything else is BAD_INPUT. */
export function fixedBaseBudgetFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.ZKAI_FIXED_BASE_MIB ?? '').trim();
  if (raw === '') return DEFAULT_FIXED_BASE_MIB * 2 ** 20;
  const mib = Number(raw);
  if (!Number.isInteger(mib) || mib < 0 || mib > 1 << 20) {
    throw new ZkaiError('BAD_INPUT', `ZKAI_FIXED_BASE_MIB must be a whole number of MiB from 0 to 1048576, not "${raw}"`);
  }
  return mib * 2 ** 20;
}

/**
 * The plans for a key's tables within `budget` bytes: the most copies (the same bound for every query) at which the
 * queries whose table saves at least MIN_SAVING of their MSM's modelled work fit together; null when none does.
 * `window` forces c (tests; every query gets a table then, whatever it saves).
 */
export function planFixedTables(
  zkey: ParsedZkey,
  fb: Pick<FixedBaseKernels, 'fixedTablePlan'>,
  budget: number,
  window = 0,
): { plans: Map<Query, FixedTablePlan>; bytes: number; copies: number } | null {
  const live = QUERIES.filter((q) => pointCount(zkey, q) > 0);
  for (let copies = 256; copies >= MIN_COPIES; copies = copies > 64 ? copies >> 1 : copies - 1) {
    const plans = new Map<Query, FixedTablePlan>();
    let bytes = 0;
    for (const q of live) {
      const p = fb.fixedTablePlan(pointCount(zkey, q), isG2(q), copies, window);
      if (window === 0 && p.saving < MIN_SAVING) continue;
      plans.set(q, p);
      bytes += p.bytes;
    }
    if (plans.size > 0 && bytes <= budget) return { plans, bytes, copies: Math.max(...[...plans.values()].map((p) => p.q)) };
  }
  return null;
}

/** Builds a key's tables within `budget` bytes (see planFixedTables); undefined when none fit. */
export async function buildFixedTables(
  zkey: ParsedZkey,
  fb: FixedBaseKernels,
  budget: number,
  window = 0,
): Promise<FixedTables | undefined> {
  const planned = planFixedTables(zkey, fb, budget, window);
  if (!planned) return undefined;
  const tables: FixedTables = { bytes: planned.bytes, copies: planned.copies };
  // One at a time: each build already runs on every engine thread.
  for (const [q, p] of planned.plans) {
    const table = new Uint8Array(p.bytes);
    await fb.fixedTableBuild(basesOf(zkey, q), isG2(q), table, p.c, p.q);
    tables[q] = table;
  }
  return tables;
}
