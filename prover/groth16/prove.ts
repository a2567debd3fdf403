/**
 * zkai's own Groth16 prover over any ProvingBackend, reading snarkjs zkeys and producing snarkjs-format
 * proofs (the same verification keys, Solidity verifiers and verifiers accept them).
 *
 * With witness w, the zkey's query points and fresh r, s:
 *   πA  = α₁ + Σ wᵢ·Aᵢ + r·δ₁
 *   πB  = β₂ + Σ wᵢ·B2ᵢ + s·δ₂          (and πB₁ = β₁ + Σ wᵢ·B1ᵢ + s·δ₁ in G1, only for πC)
 *   πC  = Σ_{private i} wᵢ·Cᵢ + Σ hⱼ·Hⱼ + s·πA + r·πB₁ − r·s·δ₁
 * where h are the quotient scalars (groth16Quotient). The five MSMs are the work; they go to the kernels,
 * the G2 one concurrently with the G1 ones. πC is computed as Σ wᵢ·Cᵢ + Σ hⱼ·Hⱼ + s·πA + r·(β₁ + Σ wᵢ·B1ᵢ): the
 * same point (r·πB₁ = r·(β₁ + Σ wᵢ·B1ᵢ) + r·s·δ₁, whose last term cancels), with four multiplications by the
 * secret r, s instead of six.
 *
 * The finish (those few additions and the multiplications by the secret r, s) is constant-time in r and s, in one of
 * two implementations: the native engine's (finish-native.ts, a fraction of a millisecond), or, on engines without
 * it, noble's with window tables (finish-noble.ts, ~10 ms, imported only then).
 */
import { ZkaiError } from '../../common/errors.ts';
import { FR_BYTES, type ProvingBackend } from '../../gpu/backend.ts';
import { type FinishKernel, nativeFinisher } from './finish-native.ts';
import type { FixedBaseKernels, FixedTables } from './fixed-tables.ts';
import { leToBigInt } from './point-bytes.ts';
import { BN254_R, type ParsedZkey } from './zkey.ts';

export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: 'groth16';
  curve: 'bn128';
}

export type QuotientFn = (coefs: Uint8Array, nCoefs: number, witness: Uint8Array, domainSize: number) => Promise<Uint8Array>;

/** What sizes a proving key's buffers have: its domain, variables and section-4 coefficients (ParsedZkey has them). */
export interface KeyShape {
  domainSize: number;
  nVars: number;
  nCoefs: number;
}

/** What a proof runs on: G1 and G2 MSMs may come from different backends (e.g. G1 on a GPU). */
export interface Groth16Kernels {
  /** For logs and results, e.g. "native" or "webgpu+native". */
  name: string;
  g1: Pick<ProvingBackend, 'msmG1'>;
  g2: Pick<ProvingBackend, 'msmG2'>;
  quotient: QuotientFn;
  /**
   * Readies the kernels for proofs over keys of this shape (tables, pre-faulted scratch memory), so that a first
   * proof is not slower than the next ones; absent when there is nothing to prepare.
   */
  prepare?: (shape: KeyShape) => Promise<void>;
  /** MSMs over precomputed fixed-base tables (fixed-tables.ts): the native engine's, absent elsewhere. */
  fixedBase?: FixedBaseKernels;
  /** The proof's finish in constant time (finish-native.ts): the native engine's; without it, noble's. */
  finish?: FinishKernel;
}

export interface ProveOptions {
  /**
   * Run the phases one after another instead of overlapping them, so that each phase's time is its own
   * (benchmarks). Default false: the quotient, G1 and G2 MSMs overlap.
   */
  sequential?: boolean;
  /**
   * Told when the proof enters a phase: `quotient` at the start, `msm` once the quotient is done and only MSMs
   * remain (the query MSMs overlap the quotient unless sequential). For job progress; must not throw.
   */
  onPhase?: (phase: 'quotient' | 'msm') => void;
  /** A warm circuit's fixed-base tables (fixed-tables.ts, built with these kernels): their MSMs run over them. */
  tables?: FixedTables;
}

export interface Groth16Timings {
  /** Quotient (H scalars) from its start to its end. */
  quotientMs: number;
  /** The four G1 MSMs, first start to last end (overlaps the quotient and G2 unless sequential). */
  msmG1Ms: number;
  msmG2Ms: number;
  /** The final point arithmetic (noble, or the kernels for a one-shot proof) and JSON encoding. */
  finishMs: number;
  totalMs: number;
}

