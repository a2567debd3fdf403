import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type Group = 'G1' | 'G2';

/** Bytes of one scalar as the workers take it: 32, little-endian, canonical. */
export const SCALAR_BYTES = 32;

export interface FixedBaseResult {
  /** Affine points, little-endian Montgomery (the ptau/zkey layout), 64 bytes (G1) or 128 (G2) each. */
  lem: Uint8Array;
  /** The same points compressed (32 / 64 bytes each), when asked for. */
  comp?: Uint8Array;
}

/** Multiplies the bn128 G1/G2 generators by many scalars, on worker threads. */
export interface FixedBasePool {
  readonly threads: number;
  multiply(group: Group, scalars: Uint8Array, opts?: { compressed?: boolean }): Promise<FixedBaseResult>;
  close(): Promise<void>;
}

export interface FixedBasePoolOptions {
  /** ffjavascript's bn128 WASM module (the bytes of `buildBn128(true).tm.code`). */
  wasmCode: Uint8Array;
  /** Generators, jacobian Montgomery (ffjavascript's in-memory form: `curve.G1.g`, `curve.G2.g`). */
  generators: Record<Group, Uint8Array>;
  /** Window bits per group: the table holds ⌈254/w⌉·2^w points, a multiplication costs ⌈254/w⌉ additions. */
  window: Record<Group, number>;
  threads?: number;
}

interface Pending {
  resolve: (v: FixedBaseResult) => void;
  reject: (e: Error) => void;
}

interface WorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  lem?: Uint8Array;
  comp?: Uint8Array;
}

/**
 * Best window for `n` multiplications per worker: minimises ⌈254/w⌉·(n + 2^w), the additions
 * spent on the points plus those spent building the table.
 */
export function bestWindow(pointsPerWorker: number): number {
  let best = 8;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let w = 4; w <= 14; w++) {
    const cost = Math.ceil(254 / w) * (pointsPerWorker + 2 ** w);
    if (cost < bestCost) {
      best = w;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Start worker threads for fixed-base multiplication. Each builds a window table per group
 * once (ffjavascript's own curve code, in WASM) and then turns each scalar into a point with
 * ⌈254/w⌉ mixed additions — several times faster than a double-and-add per point, which is
 * what makes computing every powers-of-tau point directly (no group FFTs) cheap.
 */
export async function createFixedBasePool(opts: FixedBasePoolOptions): Promise<FixedBasePool> {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  const load = new Array<number>(threads).fill(0);
  let nextId = 1;
  let failure: Error | undefined;

  const send = (i: number, msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<FixedBaseResult> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    load[i]!++;
    return new Promise<FixedBaseResult>((resolve, reject) => {
      pending.set(id, {
        resolve: (v) => {
          load[i]!--;
          resolve(v);
        },
        reject,
      });
      workers[i]!.postMessage({ ...msg, id }, transfer);
    });
  };

  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./fixed-base-worker.mjs', import.meta.url));
    w.on('message', (reply: WorkerReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve({ lem: reply.lem!, comp: reply.comp });
      else p.reject(new Error(reply.error));
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (pending.size) fail(new Error(`fixed-base worker exited (code ${code}) with work pending`));
    });
    workers.push(w);
  }

  try {
    await Promise.all(
      workers.map(async (_w, i) => {
        await send(i, { op: 'init', code: opts.wasmCode });
        for (const group of ['G1', 'G2'] as const) {
          await send(i, { op: 'table', group, generator: opts.generators[group], window: opts.window[group] });
        }
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }

  return {
    threads,
    multiply(group, scalars, mulOpts = {}) {
      // The least loaded worker gets the chunk; chunks are small enough that this balances well.
      let i = 0;
      for (let k = 1; k < threads; k++) if (load[k]! < load[i]!) i = k;
      const own = scalars.byteOffset === 0 && scalars.byteLength === scalars.buffer.byteLength ? scalars : scalars.slice();
      return send(i, { op: 'mul', group, scalars: own, compressed: !!mulOpts.compressed }, [own.buffer as ArrayBuffer]);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
