/**
 * Progress of a long CLI command (dataset commit, model compile and setup, prove), on stderr so stdout keeps the
 * command's JSON result:
 * - on a terminal, one line redrawn in place: the step, a bar when the total is known, the elapsed time;
 * - otherwise (a pipe, a CI log), a plain line when a step starts and one when it ends, never a flood;
 * - with `--json`, one JSON object per line ({"event":"progress","step":…,"done":…,"total":…,"elapsedMs":…}) for
 *   programs that drive the CLI.
 */
import { COMPILE_PHASES, type CompilePhase, type SetupStep } from '../prover/progress.ts';

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface Progress {
  /** A step starts (or is now at done/total). Repeated calls for the same step only update it. */
  update(step: string, done?: number, total?: number): void;
  /** The current step is over (the line is finished). */
  end(): void;
  /** A message for the reader, printed above the progress line (a log line). */
  note(message: string): void;
}

const BAR_WIDTH = 24;

/** A model compile's phases (prover/progress.ts) as progress names them, here and against a service (`zkai --server …`). */
const COMPILE_STEPS: Record<CompilePhase, string> = {
  import: 'import the ONNX graph',
  quantize: 'quantize on the calibration rows',
  circuit: 'generate and compile the circuit',
  setup: 'trusted setup (Groth16 keys)',
  commitment: 'commit to the weights',
  store: 'write the model files',
};

/** The setup's steps within its phase. */
const SETUP_STEP_NAMES: Record<SetupStep, string> = {
  ptau: 'powers of tau',
  zkey: 'phase-2 zkey (sparse combinations)',
  contribution: 'phase-2 contribution (L and H sections)',
  keys: 'verification key and Solidity verifier',
};

/** The progress line of a compile at `phase` (and the setup's `step`): "4/6 trusted setup (Groth16 keys): powers of tau". */
export function compileStep(phase: CompilePhase, step?: SetupStep): string {
  const head = `${COMPILE_PHASES.indexOf(phase) + 1}/${COMPILE_PHASES.length} ${COMPILE_STEPS[phase]}`;
  return step ? `${head}: ${SETUP_STEP_NAMES[step]}` : head;
}

export function progressMode(json: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (json) return 'json';
  return stream.isTTY ? 'tty' : 'plain';
}

export function createProgress(mode: ProgressMode, write: (text: string) => void = (t) => process.stderr.write(t)): Progress {
  let step: string | undefined;
  let stepStarted = 0;
  let lastDraw = 0;
  let last: [number | undefined, number | undefined] = [undefined, undefined];
  const started = performance.now();
  const seconds = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;
  const line = (done?: number, total?: number) => {
    const count = total ? ` [${bar(done ?? 0, total)}] ${(done ?? 0).toLocaleString('en')}/${total.toLocaleString('en')}` : '';
    return `${step}${count}  ${seconds(stepStarted)}`;
  };
  const finish = () => {
    if (step === undefined) return;
    if (mode === 'tty') write(`\r\x1b[2K${step}: ${seconds(stepStarted)}\n`);
    else if (mode === 'plain') write(`${step}: done in ${seconds(stepStarted)}\n`);
    else write(`${JSON.stringify({ event: 'step-done', step, elapsedMs: Math.round(performance.now() - stepStarted) })}\n`);
    step = undefined;
  };
  return {
    update(next, done, total) {
      const now = performance.now();
      if (next !== step) {
        finish();
        step = next;
        stepStarted = now;
        lastDraw = 0;
        if (mode === 'plain') write(`${step}...\n`);
      }
      if (mode === 'json') {
        // At most ten lines a second per step, but always the first and the last.
        if (now - lastDraw < 100 && done !== total && lastDraw !== 0) return;
        lastDraw = now;
        write(`${JSON.stringify({ event: 'progress', step, ...(total ? { done, total } : {}), elapsedMs: Math.round(now - started) })}\n`);
      } else if (mode === 'tty') {
        last = [done, total];
        if (now - lastDraw < 50 && done !== total && lastDraw !== 0) return;
        lastDraw = now;
        write(`\r\x1b[2K${line(done, total)}`);
      }
    },
    end: finish,
    note(message) {
      if (mode === 'json') write(`${JSON.stringify({ event: 'log', message })}\n`);
      else if (mode === 'plain' || step === undefined) write(`${message}\n`);
      else write(`\r\x1b[2K${message}\n${line(...last)}`);
    },
  };
}

function bar(done: number, total: number): string {
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)));
  return `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
}

/** A compiled model's constraints per layer and their total, as `model compile` prints them (local and remote). */
export function logConstraintTable(
  constraints: { total: number; perLayer: readonly { layer: string; kind: string; constraints: number }[] },
  log: (line: string) => void,
): void {
  log('\nconstraints per layer:');
  for (const l of constraints.perLayer) log(`  ${l.layer.padEnd(24)} ${l.kind.padEnd(12)} ${String(l.constraints).padStart(8)}`);
  log(`  ${'total'.padEnd(37)} ${String(constraints.total).padStart(8)}`);
}
