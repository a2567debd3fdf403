import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { estimateConstraints } from '../../circuits/model/cost.ts';
import { importOnnx } from '../../circuits/model/import.ts';
import type { ModelIR } from '../../circuits/model/ir.ts';
import { shapeSize } from '../../circuits/model/ir.ts';
import { LOOKUPS_MODES, type LookupsMode } from '../../circuits/model/logup-emit.ts';
import { isZkaiError, ZkaiError } from '../../common/errors.ts';
import type { Job } from '../../jobs/jobs.ts';
import type { ModelFilesApi } from '../../jobs/model-files.ts';
import { manifestHash } from '../../jobs/model-jobs.ts';
import type { InferenceRequest, ModelCatalogApi, ModelCompileRequest, ModelRecord } from '../../jobs/models.ts';
import type { JobQueueApi } from '../../jobs/queue/types.ts';
import { type ModelManifest, parseModelInput, readCalibrationCsv } from '../../prover/inference.ts';
import { errorResponses, jobAcceptedResponse, limitQuery, listResponse, parseLimit, UUID_PATTERN } from '../schemas.ts';
import { jobLinks, refuseWhenQueueFull } from './jobs.ts';

export interface ModelRoutesOptions {
  models: ModelCatalogApi;
  /** Where an accepted upload is kept for every API node (jobs/model-files.ts); default the models folder only. */
  files?: ModelFilesApi;
  store: JobQueueApi;
  runner: { pump(): void };
  /** Refuse uploads and proof requests (429 QUEUE_FULL) while this many jobs are queued. */
  maxQueue: number;
  /** Largest ONNX file, and largest calibration CSV, in bytes (each). */
  maxModelBytes: number;
  /**
   * Refuse (413 MODEL_TOO_LARGE) an upload whose circuit the graph says would be larger (circuits/model/cost.ts);
   * the compile job checks the same limit again. Default: only the job checks.
   */
  maxModelConstraints?: number;
}

interface UploadBody {
  name?: string;
  onnx: string;
  calibrationCsv: string;
  weights?: keyof typeof WEIGHTS_CHOICES;
  lookups?: LookupsMode;
}

/** The API's `weights` values and the codegen modes they pick ('committed' is the earlier name of 'poseidon'). */
const WEIGHTS_CHOICES = {
  pedersen: 'private-pedersen',
  poseidon: 'private-committed',
  committed: 'private-committed',
  public: 'public-constants',
} as const;

/** Most input values one inference may take (a 256×256 RGB image is ~200k). */
const MAX_INPUT_VALUES = 1 << 18;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The body of POST /v1/models (exported for the typed client, zkai/client). */
export function uploadBodySchema(maxBase64: number, maxModelBytes: number) {
  return {
    type: 'object',
    required: ['onnx', 'calibrationCsv'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Default: model' },
      onnx: { type: 'string', minLength: 4, maxLength: maxBase64, description: 'The ONNX file, base64' },
      calibrationCsv: { type: 'string', minLength: 1, maxLength: maxModelBytes },
      weights: { type: 'string', enum: Object.keys(WEIGHTS_CHOICES) as (keyof typeof WEIGHTS_CHOICES)[], default: 'pedersen' },
      lookups: {
        type: 'string',
        enum: [...LOOKUPS_MODES],
        default: 'off',
        description: 'logup: dense/conv range checks by LogUp lookups (docs/lookups.md); verified off chain, not registrable on chain yet',
      },
    },
  } as const;
}

/** The body of POST /v1/models/:id/prove (exported for the typed client, zkai/client). */
export const proveBodySchema = {
  type: 'object',
  required: ['input'],
  additionalProperties: false,
  properties: {
    input: { type: 'array', minItems: 1, maxItems: MAX_INPUT_VALUES, items: { type: 'number' } },
    owner: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'Ethereum address the proof is bound to' },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: UUID_PATTERN, description: 'Model id (a UUID)' } },
} as const;

function modelLinks(id: string, compileJobId: string): { model: string; compileJob: string; prove: string } {
  return { model: `/v1/models/${id}`, compileJob: `/v1/jobs/${compileJobId}`, prove: `/v1/models/${id}/prove` };
}

