/**
 * Every failure zkai reports on purpose is a ZkaiError with a stable `code`.
 * Callers (HTTP, CLI) map codes to status/exit codes in one place each, so the
 * code, not the message, is the contract.
 */
export type ZkaiErrorCode =
  | 'BAD_INPUT'
  | 'BAD_DATASET'
  | 'UNKNOWN_RECORD'
  | 'UNKNOWN_DATASET'
  | 'UNKNOWN_JOB'
  | 'UNKNOWN_CIRCUIT'
  | 'JOB_NOT_FINISHED'
  | 'BAD_BUNDLE'
  | 'BAD_PTAU'
  | 'PTAU_TOO_SMALL'
  | 'CIRCUIT_COMPILE_FAILED'
  | 'WITNESS_FAILED'
  | 'PROOF_FAILED'
  | 'CHAIN_ERROR'
  | 'BODY_TOO_LARGE'
  | 'NOT_FOUND'
  | 'INTERNAL'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONTRACT_COMPILE_FAILED'
  | 'CONTRACT_REVERTED'
  | 'UNSUPPORTED_OP'
  | 'JOB_FINISHED'
  | 'JOB_TIMEOUT'
  | 'QUEUE_FULL'
  | 'RATE_LIMITED'
  | 'SETUP_BUSY'
  /**
   * A `zkai setup contribute` built on keys that are no longer the current ones of record (ZKAI_DB): another
   * contribution was published first. The ceremony is a chain: contribute again, on top of the current one.
   */
  | 'SETUP_STALE'
  /**
   * An inference job names a model manifest that is no longer the model's manifest of record: a setup contribution
   * changed its keys after the job was accepted. The job is not proved under the superseded key; ask again.
   */
  | 'MODEL_KEYS_CHANGED'
  | 'UNAUTHORIZED'
  | 'UNKNOWN_MODEL'
  | 'MODEL_NOT_READY'
  | 'QUEUE_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  /** A model whose circuit would exceed ZKAI_MAX_MODEL_CONSTRAINTS (estimated before quantizing, counted after circom). */
  | 'MODEL_TOO_LARGE'
  /** Another service owns this ZKAI_HOME (server/data-lock.ts). */
  | 'DATA_DIR_LOCKED'
  /**
   * A worker fetched an artifact (circuit, zkey, dataset) whose bytes do not match the content id it asked for
   * (jobs/artifact-fetch.ts); or a node read a model file from the store of record whose bytes do not (jobs/pg-blobs.ts).
   */
  | 'ARTIFACT_MISMATCH'
  /**
   * A worker could not fetch an artifact from its API node (ZKAI_API_URL): unreachable, refused, or not there; or a
   * blob a model lists is not in the store of record.
   */
  | 'ARTIFACT_UNAVAILABLE'
  /**
   * A batch claim sent to a RoyaltyVault deployed without a batch verifier (ZKAI_BATCH_SLOTS=0 on the dev chain, or
   * `zkai chain deploy` without --batch-slots): the message says how to deploy one, or to claim record by record.
   */
  | 'BATCH_CLAIMS_DISABLED';

export class ZkaiError extends Error {
  readonly code: ZkaiErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ZkaiErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ZkaiError';
    this.code = code;
    this.details = details;
  }
}

export function isZkaiError(err: unknown): err is ZkaiError {
  return err instanceof ZkaiError || (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ZkaiError');
}
