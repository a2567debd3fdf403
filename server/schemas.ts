// JSON schemas shared by several routes. They are added to the app with addSchema, referenced
// as { $ref: '<id>#' }, and appear once under components.schemas in the OpenAPI document.
import { errorBodySchema } from './errors.ts';

export const DECIMAL_PATTERN = '^[0-9]{1,20}$';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const rootHex = { type: 'string', pattern: '^0x[0-9a-f]{64}$', description: 'Merkle root as 0x-hex (a uint256 on chain)' } as const;
const rootDecimal = {
  type: 'string',
  pattern: '^[0-9]+$',
  description: 'Merkle root as a decimal field element (a circuit signal)',
} as const;

export const datasetSummarySchema = {
  $id: 'DatasetSummary',
  type: 'object',
  required: ['root', 'rootHex', 'depth', 'leafCount', 'totalWeight', 'createdAt'],
  additionalProperties: false,
  properties: {
    root: rootDecimal,
    rootHex,
    depth: { type: 'integer' },
    leafCount: { type: 'integer' },
    totalWeight: { type: 'string', pattern: '^[0-9]+$' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const datasetManifestSchema = {
  $id: 'DatasetManifest',
  type: 'object',
  required: ['format', 'version', 'root', 'rootHex', 'depth', 'leafCount', 'totalWeight', 'schema', 'files', 'createdAt'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', const: 'zkai-dataset' },
    version: { type: 'integer' },
    root: rootDecimal,
    rootHex,
    depth: { type: 'integer' },
    leafCount: { type: 'integer' },
    totalWeight: { type: 'string', pattern: '^[0-9]+$' },
    schema: {
      type: 'object',
      description: 'How records become leaves (hash, field encoding, tree shape)',
      additionalProperties: { type: 'string' },
    },
    files: {
      type: 'object',
      additionalProperties: false,
      properties: { records: { type: 'string' }, tree: { type: 'string' } },
    },
    source: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string' }, sha256: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    commitSeconds: { type: 'number' },
  },
} as const;

export const jobLinksSchema = {
  $id: 'JobLinks',
  type: 'object',
  required: ['job', 'bundle'],
  additionalProperties: false,
  properties: {
    job: { type: 'string', description: 'Poll this for the job state' },
    bundle: { type: 'string', description: 'The proof bundle, once the job has succeeded' },
  },
} as const;

export const jobStateSchema = { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] } as const;

export const jobSchema = {
  $id: 'Job',
  type: 'object',
  required: ['id', 'kind', 'state', 'attempts', 'createdAt', 'updatedAt', 'links'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['membership'] },
    state: jobStateSchema,
    phase: {
      type: 'string',
      enum: ['queued', 'running', 'done'],
      description: 'Progress: queued, running (witness and proof; not reported separately), done',
    },
    cancelRequested: { type: 'boolean', description: 'Running, with a cancel asked for: it ends cancelled when its proof returns' },
    request: {
      type: 'object',
      description: 'What was asked (for membership: dataset root, record id, epoch)',
      additionalProperties: false,
      properties: { root: { type: 'string' }, recordId: { type: 'string' }, epoch: { type: 'string' } },
    },
    attempts: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    links: { $ref: 'JobLinks#' },
  },
} as const;

/** All shared schemas, in an order in which each one's references are already defined. */
export const sharedSchemas = [errorBodySchema, datasetSummarySchema, datasetManifestSchema, jobLinksSchema, jobSchema];

/** Response entries for the error statuses a route can answer, all with the shared Error body. */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string; description: string }> {
  const descriptions: Record<number, string> = {
    400: 'Bad request (BAD_INPUT, BAD_DATASET, BAD_BUNDLE)',
    404: 'Not found (UNKNOWN_DATASET, UNKNOWN_RECORD, UNKNOWN_JOB, NOT_FOUND)',
    409: 'Conflict with the job state (JOB_NOT_FINISHED, JOB_FINISHED)',
    413: 'Body too large (BODY_TOO_LARGE)',
    415: 'Not JSON (UNSUPPORTED_MEDIA_TYPE)',
    422: 'The job failed; the code says why (e.g. WITNESS_FAILED, JOB_TIMEOUT)',
    429: 'Too many requests (QUEUE_FULL, RATE_LIMITED); see Retry-After',
    500: 'Server fault (INTERNAL, PROOF_FAILED, ...)',
  };
  return Object.fromEntries(statuses.map((s) => [s, { $ref: 'Error#', description: descriptions[s] ?? 'Error' }]));
}
