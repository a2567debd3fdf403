/**
 * Proving phases as a running job reports them. zkai's own prover goes witness → quotient → msm (the
 * quotient and the query MSMs overlap; `msm` starts when the quotient is done and only MSMs remain);
 * the snarkjs engine can only tell witness → proving.
 */
export type ProvePhase = 'witness' | 'quotient' | 'msm' | 'proving';
export const PROVE_PHASES: readonly ProvePhase[] = ['witness', 'quotient', 'msm', 'proving'];

/** Told each time a proof enters a phase (WarmProver.prove, ProverPool.prove). */
export type OnPhase = (phase: ProvePhase) => void;

/**
 * A model compile's phases (compileModel), the one list: import (ONNX → graph, size estimate) → quantize (calibration,
 * agreement; circom starts meanwhile) → circuit (circom codegen and compile, witness-calculator check) → setup
 * (Groth16 keys, in SETUP_STEPS) → commitment (the weights' Pedersen opening or Poseidon hash; none for public weights)
 * → store (the
 * model's files written and, by the job, kept where every node finds them). A cached circuit or setup is a short phase.
 */
export type CompilePhase = 'import' | 'quantize' | 'circuit' | 'setup' | 'commitment' | 'store';
export const COMPILE_PHASES: readonly CompilePhase[] = ['import', 'quantize', 'circuit', 'setup', 'commitment', 'store'];

/**
 * The steps of a Groth16 setup (ensureCircuitSetup) within a compile's `setup` phase: ptau (the powers of tau ready:
 * a development one may be generated), zkey (the phase-2 zkey from r1cs + ptau: the sparse combinations), contribution
 * (zkai's phase-2 contribution: the L and H sections divided by the secret, counted in points), keys (verification key
 * and Solidity verifier).
 */
export type SetupStep = 'ptau' | 'zkey' | 'contribution' | 'keys';
export const SETUP_STEPS: readonly SetupStep[] = ['ptau', 'zkey', 'contribution', 'keys'];

/** Told as a setup enters a step, and as a countable step moves (done of total). */
export type OnSetupStep = (step: SetupStep, done?: number, total?: number) => void;

/**
 * Where each compile phase starts and ends, in percent of the whole compile: fixed weights, an estimate and not a
 * measurement, from the split of two cold compiles (empty circuit and key cache, ptau cached; docs/service.md "Job
 * progress"): the digits MLP (2,137 constraints, 9 s: circom 57 %, setup 36 %) and LeNet-5 (211,937 constraints,
 * 194 s: circom 38 %, setup 58 %, the commitment 2 %). A cached circuit or setup makes its phase short: the percent
 * then jumps ahead, never back.
 */
export const COMPILE_PERCENT: Record<CompilePhase, readonly [number, number]> = {
  import: [0, 1],
  quantize: [1, 5],
  circuit: [5, 45],
  setup: [45, 95],
  commitment: [95, 98],
  store: [98, 100],
};

/**
 * Where each setup step starts and ends, in percent of the whole compile (within COMPILE_PERCENT.setup; an estimate
 * as it is: LeNet-5's zkey 52 s, contribution 56 s, keys 3 s). The contribution moves with its points.
 */
export const SETUP_STEP_PERCENT: Record<SetupStep, readonly [number, number]> = {
  ptau: [45, 46],
  zkey: [46, 70],
  contribution: [70, 93],
  keys: [93, 95],
};

/** A compile's progress as compileModel reports it: its phase, the setup's step, and the estimate of the whole. */
export interface CompileProgress {
  phase: CompilePhase;
  step?: SetupStep;
  /** 0..100 from COMPILE_PERCENT and SETUP_STEP_PERCENT (moving within the setup's contribution), a whole number. */
  percent: number;
}

