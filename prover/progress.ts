/**
 * Proving phases as a running job reports them. zkai's own prover goes witness → quotient → msm (the
 * quotient and the query MSMs overlap; `msm` starts when the quotient is done and only MSMs remain);
 * the snarkjs engine can only tell witness → proving.
 */
export type ProvePhase = 'witness' | 'quotient' | 'msm' | 'proving';

/** Told each time a proof enters a phase (WarmProver.prove, ProverPool.prove). */
export type OnPhase = (phase: ProvePhase) => void;

/**
 * A model compile's phases (compileModel): import (ONNX → graph, size estimate) → quantize (calibration, agreement)
 * → circuit (circom codegen and compile, witness-calculator check) → setup (Groth16 keys) → commitment (Pedersen
 * opening of the weights, for committed models).
 */
export type CompilePhase = 'import' | 'quantize' | 'circuit' | 'setup' | 'commitment';
export const COMPILE_PHASES: readonly CompilePhase[] = ['import', 'quantize', 'circuit', 'setup', 'commitment'];

/** A background dataset commit's phases: hashing the leaves, then the tree's levels. */
export type CommitPhase = 'leaves' | 'tree';

/** Any phase a job reports. */
export type ReportedPhase = ProvePhase | CompilePhase | CommitPhase;

/** A running job's progress as stored on the job and shown by the API. */
export interface JobProgress {
  phase: ReportedPhase;
  /** A rough estimate, 0..100, from fixed per-phase weights (PHASE_START_PERCENT), not a measurement. */
  percent?: number;
  updatedAt: string;
}

/**
 * Where each phase starts, in percent of a whole proof: witness 0–10, quotient 10–25, msm 25–100 (the MSMs are
 * most of the work); snarkjs's single `proving` step 10–100. Rough fixed weights, documented as an estimate.
 */
export const PHASE_START_PERCENT: Record<ReportedPhase, number> = {
  witness: 0,
  quotient: 10,
  msm: 25,
  proving: 10,
  // A compile's time goes mostly to circom and the setup; rough fixed weights like the proof's.
  import: 0,
  quantize: 5,
  circuit: 20,
  setup: 55,
  commitment: 90,
  leaves: 0,
  tree: 50,
};

/** What a job handler reports: a phase, and a percent when it knows better than the phase's start. */
export interface ProgressUpdate {
  phase: ReportedPhase;
  percent?: number;
}

/** What the job runner passes a handler along with the job. */
export interface JobContext {
  /** Report progress; cheap, never throws, and rate-limited (see progressReporter). */
  progress(update: ProgressUpdate): void;
  /**
   * Aborted when the runner gives up on the job (its timeout): a handler that can stop its work (a child process:
   * jobs/children/child-process.ts) stops it then. Proofs on the pool cannot be interrupted and ignore it.
   */
  signal?: AbortSignal;
}

/** Percent-only updates of the same phase are written at most this often (phases themselves are few and always written). */
const PERCENT_MIN_INTERVAL_MS = 1000;

/**
 * A JobContext whose updates go to `write` (a store's setProgress): every phase change is written, a new
 * percent within the same phase at most once a second, so a chatty handler cannot flood the store.
 * A failing write is reported to `onError` and otherwise ignored: progress must never fail a proof.
 */
export function progressReporter(write: (p: JobProgress) => unknown, onError?: (err: unknown) => void): JobContext {
  let lastPhase: ReportedPhase | undefined;
  let lastAt = 0;
  return {
    progress(update) {
      const now = Date.now();
      if (update.phase === lastPhase && now - lastAt < PERCENT_MIN_INTERVAL_MS) return;
      if (update.phase === lastPhase && update.percent === undefined) return;
      lastPhase = update.phase;
      lastAt = now;
      const percent = Math.max(0, Math.min(100, Math.round(update.percent ?? PHASE_START_PERCENT[update.phase])));
      try {
        Promise.resolve(write({ phase: update.phase, percent, updatedAt: new Date(now).toISOString() })).catch((err) => onError?.(err));
      } catch (err) {
        onError?.(err);
      }
    },
  };
}

/** A JobContext that drops everything (for handlers called without one). */
export const NO_PROGRESS: JobContext = { progress() {} };
