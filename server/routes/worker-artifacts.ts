/**
 * Worker-only routes: what a `zkai worker` on another machine fetches instead of reading a shared ZKAI_HOME (the
 * membership circuit's files, its proving key, committed datasets), each named by a content id the worker checks
 * (jobs/fetch-circuit.ts, jobs/fetch-dataset.ts; docs/deploy.md says which check for which id). They answer only
 * requests that present ZKAI_WORKER_TOKEN (none at all without it): a worker proves every tenant's jobs, so these routes see past
 * tenants, and an API key (a tenant's credential) opens none of them. Files are streamed, never buffered.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { ZkaiError } from '../../common/errors.ts';
import { type DatasetCatalog, ROOT_HEX_PATTERN } from '../../jobs/datasets.ts';
import type { ModelFilesApi } from '../../jobs/model-files.ts';
import type { MembershipCircuit } from '../../prover/membership.ts';
import type { SetupMeta } from '../../prover/setup/groth16-setup.ts';
import { errorResponses, SHA256_PATTERN, workerCircuitSchema } from '../schemas.ts';
import { binary, fileDigests, streamFile } from './worker-files.ts';
import { workerModelRoutes } from './worker-models.ts';

export interface WorkerArtifactRoutesOptions {
  /** ZKAI_WORKER_TOKEN; none: the routes exist (and are documented) but refuse every request. */
  token?: string;
  /** The circuits this node proves and verifies with: only these are served. */
  membership: MembershipCircuit;
  catalog: DatasetCatalog;
  /** Where compiled models are served from (worker-models.ts): this node's folder, or also the store of record. */
  modelFiles?: ModelFilesApi;
}

/** The circuit files a worker fetches (the symbol file is for debugging and stays home). */
export const CIRCUIT_FILES = ['circuit.r1cs', 'circuit.wasm'] as const;
export type CircuitFile = (typeof CIRCUIT_FILES)[number];

/** Where the OpenAPI document says the worker token goes. */
export const WORKER_SECURITY = [{ workerToken: [] }];

