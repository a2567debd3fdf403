// Runs inside a piscina worker thread. One WarmProver per thread: circuits stay loaded between tasks.
import type { MessagePort } from 'node:worker_threads';
import { isZkaiError } from '../common/errors.ts';
import type { ProvePhase } from './progress.ts';
import type { CircuitKeys, ProveResult } from './warm-prover.ts';
import { WarmProver } from './warm-prover.ts';

export interface ProveTask {
  keys: CircuitKeys;
  input: Record<string, unknown>;
  /**
   * Where to post progress (transferred with the task): `{ phase }` at each phase, then `{ end: true }` once
   * the proof is over, so the pool knows every phase message has been posted before it answers.
   */
  port?: MessagePort;
}

/** Messages on ProveTask.port. */
export type ProgressMessage = { phase: ProvePhase } | { end: true };

export type ProveTaskResult = { ok: true; result: ProveResult; warm: boolean } | { ok: false; code: string; message: string };

const prover = new WarmProver();

export default async function prove(task: ProveTask): Promise<ProveTaskResult> {
  const warm = prover.isWarm(task.keys);
  const port = task.port;
  const post = (m: ProgressMessage) => port?.postMessage(m);
  try {
    return { ok: true, result: await prover.prove(task.keys, task.input, port ? (phase) => post({ phase }) : undefined), warm };
  } catch (err) {
    // Errors cross the thread boundary as plain data so their code survives structured cloning.
    if (isZkaiError(err)) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'PROOF_FAILED', message: String((err as Error)?.message ?? err) };
  } finally {
    post({ end: true });
    port?.close();
  }
}
