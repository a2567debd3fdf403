// Runs inside a piscina worker thread. One WarmProver per thread: circuits stay loaded between tasks.
import { isZkaiError } from '../common/errors.ts';
import type { CircuitKeys, ProveResult } from './warm-prover.ts';
import { WarmProver } from './warm-prover.ts';

export interface ProveTask {
  keys: CircuitKeys;
  input: Record<string, unknown>;
}

export type ProveTaskResult = { ok: true; result: ProveResult; warm: boolean } | { ok: false; code: string; message: string };

const prover = new WarmProver();

export default async function prove(task: ProveTask): Promise<ProveTaskResult> {
  const warm = prover.isWarm(task.keys.circuitId);
  try {
    return { ok: true, result: await prover.prove(task.keys, task.input), warm };
  } catch (err) {
    // Errors cross the thread boundary as plain data so their code survives structured cloning.
    if (isZkaiError(err)) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'PROOF_FAILED', message: String((err as Error)?.message ?? err) };
  }
}
