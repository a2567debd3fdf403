/**
 * The service's child processes: model compiles (model-compile-child.ts: quantize, circom, Groth16 setup) and large
 * dataset commits (commit-child.ts). Each one can take a core and gigabytes for minutes, so:
 * - at most ZKAI_MAX_CHILD_PROCESSES (default 2) run at once in a process; more requests wait in a FIFO queue for a
 *   slot (never refused, never dropped), and the one that waits past its own deadline gives up without starting;
 * - a child that outlives its deadline (its job's timeout, or the commit timeout) is killed with its whole process
 *   group: the child is started as a group leader (`detached`), and circom, which the compile child spawns, is in the
 *   same group, so one SIGKILL to the group stops both, not just the node process that waits on circom.
 * A child whose parent goes away (IPC disconnect) kills its own group too (`exitWithGroupOnDisconnect`).
 * Children are not forked by this process but by the launcher (launcher.ts), which the service forks first thing:
 * a process that forks while it proves slows its next proofs down 1.4–1.8× (copy-on-write page faults).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ZkaiError } from '../../common/errors.ts';
import type { LauncherEvent, LauncherRequest } from './launcher.ts';

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

/**
 * The launcher process (launcher.ts) through which every child is forked, so the process that proves forks once
 * (startLauncher, at service start) and never while it proves. Restarted on demand if it dies.
 */
class LauncherClient {
  private proc: ChildProcess | undefined;
  private ready: Promise<void> = Promise.resolve();
  private nextId = 1;
  private readonly handlers = new Map<number, (e: LauncherEvent) => void>();

  /** The launcher's pid once it listens, starting it if needed. */
  async start(): Promise<number> {
    const proc = this.ensure();
    // Held while waiting, or an otherwise idle process would exit before the launcher answers.
    proc.ref();
    proc.channel?.ref();
    try {
      await this.ready;
    } finally {
      this.idle();
    }
    return proc.pid!;
  }

  private ensure(): ChildProcess {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null && this.proc.connected) return this.proc;
    const proc = fork(fileURLToPath(new URL('./launcher.ts', import.meta.url)), [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise<void>((resolve, reject) => {
      proc.once('exit', (code, signal) => reject(new Error(`the launcher process exited (${signal ?? `code ${code}`})`)));
      proc.on('message', (e: LauncherEvent) => {
        if (e.event === 'ready') resolve();
      });
    });
    this.ready.catch(() => {});
    proc.on('message', (e: LauncherEvent) => {
      if (e.event !== 'ready') this.handlers.get(e.id)?.(e);
    });
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined;
      // Its children were killed with it (launcher.ts): report each as gone.
      for (const [id, handler] of [...this.handlers]) handler({ id, event: 'exit', code: null, signal: 'SIGKILL' });
    });
    proc.once('error', () => {});
    this.proc = proc;
    this.idle();
    return proc;
  }

  /** With no child running, the launcher must not keep this process alive (a CLI or a test that is done). */
  private idle(): void {
    const proc = this.proc;
    if (!proc) return;
    if (this.handlers.size === 0) {
      proc.unref();
      proc.channel?.unref();
    } else {
      proc.ref();
      proc.channel?.ref();
    }
  }

  run(opts: RunChildOptions, onEvent: (e: LauncherEvent) => void): { kill(): void } {
    const proc = this.ensure();
    const id = this.nextId++;
    this.handlers.set(id, (e) => {
      if (e.event === 'exit') {
        this.handlers.delete(id);
        this.idle();
      }
      onEvent(e);
    });
    this.idle();
    const start: LauncherRequest = {
      op: 'start',
      id,
      script: opts.script,
      request: opts.request,
      serialization: opts.serialization ?? 'json',
      stdout: opts.stdout ?? 'ignore',
    };
    proc.send(start);
    return {
      kill: () => {
        if (this.handlers.has(id) && proc.connected) proc.send({ op: 'kill', id } satisfies LauncherRequest);
      },
    };
  }
}

const launcher = new LauncherClient();

/**
 * Forks the launcher now (idempotent), so that this process forks before it starts proving and never after: the
 * service calls it first thing. Resolves with the launcher's pid once it listens.
 */
export function startLauncher(): Promise<number> {
  return launcher.start();
}

function forkAndWait<T>(opts: RunChildOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
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
    let answer: { m: T } | undefined;
    const child = launcher.run(opts, (e) => {
      if (e.event === 'message') {
        if (answer) return;
        // Progress messages ({ progress }) come before the one answer; anything else is the answer.
        if (isProgressMessage(e.m)) {
          try {
            opts.onProgress?.(e.m.progress);
          } catch {
            // progress must never fail the work
          }
        } else answer = { m: e.m as T };
      } else if (e.event === 'error') {
        // A failed spawn has no process to wait for.
        child.kill();
        finish(() => reject(failure ?? new Error(`${opts.what} process could not start: ${e.message}`)));
      } else if (e.event === 'exit')
        finish(() => {
          if (failure) reject(failure);
          else if (answer) resolve(answer.m);
          else reject(new Error(`${opts.what} process exited (${e.signal ?? `code ${e.code}`}) before answering`));
        });
    });
    const stop = (err: Error) => {
      failure ??= err;
      child.kill();
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
