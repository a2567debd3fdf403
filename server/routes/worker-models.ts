/**
 * Worker-only routes for compiled models (registered inside worker-artifacts.ts, so only ZKAI_WORKER_TOKEN opens them):
 * what a `zkai worker` without the models folder needs to prove a model's inferences. The model's manifest (which an
 * inference job names by hash), its quantized model, commitment key and lookup key by sha256, the commitment's blind, and its
 * circuit and setup in the shape of GET /v1/worker/circuits/{id}. jobs/fetch-model.ts checks each of them.
 * Workers only prove here: compiles, which make the circuit and keys, run on the API nodes (docs/queue.md).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import type { ModelFilesApi } from '../../jobs/model-files.ts';
import type { CompiledModel } from '../../prover/inference.ts';
import { COMMITMENT_KEY_FILE, type SetupMeta } from '../../prover/setup/index.ts';
import { errorResponses, SHA256_PATTERN, UUID_PATTERN, workerModelManifestSchema, workerModelSchema } from '../schemas.ts';
import { binary, digestNow, fileDigests, streamFile } from './worker-files.ts';

/** The files of a model a worker fetches by name (the zkey goes by its sha256). */
export const MODEL_FILES = ['quantized.json', 'commitkey.json', 'lookupkey.json', 'circuit.r1cs', 'circuit.wasm'] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

/** Compiled models kept loaded for the listing (least recently used dropped first). */
const MAX_LOADED = 8;

const modelParam = { modelId: { type: 'string', pattern: UUID_PATTERN } } as const;

/**
 * `files`: where the compiled models come from (jobs/model-files.ts): this node's models folder, and with PostgreSQL
 * the store of record, so that a worker may fetch from any API node a model another API node compiled.
 */
