import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import { noteEngineUsed } from './engine.ts';
import type { ProgressMessage, ProveTask, ProveTaskResult } from './pool-worker.ts';
import type { OnPhase } from './progress.ts';
import type { CircuitKeys, ProveResult } from './warm-prover.ts';

export interface ProverPoolOptions {
  /** Worker threads. Default ZKAI_POOL_SIZE or 1: snarkjs already spreads one proof over every core. */
  threads?: number;
}

/**
 * A piscina pool of proving workers. Each worker keeps the circuits it has proved for warm, so
 * only the first proof per circuit per worker pays for loading the zkey and the witness wasm.
 */
export class ProverPool {
  private readonly pool: Piscina;
  readonly threads: number;

  constructor(opts: ProverPoolOptions = {}) {
    this.threads = opts.threads ?? (Number(process.env.ZKAI_POOL_SIZE) || 1);
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > os.availableParallelism() * 4) {
      throw new ZkaiError('BAD_INPUT', `pool size must be 1..${os.availableParallelism() * 4}, got ${this.threads}`);
    }
    this.pool = new Piscina({
      filename: path.join(import.meta.dirname, 'pool-worker.mjs'),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Prove on a worker. `onPhase` hears the proof's phases (see WarmProver.prove) through a MessagePort
   * transferred with the task; the answer comes only after the worker's last phase message (or the port's
   * close), and the port is closed whatever happens, so it never keeps the process alive.
   */
  async prove(
    keys: CircuitKeys,
    input: Record<string, unknown>,
    opts: { onPhase?: OnPhase } = {},
  ): Promise<ProveResult & { warm: boolean }> {
    const { onPhase } = opts;
    if (!onPhase) return this.answer((await this.pool.run({ keys, input } satisfies ProveTask)) as ProveTaskResult);
    const { port1, port2 } = new MessageChannel();
    let ended!: () => void;
    const end = new Promise<void>((resolve) => {
      ended = resolve;
    });
    port1.on('message', (m: ProgressMessage) => {
      if ('end' in m) ended();
      else {
        try {
          onPhase(m.phase);
        } catch {} // progress must never fail a proof
      }
    });
    port1.on('close', () => ended());
    let timer: NodeJS.Timeout | undefined;
    try {
      const task: ProveTask = { keys, input, port: port2 };
      const out = (await this.pool.run(task, { transferList: [port2] })) as ProveTaskResult;
      // Messages on the port and the task's answer travel separately: let the phase messages land first
      // (bounded, in case the worker died between them).
      await Promise.race([end, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
      return this.answer(out);
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  private answer(out: ProveTaskResult): ProveResult & { warm: boolean } {
    if (!out.ok) throw new ZkaiError(out.code as ZkaiErrorCode, out.message);
    noteEngineUsed(out.result.engine); // /health then names what the workers actually prove with
    return { ...out.result, warm: out.warm };
  }

  /** Load a circuit into every worker ahead of the first request. */
  async warmUp(keys: CircuitKeys, input: Record<string, unknown>): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.prove(keys, input)));
  }

  /**
   * Worker utilisation since the pool started, 0..1: time spent running proofs / (elapsed time x threads).
   * Computed here because piscina 5.3's own `utilization` divides its run-time mean by 1000 once too
   * often (the mean is already in ms), which reports ~1/1000 of the real value.
   */
  get utilization(): number {
    const done = this.pool.completed;
    if (done === 0) return 0;
    const busyMs = this.pool.histogram.runTime.mean * done;
    const u = busyMs / (this.pool.duration * this.threads);
    return Number.isFinite(u) ? Math.min(1, Math.max(0, u)) : 0;
  }

  /** Proofs waiting for a free worker inside the pool (not the job queue). */
  get queueSize(): number {
    return this.pool.queueSize;
  }

  /** Proofs the pool has finished since it started. */
  get completed(): number {
    return this.pool.completed;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