export interface Groth16Result {
  proof: Groth16Proof;
  publicSignals: string[];
  timings: Groth16Timings;
}

/** A uniform nonzero scalar mod r from the OS CSPRNG (rejection sampling on 254-bit candidates). */
export function randomScalar(): bigint {
  const bytes = new Uint8Array(32);
  for (;;) {
    crypto.getRandomValues(bytes);
    bytes[31]! &= 0x3f; // r < 2^254
    const v = leToBigInt(bytes);
    if (v !== 0n && v < BN254_R) return v;
  }
}

/** Every witness value is canonical (< r), w₀ = 1, and the length matches the key. Returns the public signals. */
function checkWitness(zkey: ParsedZkey, witness: Uint8Array): string[] {
  if (witness.byteLength !== zkey.nVars * FR_BYTES) {
    throw new ZkaiError('BAD_INPUT', `witness has ${witness.byteLength / FR_BYTES} values, the circuit has ${zkey.nVars} variables`);
  }
  if (leToBigInt(witness, 0) !== 1n) throw new ZkaiError('BAD_INPUT', 'witness value 0 (the constant one) is not 1');
  for (let i = 0; i < zkey.nVars; i++) {
    // r's top byte is 0x30: only values at or above it need the full comparison.
    if (witness[i * FR_BYTES + 31]! >= 0x30 && leToBigInt(witness, i * FR_BYTES) >= BN254_R) {
      throw new ZkaiError('BAD_INPUT', `witness value ${i} is not below the BN254 scalar field order`);
    }
  }
  const publicSignals: string[] = [];
  for (let i = 1; i <= zkey.nPublic; i++) publicSignals.push(leToBigInt(witness, i * FR_BYTES).toString());
  return publicSignals;
}

/** The five MSM results a proof is finished from (affine, Montgomery LE, as the kernels return them). */
export interface MsmParts {
  a: Uint8Array;
  b1: Uint8Array;
  c: Uint8Array;
  h: Uint8Array;
  b2: Uint8Array;
}

/**
 * Everything a proof over this key builds on first use, built now (a warm prover's circuit load): the kernels' tables
 * and scratch memory, and, for kernels without a finish of their own, the key's constant points with noble's window
 * tables, their constant-time multiplication run once on a throwaway scalar so that it is compiled before the first
 * proof needs it.
 */
export async function prepareGroth16(zkey: ParsedZkey, kernels: Groth16Kernels): Promise<void> {
  const ready = kernels.prepare?.(zkey);
  if (!kernels.finish) (await import('./finish-noble.ts')).warmKeyPoints(zkey, randomScalar);
  await ready;
}

/**
 * One proof of a random witness, thrown away: a warm prover's load runs every step of a proof once (the JavaScript
 * around the kernels compiled, the kernels' and the finish's first calls made, over the tables when given), so that
 * the circuit's first real proof runs like the next ones. The witness satisfies no constraint; nothing is kept.
 */
export async function warmUpProof(zkey: ParsedZkey, kernels: Groth16Kernels, tables?: FixedTables): Promise<void> {
  const witness = new Uint8Array(zkey.nVars * FR_BYTES);
  crypto.getRandomValues(witness.subarray(0, Math.min(witness.length, 65_536)));
  for (let i = 65_536; i < witness.length; i += 65_536) witness.copyWithin(i, 0, Math.min(65_536, witness.length - i));
  for (let i = 31; i < witness.length; i += 32) witness[i]! &= 0x1f; // below 2^253 < r
  witness.fill(0, 0, FR_BYTES);
  witness[0] = 1; // w₀, the constant one
  await proveGroth16(zkey, witness, kernels, tables ? { tables } : {});
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; start: number; end: number }> {
  const start = performance.now();
  const value = await work();
  return { value, start, end: performance.now() };
}