export const workerArtifactRoutes: FastifyPluginAsync<WorkerArtifactRoutesOptions> = async (
  app,
  { token, membership, catalog, modelFiles },
) => {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  // Compare digests in constant time: the token's length and prefix leak nothing.
  const checkToken = async (request: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
    if (expected && m && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="zkai-worker"');
    throw new ZkaiError(
      'UNAUTHORIZED',
      expected
        ? 'this route is for zkai workers: send "Authorization: Bearer <ZKAI_WORKER_TOKEN>"'
        : 'this API node serves no workers: it has no ZKAI_WORKER_TOKEN',
    );
  };
  // public: no tenant (API key) is asked for; the worker token is, by the hook below, on every route of this plugin.
  app.addHook('onRequest', checkToken);
  const config = { public: true } as const;
  const tags = ['workers'];

  const digest = fileDigests();
  const circuitNamed = (id: string): BuiltCircuit => {
    if (id !== membership.circuit.id) throw new ZkaiError('UNKNOWN_CIRCUIT', `this node serves no circuit ${JSON.stringify(id)}`);
    return membership.circuit;
  };
  const setupMeta = async (): Promise<SetupMeta> =>
    JSON.parse(await readFile(path.join(membership.setup.dir, 'setup.json'), 'utf8')) as SetupMeta;

  app.get<{ Params: { circuitId: string } }>(
    '/v1/worker/circuits/:circuitId',
    {
      config,
      schema: {
        tags,
        security: WORKER_SECURITY,
        summary: 'A circuit and its proving setup (workers)',
        description:
          'For `zkai worker` processes (ZKAI_WORKER_TOKEN): the circuit record, the sha256 of each file, and the setup this node ' +
          'verifies with (setup.json, the verification key, the proving key by sha256). Only the circuits this node serves.',
        params: { type: 'object', required: ['circuitId'], properties: { circuitId: { type: 'string', pattern: '^[a-z0-9-]{1,128}$' } } },
        response: { 200: workerCircuitSchema, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => {
      const circuit = circuitNamed(request.params.circuitId);
      const { dir: _d, r1csPath, wasmPath, symPath: _s, ...record } = circuit;
      const meta = await setupMeta();
      return {
        circuit: record,
        files: { 'circuit.r1cs': await digest(r1csPath, meta.r1csSha256), 'circuit.wasm': await digest(wasmPath, circuit.wasmSha256) },
        setup: {
          dir: path.basename(membership.setup.dir),
          meta,
          vkey: membership.setup.vkey,
          vkeyHash: membership.setup.vkeyHash,
          zkey: await digest(membership.setup.zkeyPath, meta.zkeySha256),
        },
      };
    },
  );

  app.get<{ Params: { circuitId: string; file: CircuitFile } }>(
    '/v1/worker/circuits/:circuitId/files/:file',
    {
      config,
      schema: {
        tags,
        security: WORKER_SECURITY,
        summary: "A circuit's r1cs or witness calculator (workers)",
        description: 'Streamed; its sha256 is in GET /v1/worker/circuits/{circuitId}.',
        params: {
          type: 'object',
          required: ['circuitId', 'file'],
          properties: { circuitId: { type: 'string', pattern: '^[a-z0-9-]{1,128}$' }, file: { type: 'string', enum: [...CIRCUIT_FILES] } },
        },
        response: { 200: binary('The file'), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const circuit = circuitNamed(request.params.circuitId);
      const file = request.params.file === 'circuit.r1cs' ? circuit.r1csPath : circuit.wasmPath;
      return streamFile(reply, file, (await stat(file)).size, 'application/octet-stream');
    },
  );

  app.get<{ Params: { sha256: string } }>(
    '/v1/worker/zkeys/:sha256',
    {
      config,
      schema: {
        tags,
        security: WORKER_SECURITY,
        summary: 'A proving key by its sha256 (workers)',
        description: "Streamed. The sha256 is setup.json's zkeySha256, as GET /v1/worker/circuits/{circuitId} lists it.",
        params: { type: 'object', required: ['sha256'], properties: { sha256: { type: 'string', pattern: SHA256_PATTERN } } },
        response: { 200: binary('The zkey'), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const meta = await setupMeta();
      if (request.params.sha256 !== meta.zkeySha256) throw new ZkaiError('NOT_FOUND', `this node serves no zkey ${request.params.sha256}`);
      const { bytes } = await digest(membership.setup.zkeyPath, meta.zkeySha256);
      return streamFile(reply, membership.setup.zkeyPath, bytes, 'application/octet-stream');
    },
  );

  if (modelFiles) await app.register(workerModelRoutes, { files: modelFiles });

  const rootParams = { type: 'object', required: ['root'], properties: { root: { type: 'string', pattern: ROOT_HEX_PATTERN } } } as const;

  app.get<{ Params: { root: string } }>(
    '/v1/worker/datasets/:root',
    {
      config,
      schema: {
        tags,
        security: WORKER_SECURITY,
        summary: "A committed dataset's stored manifest (workers)",
        description: "Any tenant's dataset (workers prove for all of them): dataset.json as stored, sidecar names included.",
        params: rootParams,
        response: {
          200: { description: 'dataset.json', type: 'object', additionalProperties: true, required: ['rootHex', 'depth', 'leafCount'] },
          ...errorResponses(400, 401, 404, 500),
        },
      },
    },
    async (request) => catalog.manifest(request.params.root),
  );

  app.get<{ Params: { root: string } }>(
    '/v1/worker/datasets/:root/records',
    {
      config,
      schema: {
        tags,
        security: WORKER_SECURITY,
        summary: "A committed dataset's records (workers)",
        description:
          'Streamed JSON lines, one record each, in leaf order. The worker rebuilds the Merkle-sum tree from them and keeps them ' +
          'only if its root is the one asked for.',
        params: rootParams,
        response: { 200: binary('records.jsonl'), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const manifest = await catalog.manifest(request.params.root);
      const name = manifest.files?.records;
      // The manifest is on our disk, but a name that leaves the dataset's folder is not followed.
      if (typeof name !== 'string' || name !== path.basename(name))
        throw new ZkaiError('BAD_DATASET', `stored manifest of ${request.params.root} names no records file`);
      const file = path.join(path.dirname(catalog.manifestPath(request.params.root)), name);
      return streamFile(reply, file, (await stat(file)).size, 'application/x-ndjson');
    },
  );
};
