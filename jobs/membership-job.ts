import { ZkaiError } from '../common/errors.ts';
import { type MembershipCircuit, proveMembership } from '../prover/membership.ts';
import type { ProverPool } from '../prover/pool.ts';
import type { ProvePhase } from '../prover/progress.ts';
import { datasetCatalog } from './datasets.ts';
import type { Job, JobContext, JobHandler } from './jobs.ts';

/** What a membership job stores as its request (written by POST /v1/datasets/:root/proofs). */
export interface MembershipJobRequest {
  root: string;
  recordId: string;
  epoch: string;
}

export interface MembershipJobDeps {
  pool: ProverPool;
  membership: MembershipCircuit;
  datasetsDir: string;
  /** Told how long each successful proof took (ServiceMetrics.observeProof). */
  observeProof?: (circuit: string, engine: string, seconds: number) => void;
  /** Make the dataset of `root` present in datasetsDir first (a worker that fetches from its API node: fetch-dataset.ts). */
  ensureDataset?: (root: string) => Promise<void>;
}

/**
 * The JobRunner handler for kind 'membership': load the dataset (cached per process), prove on
 * the warm pool, and return the proof bundle as the job's result. Errors with a code (unknown
 * record, failed witness) fail the job for good; anything else is retried by the runner.
 */
export function membershipJobHandler(deps: MembershipJobDeps): JobHandler {
  const catalog = datasetCatalog(deps.datasetsDir);
  return async (job: Job, ctx?: JobContext) => {
    const { root, recordId, epoch } = job.request as Partial<MembershipJobRequest>;
    if (typeof root !== 'string' || typeof recordId !== 'string' || typeof epoch !== 'string') {
      throw new ZkaiError('BAD_INPUT', `job ${job.id} has a malformed membership request`);
    }
    await deps.ensureDataset?.(root);
    const dataset = await catalog.get(root);
    const started = performance.now();
    const onPhase = ctx && ((phase: ProvePhase) => ctx.progress({ phase }));
    const bundle = await proveMembership(deps.pool, deps.membership, dataset, recordId, epoch, { onPhase });
    deps.observeProof?.(deps.membership.circuit.id, bundle.metadata.engine, (performance.now() - started) / 1000);
    return bundle as unknown as Record<string, unknown>;
  };
}
