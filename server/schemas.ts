// JSON schemas shared by several routes. They are added to the app with addSchema, referenced
// as { $ref: '<id>#' }, and appear once under components.schemas in the OpenAPI document.
import { ZkaiError } from '../common/errors.ts';
import { compileWeightsText, REPORTED_PHASES, REPORTED_STEPS } from '../prover/progress.ts';
import { errorBodySchema } from './errors.ts';

export const DECIMAL_PATTERN = '^[0-9]{1,20}$';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const rootHex = {
  type: 'string',
  pattern: '^0x[0-9a-f]{64}$',
  description: 'Merkle-sum root hash as 0x-hex (a uint256 on chain)',
} as const;
const rootDecimal = {
  type: 'string',
  pattern: '^[0-9]+$',
  description: 'Merkle-sum root hash as a decimal field element (a circuit signal)',
} as const;

const totalWeightSchema = {
  type: 'string',
  pattern: '^[0-9]+$',
  description: "The Merkle-sum root's sum: the total weight the root commits to, public signal `total` of every membership proof",
} as const;

export const datasetSummarySchema = {
  $id: 'DatasetSummary',
  type: 'object',
  required: ['rootHex', 'root', 'depth', 'leafCount', 'totalWeight', 'createdAt'],
  additionalProperties: false,
  // rootHex first: it is what every route takes (root is the same number in decimal, as the circuit's signal).
  properties: {
    rootHex,
    root: rootDecimal,
    depth: { type: 'integer' },
    leafCount: { type: 'integer' },
    totalWeight: totalWeightSchema,
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
    version: { type: 'integer', description: '2: a Merkle-sum tree (version-1 datasets must be committed again)' },
    root: rootDecimal,
    rootHex,
    depth: { type: 'integer' },
    leafCount: { type: 'integer' },
    totalWeight: totalWeightSchema,
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
  required: ['job'],
  additionalProperties: false,
  properties: {
    job: { type: 'string', description: 'Poll this for the job state' },
    bundle: { type: 'string', description: 'The proof bundle, once the job has succeeded (proof jobs only)' },
    model: { type: 'string', description: 'The model this job compiles (model-compile jobs only)' },
    dataset: { type: 'string', description: 'The committed dataset, once a dataset-commit job has succeeded' },
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
    kind: {
      type: 'string',
      enum: ['membership', 'model-compile', 'inference', 'dataset-commit'],
      description:
        'membership and inference jobs make a proof bundle; model-compile jobs compile an uploaded model; dataset-commit jobs commit a dataset (POST /v1/datasets with async)',
    },
    state: jobStateSchema,
    phase: {
      type: 'string',
      // The reported phases are prover/progress.ts's closed set (one list), between the job's own states.
      enum: ['queued', 'running', ...REPORTED_PHASES, 'done'],
      description:
        'queued; while running, the phase the worker reported: for proofs witness, quotient, msm (zkai’s prover) or witness, proving ' +
        '(snarkjs); for model compiles import, quantize, circuit, setup, commitment (committed weights only), store; for dataset ' +
        'commits leaves, tree; `running` before the first report; done once finished',
    },
    progress: {
      type: 'object',
      description: 'While running, once the worker has reported a phase',
      required: ['phase', 'updatedAt'],
      additionalProperties: false,
      properties: {
        phase: {
          type: 'string',
          enum: REPORTED_PHASES,
        },
        step: {
          type: 'string',
          enum: REPORTED_STEPS,
          description:
            'The step within the phase, where it has steps: a model compile’s setup goes ptau (the powers of tau ready), then for a ' +
            'new setup zkey (the phase-2 zkey), contribution (its points counted: the percent moves), keys (verification key, Solidity verifier)',
        },
        percent: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          description:
            'A rough estimate from fixed phase weights, not a measurement (witness 0–10, quotient 10–25, msm 25–100; snarkjs proving ' +
            `10–100; model compiles: ${compileWeightsText()}, the contribution moving with its points, and 100 once the compile is ` +
            'done; dataset commits: leaves 0–50, tree 50–100)',
        },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    cancelRequested: { type: 'boolean', description: 'Running, with a cancel asked for: it ends cancelled when its proof returns' },
    request: {
      type: 'object',
      description: 'What was asked (membership: dataset root, record id, epoch; model-compile and inference: the model id)',
      additionalProperties: false,
      properties: { root: { type: 'string' }, recordId: { type: 'string' }, epoch: { type: 'string' }, modelId: { type: 'string' } },
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

const fraction = { type: 'number', minimum: 0, maximum: 1 } as const;

export const modelSchema = {
  $id: 'Model',
  type: 'object',
  required: ['id', 'name', 'state', 'createdAt', 'compileJob', 'links'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    state: {
      type: 'string',
      enum: ['compiling', 'ready', 'failed', 'cancelled'],
      description: 'compiling while its compile job is queued or running; ready once it can prove',
    },
    createdAt: { type: 'string', format: 'date-time' },
    compileJob: {
      type: 'object',
      required: ['id', 'state'],
      additionalProperties: false,
      properties: { id: { type: 'string', format: 'uuid' }, state: jobStateSchema },
    },
    error: {
      type: 'object',
      description: 'Why the compile failed',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    circuitId: { type: 'string', description: 'Content-addressed circuit id (ready models)' },
    weights: { type: 'string', enum: ['private-pedersen', 'private-committed', 'public-constants'] },
    input: { type: 'string', enum: ['private-hashed', 'public'] },
    lookups: {
      type: 'string',
      enum: ['logup'],
      description: 'Present when compiled with LogUp range checks: bundles carry lookupCommitment D, and α = H(D) is a statement signal',
    },
    weightCommitment: {
      type: 'string',
      pattern: '^[0-9]+$',
      description:
        'The weights commitment as a field element (decimal): Poseidon hash of the packed weights (private-committed), or ' +
        'keccak256(W) mod r of the Pedersen commitment W (private-pedersen; ModelRegistry names the model by it)',
    },
    commitment: {
      type: 'object',
      description: 'private-pedersen: the Pedersen commitment W of the packed weights and its proof of knowledge K (snarkjs G1 JSON)',
      required: ['point', 'knowledge'],
      additionalProperties: false,
      properties: {
        point: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 },
        knowledge: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 },
      },
    },
    inputShape: { type: 'array', items: { type: 'integer' } },
    outputShape: { type: 'array', items: { type: 'integer' } },
    publicSignals: { type: 'array', items: { type: 'string' }, description: 'Names of the public signals, in order' },
    constraints: {
      type: 'object',
      required: ['total', 'perLayer'],
      additionalProperties: false,
      properties: {
        total: { type: 'integer' },
        predicted: { type: 'integer', description: "The code generator's count; the compile fails unless it equals measured" },
        measured: { type: 'integer', description: "circom's count, read from the compiled R1CS" },
        perLayer: {
          type: 'array',
          items: {
            type: 'object',
            required: ['layer', 'kind', 'constraints'],
            additionalProperties: false,
            properties: { layer: { type: 'string' }, kind: { type: 'string' }, constraints: { type: 'integer' } },
          },
        },
      },
    },
    agreement: {
      type: 'object',
      description: 'Float vs quantized model on the calibration rows (accuracies against their labels, if any)',
      required: ['rows', 'floatAccuracy', 'quantAccuracy', 'agreement'],
      additionalProperties: false,
      properties: {
        rows: { type: 'integer' },
        floatAccuracy: { ...fraction, type: ['number', 'null'], description: 'null when the calibration rows have no label column' },
        quantAccuracy: { ...fraction, type: ['number', 'null'], description: 'null when the calibration rows have no label column' },
        agreement: fraction,
      },
    },
    vkeyHash: { type: 'string' },
    insecureSetup: { type: 'boolean' },
    links: {
      type: 'object',
      required: ['model', 'compileJob', 'prove'],
      additionalProperties: false,
      properties: { model: { type: 'string' }, compileJob: { type: 'string' }, prove: { type: 'string' } },
    },
  },
} as const;

/** All shared schemas, in an order in which each one's references are already defined. */
export const sharedSchemas = [errorBodySchema, datasetSummarySchema, datasetManifestSchema, jobLinksSchema, jobSchema, modelSchema];

/**
 * `?limit=` of the list routes. A string (query values always are, and the app does not coerce types),
 * read by parseLimit.
 */
export const limitQuery = { type: 'string', pattern: '^[0-9]{1,4}$', description: 'At most this many, 1..1000 (default 100)' } as const;

export function parseLimit(text: string | undefined): number {
  const n = text === undefined ? 100 : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ZkaiError('BAD_INPUT', `limit must be 1..1000, got ${JSON.stringify(text)}`);
  return n;
}

/** Response entries for the error statuses a route can answer, all with the shared Error body. */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string; description: string }> {
  const descriptions: Record<number, string> = {
    400: 'Bad request (BAD_INPUT, BAD_DATASET, BAD_BUNDLE, UNSUPPORTED_OP)',
    401: 'Missing, invalid or revoked API key (UNAUTHORIZED)',
    404: "Not found, or another tenant's (UNKNOWN_DATASET, UNKNOWN_RECORD, UNKNOWN_JOB, UNKNOWN_MODEL, NOT_FOUND)",
    409: 'Conflict with the job or model state (JOB_NOT_FINISHED, JOB_FINISHED, MODEL_NOT_READY)',
    413: 'Body too large (BODY_TOO_LARGE)',
    415: 'Not JSON (UNSUPPORTED_MEDIA_TYPE)',
    422: 'The job failed; the code says why (e.g. WITNESS_FAILED, JOB_TIMEOUT)',
    429: 'Too many requests (QUEUE_FULL, RATE_LIMITED); see Retry-After',
    500: 'Server fault (INTERNAL, PROOF_FAILED, ...)',
  };
  return Object.fromEntries(statuses.map((s) => [s, { $ref: 'Error#', description: descriptions[s] ?? 'Error' }]));
}

/** The 200 response of a list route: `{ <key>: [<ref>…] }`. */
export function listResponse(key: string, ref: string, description: string) {
  return {
    description,
    type: 'object',
    required: [key],
    additionalProperties: false,
    properties: { [key]: { type: 'array', items: { $ref: `${ref}#` } } },
  } as const;
}

/** The 202 response of a route that queues a proof job. */
export function jobAcceptedResponse(description: string) {
  return {
    description,
    type: 'object',
    required: ['jobId', 'state', 'links'],
    additionalProperties: false,
    properties: {
      jobId: { type: 'string', format: 'uuid' },
      state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
      links: { $ref: 'JobLinks#' },
    },
  } as const;
}

/** A sha256 digest as 64 lowercase hex digits: how the worker routes name keys and files (server/routes/worker-artifacts.ts). */
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
const sha256Hex = { type: 'string', pattern: SHA256_PATTERN } as const;
const fileDigest = {
  type: 'object',
  required: ['sha256', 'bytes'],
  additionalProperties: false,
  properties: { sha256: sha256Hex, bytes: { type: 'integer', minimum: 0 } },
} as const;

/** GET /v1/worker/circuits/:circuitId: what a worker needs to prove with a circuit, each file named by its sha256. */
export const workerCircuitSchema = {
  description: 'The circuit record, its files by sha256, and the Groth16 setup this node proves and verifies with',
  type: 'object',
  required: ['circuit', 'files', 'setup'],
  additionalProperties: false,
  properties: {
    circuit: {
      type: 'object',
      description: "circuit.json as the node stores it, less its local paths; `sourceHash` is the sha256 of the circuit's sources",
      required: ['id', 'name', 'sourceHash', 'nConstraints', 'nWires', 'nPublic'],
      additionalProperties: true,
      properties: { id: { type: 'string' }, name: { type: 'string' }, sourceHash: sha256Hex },
    },
    files: {
      type: 'object',
      required: ['circuit.r1cs', 'circuit.wasm'],
      additionalProperties: false,
      properties: { 'circuit.r1cs': fileDigest, 'circuit.wasm': fileDigest },
    },
    setup: {
      type: 'object',
      required: ['dir', 'meta', 'vkey', 'vkeyHash', 'zkey'],
      additionalProperties: false,
      properties: {
        dir: { type: 'string', pattern: '^setup-[0-9a-f]{12}$', description: 'Folder of the setup under the circuit folder' },
        meta: { type: 'object', additionalProperties: true, description: 'setup.json (zkeySha256, r1csSha256, ptau, contributions…)' },
        vkey: { type: 'object', additionalProperties: true, description: 'The snarkjs verification key' },
        vkeyHash: { ...sha256Hex, description: 'sha256 of the canonical JSON of vkey: the key bundles name' },
        zkey: { ...fileDigest, description: 'The proving key: GET /v1/worker/zkeys/{sha256}' },
      },
    },
  },
} as const;

/**
 * GET /v1/worker/models/:modelId: a compiled model as a worker proves it (server/routes/worker-models.ts). The manifest
 * is checked against the sha256 its inference job names; the rest against the manifest (jobs/fetch-model.ts).
 */
/** GET /v1/worker/models/{id}/manifest: the model's current manifest, which an inference job names by sha256. */
export const workerModelManifestSchema = {
  description: "The model's current manifest (with PostgreSQL, the manifest of record)",
  type: 'object',
  required: ['manifest'],
  additionalProperties: false,
  properties: { manifest: { type: 'object', additionalProperties: true } },
} as const;

export const workerModelSchema = {
  description: "The model's manifest, its quantized model and commitment key by sha256, its blind, and its circuit and setup",
  type: 'object',
  required: ['manifest', 'files', 'source', 'circuit'],
  additionalProperties: false,
  properties: {
    source: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      description: "The generated circom source, as the circuit's source hash names it: the worker generates the same source",
      properties: { name: { type: 'string', maxLength: 4096 } },
    },
    manifest: {
      type: 'object',
      additionalProperties: true,
      description: "model.json: the compile job's result; an inference job names the sha256 of its canonical JSON",
    },
    files: {
      type: 'object',
      required: ['quantized.json'],
      additionalProperties: false,
      properties: {
        'quantized.json': { ...fileDigest, description: 'The quantized model (private: the weights)' },
        'commitkey.json': { ...fileDigest, description: "With Pedersen weights: the setup's commitment key" },
        'lookupkey.json': { ...fileDigest, description: "With lookups: the setup's LogUp commitment key (prover/lookup/)" },
      },
    },
    opening: {
      type: 'object',
      required: ['blind'],
      additionalProperties: false,
      description: "With Pedersen weights: the commitment's blind (private); W and K are recomputed by the worker",
      properties: { blind: { type: 'string', pattern: '^[0-9]{1,80}$' } },
    },
    circuit: workerCircuitSchema,
  },
} as const;