export async function proveGroth16(
  zkey: ParsedZkey,
  witness: Uint8Array,
  kernels: Groth16Kernels,
  opts: ProveOptions = {},
): Promise<Groth16Result> {
  const t0 = performance.now();
  const publicSignals = checkWitness(zkey, witness);
  const privateWitness = witness.subarray((zkey.nPublic + 1) * FR_BYTES);
  const { g1, g2 } = kernels;
  // A query with a table (and kernels that read it) runs over the table, else the plain MSM over the key's points.
  const fixed = opts.tables && kernels.fixedBase ? { tables: opts.tables, fb: kernels.fixedBase } : undefined;
  const msmG1 = (table: Uint8Array | undefined, points: Uint8Array, scalars: Uint8Array) =>
    table && fixed ? fixed.fb.msmFixed(table, scalars, false) : g1.msmG1(points, scalars);

  opts.onPhase?.('quotient');
  const quotientThenH = async () => {
    const q = await timed(() => kernels.quotient(zkey.coefs, zkey.nCoefs, witness, zkey.domainSize));
    opts.onPhase?.('msm');
    const h = await timed(() => msmG1(fixed?.tables.h, zkey.pointsH, q.value));
    return { q, h };
  };
  const g1Queries = () =>
    timed(async () => {
      const a = await msmG1(fixed?.tables.a, zkey.pointsA, witness);
      const b1 = await msmG1(fixed?.tables.b1, zkey.pointsB1, witness);
      const c = await msmG1(fixed?.tables.c, zkey.pointsC, privateWitness);
      return { a, b1, c };
    });
  const b2Table = fixed?.tables.b2;
  const g2Query = () => timed(() => (b2Table && fixed ? fixed.fb.msmFixed(b2Table, witness, true) : g2.msmG2(zkey.pointsB2, witness)));

  // r, s (and, with noble, their multiples of δ) need none of the MSMs: the JavaScript thread computes them while the
  // kernels run, and returns the function that finishes the proof from the MSMs.
  const blinding = async (): Promise<(parts: MsmParts) => Groth16Proof | Promise<Groth16Proof>> => {
    await Promise.resolve(); // after the kernels' calls are queued
    const r = randomScalar();
    const s = randomScalar();
    if (kernels.finish) return nativeFinisher(zkey, kernels.finish, r, s);
    return (await import('./finish-noble.ts')).nobleFinisher(zkey, r, s);
  };

  let qh: Awaited<ReturnType<typeof quotientThenH>>;
  let g1q: Awaited<ReturnType<typeof g1Queries>>;
  let g2q: Awaited<ReturnType<typeof g2Query>>;
  let blind: Awaited<ReturnType<typeof blinding>>;
  if (opts.sequential) {
    qh = await quotientThenH();
    g1q = await g1Queries();
    g2q = await g2Query();
    blind = await blinding();
  } else {
    [qh, g1q, g2q, blind] = await Promise.all([quotientThenH(), g1Queries(), g2Query(), blinding()]);
  }

  const t1 = performance.now();
  // πB₁ enters without its s·δ₁ term: r·s·δ₁ from r·πB₁ would cancel against πC's −r·s·δ₁ (see the header).
  const proof = await blind({ a: g1q.value.a, b1: g1q.value.b1, c: g1q.value.c, h: qh.h.value, b2: g2q.value });
  const t2 = performance.now();
  const msmG1Start = Math.min(g1q.start, qh.h.start);
  const msmG1End = Math.max(g1q.end, qh.h.end);
  // Sequential: the G1 time is the sum of the H MSM and the three query MSMs, not their span.
  const msmG1Ms = opts.sequential ? g1q.end - g1q.start + (qh.h.end - qh.h.start) : msmG1End - msmG1Start;
  return {
    proof,
    publicSignals,
    timings: {
      quotientMs: qh.q.end - qh.q.start,
      msmG1Ms,
      msmG2Ms: g2q.end - g2q.start,
      finishMs: t2 - t1,
      totalMs: t2 - t0,
    },
  };
}

/** A backend that can ready itself for a key shape (the native engine's prepareGroth16), and may have fixed-base MSMs. */
type PreparingBackend = ProvingBackend & {
  prepareGroth16?: (domainSize: number, nVars: number, nCoefs: number) => Promise<void>;
  groth16Finish?: FinishKernel;
} & Partial<FixedBaseKernels>;

/** Kernels that run everything on one backend, with the given quotient implementation (and its preparation, if any). */
export function kernelsFrom(backend: PreparingBackend, quotient: QuotientFn, name: string = backend.name): Groth16Kernels {
  const kernels: Groth16Kernels = { name, g1: backend, g2: backend, quotient };
  if (typeof backend.prepareGroth16 === 'function') {
    kernels.prepare = (shape) => backend.prepareGroth16!(shape.domainSize, shape.nVars, shape.nCoefs);
  }
  if (typeof backend.groth16Finish === 'function') kernels.finish = backend.groth16Finish.bind(backend);
  const { fixedTablePlan, fixedTableBuild, msmFixed } = backend;
  if (fixedTablePlan && fixedTableBuild && msmFixed) kernels.fixedBase = { fixedTablePlan, fixedTableBuild, msmFixed };
  return kernels;
}