/** The same error for an unknown model and another tenant's. */
function unknownModel(id: string): ZkaiError {
  return new ZkaiError('UNKNOWN_MODEL', `no model ${id}`);
}

/** A model as the API shows it: its compile job's state and, once ready, its public manifest (never its weights). */
export function modelView(record: ModelRecord, job: Job | undefined): Record<string, unknown> {
  const state = !job
    ? 'failed'
    : job.state === 'succeeded'
      ? 'ready'
      : job.state === 'queued' || job.state === 'running'
        ? 'compiling'
        : job.state;
  const view: Record<string, unknown> = {
    id: record.id,
    name: record.name,
    state,
    createdAt: record.createdAt,
    compileJob: { id: record.compileJobId, state: job?.state ?? 'failed' },
    links: modelLinks(record.id, record.compileJobId),
  };
  if (!job) view.error = { code: 'INTERNAL', message: 'the compile job record is gone' };
  else if (job.error) view.error = job.error;
  if (state === 'ready' && job?.result) {
    const m = job.result as unknown as ModelManifest;
    Object.assign(view, {
      circuitId: m.circuitId,
      weights: m.weights,
      input: m.input,
      ...(m.lookups ? { lookups: m.lookups } : {}),
      ...(m.weightCommitment ? { weightCommitment: m.weightCommitment } : {}),
      ...(m.commitment ? { commitment: m.commitment } : {}),
      inputShape: m.inputShape,
      outputShape: m.outputShape,
      publicSignals: m.publicSignals,
      constraints: m.constraints,
      agreement: m.agreement,
      vkeyHash: m.vkeyHash,
      insecureSetup: m.insecureSetup,
    });
  }
  return view;
}

/**
 * Models: upload an ONNX model with calibration rows (compiled by a job: quantize, circuit, setup), read it,
 * and ask for inference proofs (jobs whose bundle is at the job's bundle link). Everything is per tenant.
 *
 * Uploads are JSON with the ONNX file base64-encoded: the service takes no multipart bodies, and a model that
 * fits a circuit is small (the digits CNN is 40 kB).
 */