/** The estimate of a whole compile at `phase` (and setup `step`, `done` of `total` within it), a whole number. */
export function compilePercent(phase: CompilePhase, step?: SetupStep, done?: number, total?: number): number {
  if (phase !== 'setup' || !step) return COMPILE_PERCENT[phase][0];
  const [from, to] = SETUP_STEP_PERCENT[step];
  const fraction = total !== undefined && total > 0 && done !== undefined ? Math.max(0, Math.min(1, done / total)) : 0;
  return Math.floor(from + (to - from) * fraction);
}

/** The compile's weights in words, for the API's description (server/schemas.ts): written from the tables above. */
export function compileWeightsText(): string {
  const range = ([a, b]: readonly [number, number]) => `${a}–${b}`;
  const steps = SETUP_STEPS.map((s) => `${s} ${range(SETUP_STEP_PERCENT[s])}`).join(', ');
  return COMPILE_PHASES.map((p) => `${p} ${range(COMPILE_PERCENT[p])}${p === 'setup' ? ` (${steps})` : ''}`).join(', ');
}

/** A background dataset commit's phases: hashing the leaves, then the tree's levels. */
export type CommitPhase = 'leaves' | 'tree';
export const COMMIT_PHASES: readonly CommitPhase[] = ['leaves', 'tree'];

/** Any phase a job reports: the closed set the job record and the API's schema (server/schemas.ts) take. */
export type ReportedPhase = ProvePhase | CompilePhase | CommitPhase;
export const REPORTED_PHASES: readonly ReportedPhase[] = [...PROVE_PHASES, ...COMPILE_PHASES, ...COMMIT_PHASES];

/** Any step a job reports within its phase (only a compile's setup has steps). */
export type ReportedStep = SetupStep;
export const REPORTED_STEPS: readonly ReportedStep[] = SETUP_STEPS;

/** A running job's progress as stored on the job and shown by the API. */
export interface JobProgress {
  phase: ReportedPhase;
  /** The step within the phase, when the phase has steps (a compile's setup: SETUP_STEPS). */
  step?: ReportedStep;
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
  // A compile's: the starts of COMPILE_PERCENT (its handler reports its own percent within them).
  import: COMPILE_PERCENT.import[0],
  quantize: COMPILE_PERCENT.quantize[0],
  circuit: COMPILE_PERCENT.circuit[0],
  setup: COMPILE_PERCENT.setup[0],
  commitment: COMPILE_PERCENT.commitment[0],
  store: COMPILE_PERCENT.store[0],
  leaves: 0,
  tree: 50,
};

/** What a job handler reports: a phase, and a percent when it knows better than the phase's start. */
export interface ProgressUpdate {
  phase: ReportedPhase;
  step?: ReportedStep;
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
 * A JobContext whose updates go to `write` (a store's setProgress): every change of phase or step is written (they
 * are few), a new percent within the same one at most once a second, so a chatty handler cannot flood the store,
 * except 100 (the work is done: a compile says so before its job succeeds), always written once.
 * A failing write is reported to `onError` and otherwise ignored: progress must never fail a proof.
 */
export function progressReporter(write: (p: JobProgress) => unknown, onError?: (err: unknown) => void): JobContext {
  let last: string | undefined;
  let lastPercent: number | undefined;
  let lastAt = 0;
  return {
    progress(update) {
      const now = Date.now();
      const at = `${update.phase}/${update.step ?? ''}`;
      const percent = Math.max(0, Math.min(100, Math.round(update.percent ?? PHASE_START_PERCENT[update.phase])));
      if (at === last) {
        if (update.percent === undefined || percent === lastPercent) return;
        if (percent < 100 && now - lastAt < PERCENT_MIN_INTERVAL_MS) return;
      }
      last = at;
      lastPercent = percent;
      lastAt = now;
      const p: JobProgress = {
        phase: update.phase,
        ...(update.step ? { step: update.step } : {}),
        percent,
        updatedAt: new Date(now).toISOString(),
      };
      try {
        Promise.resolve(write(p)).catch((err) => onError?.(err));
      } catch (err) {
        onError?.(err);
      }
    },
  };
}

/** A JobContext that drops everything (for handlers called without one). */
export const NO_PROGRESS: JobContext = { progress() {} };
