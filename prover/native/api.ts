/**
 * The surface of zkai's native C++ engine (prover/native), as seen from TypeScript.
 * Layouts are those of gpu/backend.ts (snarkjs zkey/wtns layouts): Fr scalars 32-byte LE standard
 * form, G1 affine 64 bytes and G2 affine 128 bytes with Montgomery-form coordinates, zero = infinity.
 *
 * Every method runs on the engine's own thread pool (not the Node event loop) and resolves when done;
 * several calls may be in flight at once (the Groth16 prover runs the G2 MSM beside the G1 ones).
 */
import type { NttOptions, ProvingBackend } from '../../gpu/backend.ts';
import type { FixedBaseKernels } from '../groth16/fixed-tables.ts';

export interface NativeEngine extends ProvingBackend, FixedBaseKernels {
  readonly name: 'native';
  /** Engine build id, e.g. "zkai-native 0.1 (x86_64, adx)". */
  readonly version: string;
  /** Worker threads the engine uses (default: available parallelism; env ZKAI_NATIVE_THREADS). */
  readonly threads: number;

  ntt(values: Uint8Array, opts?: NttOptions): Promise<Uint8Array>;

  /**
   * Groth16 quotient evaluations, exactly as snarkjs's groth16 prover computes them:
   *   1. A, B evaluations on the size-n domain from the zkey's coefficient section (section 4) and the
   *      witness: A[c] += coef · w[s] for every (matrix 0, c, s, coef) entry, B likewise for matrix 1;
   *      C[i] = A[i] · B[i].
   *   2. For each of A, B, C: inverse NTT, then forward NTT on the coset ω₂ₙ·H.
   *   3. Returns (A·B − C) pointwise on the coset: n Fr values, 32-byte LE standard form, the scalars of
   *      the H MSM against the zkey's section 9.
   * `coefs` is section 4's body *after* its leading u32 count (nCoefs entries of 12 + 32 bytes:
   * matrix u32, constraint u32, signal u32, value 32 bytes LE in the form snarkjs stores it).
   * `witness` is nVars Fr values, 32-byte LE standard form (the .wtns section 2 body).
   */
  groth16Quotient(coefs: Uint8Array, nCoefs: number, witness: Uint8Array, domainSize: number): Promise<Uint8Array>;

  /**
   * The end of a Groth16 proof (src/finish.inc), constant-time in the secret r and s: with the key's points
   * `key` = α₁ ‖ β₁ ‖ δ₁ ‖ β₂ ‖ δ₂ (448 bytes) and the MSMs `parts` = A ‖ B₁ ‖ C ‖ H ‖ B₂ (384 bytes), all affine in the
   * MSMs' layout, and `rs` = r ‖ s (64 bytes, LE standard form, below r), returns πA ‖ πB ‖ πC (256 bytes, same layout):
   *   πA = α₁ + A + r·δ₁,  πB = β₂ + B₂ + s·δ₂,  πC = C + H + s·πA + r·(β₁ + B₁).
   * Synchronous (a fraction of a millisecond). Throws a RangeError when a point is not on its curve or a coordinate
   * or scalar is not canonical.
   */
  groth16Finish(key: Uint8Array, parts: Uint8Array, rs: Uint8Array): Uint8Array;

  /**
   * Pass 2 of a LogUp proof from pass 1's witness values (prover/lookup/alpha-patch.ts builds the plan's bytes;
   * src/alpha-patch.inc has their layout): writes into `out` (as long as `values`, or `values` itself: in place) the
   * values with α set to `alpha2` (32 bytes LE, below r) and every inverse wire re-solved, byte for byte what
   * alpha-patch.ts's BigInt patchAlpha gives; false (nothing written in place) when α₂ is a pole of a row. Synchronous
   * (a few ms for a LeNet-5). Throws a RangeError for a malformed plan.
   */
  lookupAlphaPatch(plan: Uint8Array, values: Uint8Array, alpha2: Uint8Array, out: Uint8Array): boolean;