export const workerModelRoutes: FastifyPluginAsync<{ files: ModelFilesApi }> = async (app, { files }) => {
  const config = { public: true } as const;
  const tags = ['workers'];
  const security = [{ workerToken: [] }];
  const digest = fileDigests();
  const loaded = new Map<string, { revision: string | undefined; model: Promise<CompiledModel> }>();

  /**
   * The compiled model `id`, as this node proves it (its circuit and keys from this node's cache). Its revision of
   * record is asked for at each request (one indexed row): after a `zkai setup contribute` moved the model to new keys,
   * the next request loads it again, and the stale files here are replaced (pg-model-files.ts).
   */
  const compiledModel = async (id: string): Promise<CompiledModel> => {
    const revision = await files.revision(id);
    let hit = loaded.get(id);
    if (hit) loaded.delete(id);
    if (!hit || hit.revision !== revision) {
      // Only a compiled model (UNKNOWN_MODEL while it compiles, or when it failed); with PostgreSQL made here from the
      // store of record when another API node compiled it, every file checked (ARTIFACT_MISMATCH: none is used).
      const model = files.loadCompiled(id);
      hit = { revision, model };
      model.catch(() => {
        if (loaded.get(id)?.model === model) loaded.delete(id);
      });
    }
    loaded.set(id, hit);
    while (loaded.size > MAX_LOADED) loaded.delete(loaded.keys().next().value!);
    return hit.model;
  };
  const setupMeta = async (m: CompiledModel): Promise<SetupMeta> =>
    JSON.parse(await readFile(path.join(m.setup.dir, 'setup.json'), 'utf8')) as SetupMeta;
  const fileOf = (m: CompiledModel, id: string, name: ModelFile): string => {
    if (name === 'quantized.json') return path.join(m.dir, 'quantized.json');
    if (name === 'circuit.r1cs') return m.model.circuit.r1csPath;
    if (name === 'circuit.wasm') return m.model.circuit.wasmPath;
    if (name === 'lookupkey.json') {
      if (!m.lookup) throw new ZkaiError('NOT_FOUND', `model ${id} has no lookup key (it was compiled without lookups)`);
      return m.lookup.keyPath;
    }
    if (!m.pedersen) throw new ZkaiError('NOT_FOUND', `model ${id} has no commitment key (its weights are not Pedersen-committed)`);
    return path.join(m.setup.dir, COMMITMENT_KEY_FILE);
  };

  app.get<{ Params: { modelId: string } }>(
    '/v1/worker/models/:modelId',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'A compiled model, for proving its inferences (workers)',
        description:
          'For `zkai worker` processes (ZKAI_WORKER_TOKEN): the manifest, the quantized model and commitment key by sha256, the ' +
          "Pedersen blind, and the circuit and setup this node verifies the model's proofs with. Any tenant's model.",
        params: { type: 'object', required: ['modelId'], properties: modelParam },
        response: { 200: workerModelSchema, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => {
      const id = request.params.modelId;
      const m = await compiledModel(id);
      const meta = await setupMeta(m);
      const { dir: _d, r1csPath, wasmPath, symPath: _s, ...record } = m.model.circuit;
      // The commitment key changes in place at a `zkai setup contribute`: digested each time, not once per process.
      const keyFile = m.pedersen ? path.join(m.setup.dir, COMMITMENT_KEY_FILE) : undefined;
      return {
        manifest: JSON.parse(await readFile(path.join(m.dir, 'model.json'), 'utf8')),
        // Its path here is part of the circuit's hash: the worker hashes the source it generates under this name.
        source: { name: m.model.hashName },
        files: {
          'quantized.json': await digest(fileOf(m, id, 'quantized.json')),
          ...(keyFile ? { 'commitkey.json': await digestNow(keyFile) } : {}),
          ...(m.lookup ? { 'lookupkey.json': await digestNow(m.lookup.keyPath) } : {}),
        },
        ...(m.pedersen ? { opening: { blind: m.pedersen.blind.toString() } } : {}),
        circuit: {
          circuit: record,
          files: { 'circuit.r1cs': await digest(r1csPath, meta.r1csSha256), 'circuit.wasm': await digest(wasmPath, record.wasmSha256) },
          setup: {
            dir: path.basename(m.setup.dir),
            meta,
            vkey: m.setup.vkey,
            vkeyHash: m.setup.vkeyHash,
            zkey: await digest(m.setup.zkeyPath, meta.zkeySha256),
          },
        },
      };
    },
  );

  app.get<{ Params: { modelId: string } }>(
    '/v1/worker/models/:modelId/manifest',
    {
      config,
      schema: {
        tags,
        security,
        summary: "A compiled model's current manifest (workers)",
        description:
          'What a worker checks at the start of each inference job: the job names the sha256 of the manifest it was accepted ' +
          'under, and after a setup contribution moved the model to new keys it is no longer this one (MODEL_KEYS_CHANGED). ' +
          'With PostgreSQL, the manifest of record.',
        params: { type: 'object', required: ['modelId'], properties: modelParam },
        response: { 200: workerModelManifestSchema, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => {
      const id = request.params.modelId;
      const manifest =
        (await files.manifestOfRecord(id)) ?? JSON.parse(await readFile(path.join((await compiledModel(id)).dir, 'model.json'), 'utf8'));
      return { manifest };
    },
  );

  app.get<{ Params: { modelId: string; file: ModelFile } }>(
    '/v1/worker/models/:modelId/files/:file',
    {
      config,
      schema: {
        tags,
        security,
        summary: "A compiled model's file (workers)",
        description: 'Streamed; its sha256 is in GET /v1/worker/models/{modelId}.',
        params: {
          type: 'object',
          required: ['modelId', 'file'],
          properties: { ...modelParam, file: { type: 'string', enum: [...MODEL_FILES] } },
        },
        response: { 200: binary('The file'), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const file = fileOf(await compiledModel(request.params.modelId), request.params.modelId, request.params.file);
      return streamFile(reply, file, (await stat(file)).size, 'application/octet-stream');
    },
  );

  app.get<{ Params: { modelId: string; sha256: string } }>(
    '/v1/worker/models/:modelId/zkeys/:sha256',
    {
      config,
      schema: {
        tags,
        security,
        summary: "A compiled model's proving key by its sha256 (workers)",
        description: 'Streamed. The sha256 is the one GET /v1/worker/models/{modelId} lists.',
        params: {
          type: 'object',
          required: ['modelId', 'sha256'],
          properties: { ...modelParam, sha256: { type: 'string', pattern: SHA256_PATTERN } },
        },
        response: { 200: binary('The zkey'), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const m = await compiledModel(request.params.modelId);
      const meta = await setupMeta(m);
      if (request.params.sha256 !== meta.zkeySha256)
        throw new ZkaiError('NOT_FOUND', `model ${request.params.modelId} has no zkey ${request.params.sha256}`);
      const { bytes } = await digest(m.setup.zkeyPath, meta.zkeySha256);
      return streamFile(reply, m.setup.zkeyPath, bytes, 'application/octet-stream');
    },
  );
};