export const modelRoutes: FastifyPluginAsync<ModelRoutesOptions> = async (app, opts) => {
  const { models, store, runner, maxQueue, maxModelBytes } = opts;
  const maxBase64 = Math.ceil(maxModelBytes / 3) * 4;

  /** The model and its compile job (or, when that record is gone, one made from the compiled folder's manifest). */
  async function findModel(tenant: string, id: string): Promise<{ record: ModelRecord; job: Job | undefined }> {
    const record = await models.get(tenant, id.toLowerCase());
    if (!record) throw unknownModel(id);
    const job = await store.get(record.compileJobId);
    if (job?.state === 'succeeded') {
      // With PostgreSQL the manifest of record wins over the compile's result: a setup contribution moves it to new keys.
      const ofRecord = await opts.files?.manifestOfRecord(record.id);
      return { record, job: ofRecord ? { ...job, result: ofRecord } : job };
    }
    if (job) return { record, job };
    // The compile job's record is gone, but the compiled folder is the model's own record (ModelCatalog.manifestOnDisk),
    // and with PostgreSQL so is the compile kept there, which this node may not have made into a folder yet.
    const manifest = models.manifestOnDisk(record.id) ?? (await opts.files?.manifestOfRecord(record.id));
    if (!manifest) return { record, job: undefined };
    const at = record.createdAt;
    return {
      record,
      job: {
        id: record.compileJobId,
        kind: 'model-compile',
        tenant: record.tenant,
        state: 'succeeded',
        request: {},
        result: manifest,
        attempts: 1,
        cancelRequested: false,
        createdAt: at,
        updatedAt: at,
      },
    };
  }

  app.post<{ Body: UploadBody }>(
    '/v1/models',
    {
      // The body carries the model base64-encoded plus its calibration rows: a limit of its own.
      bodyLimit: maxBase64 + maxModelBytes + 64 * 1024,
      schema: {
        tags: ['models'],
        summary: 'Upload a model to compile',
        description:
          'JSON with the ONNX file base64-encoded (`onnx`) and calibration rows as CSV text (`calibrationCsv`: a header, one column per ' +
          'input value, an optional `label` column). Checked at once (ONNX parses, ops are supported, the CSV fits the input, and the ' +
          'circuit size estimated from the graph is within ZKAI_MAX_MODEL_CONSTRAINTS, else 413 MODEL_TOO_LARGE), then ' +
          'compiled by a job: quantization, circuit, trusted setup. Poll the model (or its compile job) until `state` is `ready`. ' +
          `Each of the two files may be up to ${maxModelBytes} bytes (ZKAI_MAX_MODEL_BYTES). ` +
          '`weights`: `pedersen` (default; private weights bound by a Pedersen commitment checked outside the circuit, with ' +
          'its proof of knowledge: the cheapest circuit), `poseidon` (private weights bound by a Poseidon hash inside the circuit, a ' +
          'public signal; `committed` is its earlier name) — both with a private input and its public hash — or `public` (weights ' +
          'compiled in as constants, public input).',
        body: uploadBodySchema(maxBase64, maxModelBytes),
        response: { 202: { description: 'Accepted: compiling', $ref: 'Model#' }, ...errorResponses(400, 401, 413, 415, 429, 500) },
      },
    },
    async (request, reply) => {
      if (await refuseWhenQueueFull(store, maxQueue, reply)) return reply;
      const body = request.body;
      if (body.onnx.length % 4 !== 0 || !BASE64.test(body.onnx))
        throw new ZkaiError('BAD_INPUT', 'onnx must be base64 (standard alphabet, padded)');
      const onnx = Buffer.from(body.onnx, 'base64');
      if (onnx.length > maxModelBytes) throw new ZkaiError('BODY_TOO_LARGE', `the ONNX file is over the limit of ${maxModelBytes} bytes`);
      const ir = parseOnnx(onnx);
      const weights = WEIGHTS_CHOICES[body.weights ?? 'pedersen'];
      const input = weights === 'public-constants' ? 'public' : 'private-hashed';
      if (opts.maxModelConstraints !== undefined) {
        // The graph says how large the circuit will be: refuse now rather than queue a compile that must fail.
        const estimate = estimateConstraints(ir, { weights, input }).total;
        if (estimate > opts.maxModelConstraints) {
          throw new ZkaiError(
            'MODEL_TOO_LARGE',
            `the model's circuit would have about ${estimate} constraints (estimated from the graph), over the limit of ${opts.maxModelConstraints}`,
          );
        }
      }

      const id = randomUUID();
      const paths = models.paths(id);
      await mkdir(path.dirname(paths.onnx), { recursive: true });
      try {
        await writeFile(paths.onnx, onnx);
        await writeFile(paths.calibration, body.calibrationCsv);
        const rows = await readCalibrationCsv(paths.calibration, shapeSize(ir.inputShape));
        if (rows.length === 0) throw new ZkaiError('BAD_INPUT', 'calibrationCsv has no rows');
        // Kept before the compile is queued: any API node may compile it, and none loses it if this one dies now.
        await opts.files?.keepUpload(id);
      } catch (err) {
        await rm(paths.dir, { recursive: true, force: true });
        // readCalibrationCsv names the file it read: say which field instead.
        if (isZkaiError(err)) throw new ZkaiError(err.code, err.message.replaceAll(paths.calibration, 'calibrationCsv'));
        throw err;
      }
      const compileRequest: ModelCompileRequest = {
        modelId: id,
        name: body.name ?? 'model',
        weights,
        input,
        ...(body.lookups === 'logup' ? { lookups: 'logup' as const } : {}),
      };
      const job = await store.enqueue('model-compile', compileRequest as unknown as Record<string, unknown>, request.tenant);
      const record: ModelRecord = { id, tenant: request.tenant, name: compileRequest.name, compileJobId: job.id, createdAt: job.createdAt };
      await models.add(record);
      runner.pump();
      request.log.info({ modelId: id, jobId: job.id, bytes: onnx.length }, 'model upload queued for compiling');
      return reply.code(202).header('location', `/v1/models/${id}`).send(modelView(record, job));
    },
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: "List this tenant's models",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: limitQuery },
        },
        response: {
          200: listResponse('models', 'Model', 'The models, newest first'),
          ...errorResponses(400, 401, 500),
        },
      },
    },
    async (request) => {
      const records = await models.list(request.tenant, parseLimit(request.query.limit));
      return { models: await Promise.all(records.map(async (r) => modelView(r, (await findModel(r.tenant, r.id)).job))) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'Read a model',
        description:
          'Its state; once ready, its circuit: constraints per layer, weight commitment, float-vs-quantized agreement, key hash.',
        params: idParams,
        response: { 200: { description: 'The model', $ref: 'Model#' }, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => {
      const { record, job } = await findModel(request.tenant, request.params.id);
      return modelView(record, job);
    },
  );

  app.post<{ Params: { id: string }; Body: { input: number[]; owner?: string } }>(
    '/v1/models/:id/prove',
    {
      schema: {
        tags: ['proofs'],
        summary: 'Ask for an inference proof',
        description:
          'Proves that the model outputs its label (and logits) on `input` (raw values, quantized by the service). Answers at once with a ' +
          'job; the proof bundle (kind inference) is at links.bundle once the job has succeeded. 409 MODEL_NOT_READY until the model is ready. ' +
          '`owner`: the address that registers (or registered) the model on chain; the proof is bound to it (public signal `binding`) ' +
          'and InferenceAttestor attests it only under a model that address registered. Without it the binding is 0 and no model attests the proof.',
        params: idParams,
        body: proveBodySchema,
        response: {
          202: jobAcceptedResponse('Accepted: an inference proof job was queued'),
          ...errorResponses(400, 401, 404, 409, 413, 415, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const { record, job: compile } = await findModel(request.tenant, request.params.id);
      if (compile?.state !== 'succeeded' || !compile.result) {
        const why =
          compile?.state === 'queued' || compile?.state === 'running'
            ? 'is still compiling; poll it until its state is ready'
            : `did not compile (${compile?.error?.code ?? compile?.state ?? 'its compile job is gone'})`;
        throw new ZkaiError('MODEL_NOT_READY', `model ${record.id} ${why}`);
      }
      // The manifest of record when there is one (findModel): a job names the keys it is to be proved under, and a worker
      // refuses it once a setup contribution has superseded them.
      const manifest = compile.result as unknown as ModelManifest;
      const input = parseModelInput(request.body.input, manifest);
      checkInputRange(input, manifest);
      if (await refuseWhenQueueFull(store, maxQueue, reply)) return reply;
      const jobRequest: InferenceRequest = {
        modelId: record.id,
        input,
        // The model as it is now, by hash: a worker that fetches it from an API node checks it against this (fetch-model.ts).
        manifestSha256: manifestHash(manifest),
        ...(request.body.owner ? { owner: request.body.owner.toLowerCase() } : {}),
      };
      const job = await store.enqueue('inference', jobRequest as unknown as Record<string, unknown>, request.tenant);
      runner.pump();
      request.log.info({ jobId: job.id, modelId: record.id }, 'inference proof queued');
      const links = jobLinks(job.id);
      return reply.code(202).header('location', links.job).send({ jobId: job.id, state: job.state, links });
    },
  );
};

/**
 * Refuse, up front, input values the model cannot represent: a value whose fixed-point form is outside the
 * model's signed input range would fail the proof job anyway (and a huge one would not even convert).
 */
function checkInputRange(input: number[], manifest: ModelManifest): void {
  const { inputBits, inputFracBits } = manifest.quantization ?? {};
  if (typeof inputBits !== 'number' || typeof inputFracBits !== 'number') return;
  const scale = 2 ** inputFracBits;
  const min = -(2 ** (inputBits - 1));
  const max = 2 ** (inputBits - 1) - 1;
  input.forEach((x, i) => {
    const q = Math.round(x * scale);
    if (!(q >= min && q <= max)) {
      throw new ZkaiError(
        'BAD_INPUT',
        `input[${i}] = ${x} is outside the model's input range [${min / scale}, ${max / scale}] (${inputBits}-bit fixed point)`,
      );
    }
  });
}

/** Parse an uploaded ONNX file; anything the importer cannot read is the client's fault (400), never a 500. */
function parseOnnx(bytes: Uint8Array): ModelIR {
  try {
    return importOnnx(bytes);
  } catch (err) {
    if (isZkaiError(err)) throw err;
    throw new ZkaiError('BAD_INPUT', `onnx is not a model zkai can read: ${(err as Error)?.message ?? String(err)}`);
  }
}