  /**
   * Readies the engine for Groth16 proofs over a key of this shape (zkey header: domain size, variables, section-4
   * coefficients): builds the domain's NTT twiddles and the quotient's coset factors, which a proof would otherwise
   * build on its first call, and maps and pre-faults (huge pages where the system has them) the scratch memory a proof
   * allocates, which the engine then keeps between calls (up to ZKAI_NATIVE_SCRATCH_MIB, default 1024). Afterwards the
   * first proof runs like a warm one. Optional: proofs are correct without it.
   */
  prepareGroth16(domainSize: number, nVars: number, nCoefs: number): Promise<void>;
  /*
   * Fixed-base tables (src/msm-fixed.inc, prover/groth16/fixed-tables.ts): fixedTablePlan(n, g2, maxCopies, window?)
   * says what a table for n bases with at most maxCopies copies holds and how many bytes it takes (window: forced c,
   * for tests; else chosen); fixedTableBuild fills a Uint8Array of exactly that size (8-byte aligned, as a fresh
   * Uint8Array is) from the bases, for that window and copies; msmFixed(table, scalars, g2) is the MSM of the table's
   * bases (the first scalars.length/32 of them), read in place. A table is only ever built by this engine in this
   * process: msmFixed checks its header and size, not its points.
   */
  /** Bytes of scratch memory the engine keeps mapped for reuse between calls (see prepareGroth16). */
  scratchKeptBytes(): number;

  /**
   * A file's bytes over a private, pre-populated memory mapping (writes stay in this process; unmapped when the
   * array is collected): no read() copy and none of a fresh buffer's page faults. Synchronous. For a one-shot proof
   * (`zkai prove`): the file must not be truncated while mapped, so long-lived processes read files instead. Throws
   * an Error with the system's message, with `code` ENOENT, EACCES or EISDIR where that is the cause.
   */
  mapFile(path: string): Uint8Array;

  /** scalars[i] · G1 generator for every i, affine, in one batch (trusted-setup sections). */
  g1FixedBase(scalars: Uint8Array): Promise<Uint8Array>;
  /** scalars[i] · G2 generator for every i, affine. */
  g2FixedBase(scalars: Uint8Array): Promise<Uint8Array>;

  /**
   * Sparse linear combinations of points (zkey generation: A/B/C query points are sums of Lagrange-basis
   * points weighted by r1cs coefficients). `terms` holds nTerms entries of 40 bytes: output index u32 LE,
   * point index u32 LE, scalar 32 bytes LE standard form. Returns nOutputs affine points:
   * out[o] = Σ_{terms with output o} scalar · points[pointIndex]. Outputs no term touches are infinity.
   */
  g1SparseCombine(points: Uint8Array, terms: Uint8Array, nOutputs: number): Promise<Uint8Array>;
  g2SparseCombine(points: Uint8Array, terms: Uint8Array, nOutputs: number): Promise<Uint8Array>;

  /** Scales every G1 point by one scalar (e.g. by 1/δ in a phase-2 contribution), affine out. */
  g1BatchScale(points: Uint8Array, scalar: Uint8Array): Promise<Uint8Array>;

  /**
   * Registers Poseidon's constants for width t (2..6) in circomlibjs's optimised layout (poseidon_constants_opt:
   * C, S, and the t×t matrices M and P row-major), each element 32 bytes big-endian and canonical; returns the
   * handle the two calls below take. The engine holds no Poseidon constant of its own (circuits/dataset/poseidon.ts
   * passes circomlibjs's). Synchronous; throws RangeError on a malformed table.
   */
  poseidonParams(t: number, nRoundsF: number, nRoundsP: number, C: Uint8Array, S: Uint8Array, M: Uint8Array, P: Uint8Array): number;
  /** n Poseidon hashes of t-1 inputs each: `inputs` is n·(t-1) elements, 32-byte big-endian (< r); n×32 bytes out. */
  poseidonHash(handle: number, inputs: Uint8Array): Promise<Uint8Array>;
  /**
   * One level of a Merkle-sum tree (circuits/dataset/merkle.ts's node layout: 32-byte big-endian hash, 16-byte
   * big-endian sum): n nodes in, ⌈n/2⌉ parents out, parent = (Poseidon(lh, ls, rh, rs), ls + rs), an odd last node
   * paired with `zero`. Needs a width-5 handle.
   */
  merkleSumLevel(handle: number, nodes: Uint8Array, zero: Uint8Array): Promise<Uint8Array>;
}
