/**
 * The service's child processes: model compiles (model-compile-child.ts: quantize, circom, Groth16 setup) and large
 * dataset commits (commit-child.ts). Each one can take a core and gigabytes for minutes, so:
 * - at most ZKAI_MAX_CHILD_PROCESSES (default 2) run at once in a process; more requests wait in a FIFO queue for a
 *   slot (never refused, never dropped), and the one that waits past its own deadline gives up without starting;
 * - a child that outlives its deadline (its job's timeout, or the commit timeout) is killed with its whole process
 *   group: the child is started as a group leader (`detached`), and circom, which the compile child spawns, is in the
 *   same group, so one SIGKILL to the group stops both, not just the node process that waits on circom.
 * A child whose parent goes away (IPC disconnect) kills its own group too (`exitWithGroupOnDisconnect`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { ZkaiError } from '../common/errors.ts';

/** Default of ZKAI_MAX_CHILD_PROCESSES. */
export const DEFAULT_MAX_CHILD_PROCESSES = 2;

/** A counting semaphore with a FIFO queue: `acquire` resolves with the function that frees the slot. */
export class ChildSlots {
  private running = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new ZkaiError('BAD_INPUT', `the child-process limit must be a positive integer, got ${max}`);
  }

  /** Children running now. */
  get active(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a free slot (in arrival order); rejects only if `signal` aborts first, and then takes no slot. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.running--;
    };
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const entry = {
        // The slot passes straight from the releasing child to this one: `running` stays as it is.
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new ZkaiError('JOB_TIMEOUT', 'the work was given up before its process started');
}

/** ZKAI_MAX_CHILD_PROCESSES: an integer in [1, 64], default 2. */
export function maxChildProcessesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ZKAI_MAX_CHILD_PROCESSES;
  if (raw === undefined || raw === '') return DEFAULT_MAX_CHILD_PROCESSES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new ZkaiError('BAD_INPUT', `ZKAI_MAX_CHILD_PROCESSES must be an integer in [1, 64], got ${JSON.stringify(raw)}`);
  }
  return n;
}

let shared: ChildSlots | undefined;

/** The process-wide slots every runChild shares (sized from ZKAI_MAX_CHILD_PROCESSES when first used). */
export function childSlots(): ChildSlots {
  shared ??= new ChildSlots(maxChildProcessesFromEnv());
  return shared;
}

export interface RunChildOptions {
  /** Absolute path of the child's script (TypeScript is run through tsx). */
  script: string;
  /** The one message the child gets. */
  request: unknown;
  /** For messages: "model compile", "dataset commit". */
  what: string;
  /** IPC serialisation ('advanced' keeps bigints). Default 'json'. */
  serialization?: 'json' | 'advanced';
  /** The child's stdout: its logs, or nothing. Default 'ignore'. stderr is always inherited. */
  stdout?: 'inherit' | 'ignore';
  /** Kill the child (and its group) after this long running; the promise rejects with JOB_TIMEOUT. */
  timeoutMs?: number;
  /** Kill the child (and its group) when this aborts, or give up the wait for a slot; rejects with signal.reason. */
  signal?: AbortSignal;
  /** Default: the process-wide childSlots(). */
  slots?: ChildSlots;
  /** Progress the child reports (reportToParent) before its answer. */
  onProgress?: (progress: unknown) => void;
}

/**
 * Runs one child process under the slot limit: waits for a slot, forks `script` as a process-group leader, sends
 * `request`, and resolves with the child's one answer message. Rejects with JOB_TIMEOUT (timeoutMs) or the abort
 * reason (signal) after killing the group, or with a plain Error if the child exits without answering.
 */
export async function runChild<T>(opts: RunChildOptions): Promise<T> {
  const release = await (opts.slots ?? childSlots()).acquire(opts.signal);
  try {
    return await forkAndWait<T>(opts);
  } finally {
    release();
  }
}

/** SIGKILL to the child's whole process group (it leads one: `detached`); the child alone if that fails. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function forkAndWait<T>(opts: RunChildOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(opts.script, [], {
      // tsx by absolute URL: resolving the bare name would depend on the working directory.
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: opts.serialization ?? 'json',
      stdio: ['ignore', opts.stdout ?? 'ignore', 'inherit', 'ipc'],
      // Its own process group, so a kill reaches the compilers it starts (see the module comment).
      detached: true,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    // Settled when the child has exited (below), so its slot is free only once the process is gone.
    let failure: Error | undefined;
    const stop = (err: Error) => {
      failure ??= err;
      killGroup(child);
    };
    const onAbort = () => stop(abortError(opts.signal!));
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(
        () => stop(new ZkaiError('JOB_TIMEOUT', `${opts.what} did not finish within ${opts.timeoutMs} ms; its process was stopped`)),
        opts.timeoutMs,
      );
    }
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    let answer: { m: T } | undefined;
    // Progress messages ({ progress }) come before the one answer; anything else is the answer.
    child.on('message', (m: T | ProgressMessage) => {
      if (answer) return;
      if (isProgressMessage(m)) {
        try {
          opts.onProgress?.(m.progress);
        } catch {
          // progress must never fail the work
        }
      } else answer = { m: m as T };
    });
    // A failed spawn has no process to wait for.
    child.once('error', (err) => {
      killGroup(child);
      finish(() => reject(failure ?? err));
    });
    child.once('exit', (code, signal) =>
      finish(() => {
        if (failure) reject(failure);
        else if (answer) resolve(answer.m);
        else reject(new Error(`${opts.what} process exited (${signal ?? `code ${code}`}) before answering`));
      }),
    );
    child.send(opts.request as Parameters<ChildProcess['send']>[0]);
  });
}

interface ProgressMessage {
  progress: unknown;
}

function isProgressMessage(m: unknown): m is ProgressMessage {
  return typeof m === 'object' && m !== null && Object.keys(m).length === 1 && 'progress' in m;
}

/** For child scripts: tell the parent's onProgress (runChild) how the work goes, before answering. */
export function reportToParent(progress: unknown): void {
  process.send?.({ progress } satisfies ProgressMessage);
}

/**
 * For child scripts: when the parent goes away (the IPC channel closes), stop this process and everything it started
 * (it leads its process group when runChild started it; otherwise just exit).
 */
export function exitWithGroupOnDisconnect(): void {
  process.on('disconnect', () => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(1);
    }
  });
}
