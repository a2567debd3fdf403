import type { FastifyPluginAsync } from 'fastify';
import type { DatasetManifest } from '../../circuits/dataset/index.ts';
import { type DatasetRecord, normaliseRecord, parseColumnMap, parseEpoch, parseRecords } from '../../circuits/dataset/index.ts';
import { MAX_TREE_DEPTH } from '../../circuits/membership.ts';
import { ZkaiError } from '../../common/errors.ts';
import { sha256Hex } from '../../common/hash.ts';
import { saveUpload } from '../../jobs/dataset-commit-job.ts';
import { type DatasetCatalog, ROOT_HEX_PATTERN, unknownDataset } from '../../jobs/datasets.ts';
import type { JobRunner } from '../../jobs/jobs.ts';
import type { MembershipJobRequest } from '../../jobs/membership-job.ts';
import type { JobQueueApi } from '../../jobs/queue/types.ts';
import type { DatasetClaim, DatasetOwnership } from '../../jobs/tenants.ts';
import { DECIMAL_PATTERN, errorResponses, jobAcceptedResponse, limitQuery, listResponse, parseLimit } from '../schemas.ts';
import { jobLinks, refuseWhenQueueFull } from './jobs.ts';

export interface DatasetRoutesOptions {
  catalog: DatasetCatalog;
  /** Depth of the membership circuit this service proves with; datasets must match it. */
  circuitDepth: number;
  store: JobQueueApi;
  runner: { pump(): void } | JobRunner;
  /** Refuse proof requests (429 QUEUE_FULL) while this many jobs are queued. */
  maxQueue: number;
  /** Which tenant committed which dataset: a tenant sees only its own roots. */
  tenants: DatasetOwnership;
  /**
   * Whether this node runs dataset-commit jobs itself (the embedded runner): `async` commits need it, since the
   * records wait in this node's datasets folder. False with the Redis queue (its workers may be elsewhere).
   */
  asyncCommits?: boolean;
}

interface RecordBody {
  id: string | number;
  contributor: string;
  contentHash: string;
  weight: string | number;
}

interface CommitBody {
  records?: RecordBody[];
  csv?: string;
  jsonl?: string;
  columns?: string | Record<string, string>;
  name?: string;
  depth?: number;
  async?: boolean;
}

const recordSchema = {
  type: 'object',
  required: ['id', 'contributor', 'contentHash', 'weight'],
  additionalProperties: false,
  properties: {
    id: {
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 256 },
        { type: 'integer', minimum: 0 },
      ],
      description: 'Unique within the dataset',
    },
    contributor: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'Royalty recipient address' },
    contentHash: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{64}$', description: '32-byte hash of the record content' },
    weight: {
      anyOf: [
        { type: 'string', pattern: DECIMAL_PATTERN },
        { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      ],
      description: 'Share of the royalty pot, 1..2^64-1 (send a string above 2^53)',
    },
  },
} as const;

/** A manifest as one tenant sees it: its own commit time and source, never another tenant's. */
function manifestFor(m: DatasetManifest, claim: DatasetClaim): DatasetManifest {
  const { source: _theirs, ...rest } = m;
  return { ...rest, createdAt: claim.createdAt, ...(claim.source ? { source: claim.source } : {}) };
}

function summaryOf(m: DatasetManifest): Record<string, unknown> {
  return { rootHex: m.rootHex, root: m.root, depth: m.depth, leafCount: m.leafCount, totalWeight: m.totalWeight, createdAt: m.createdAt };
}

/** The body of POST /v1/datasets/:root/proofs (exported for the typed client, zkai/client). */
export const membershipProofBodySchema = {
  type: 'object',
  required: ['recordId', 'epoch'],
  additionalProperties: false,
  properties: {
    recordId: { type: 'string', minLength: 1, maxLength: 256 },
    epoch: {
      anyOf: [
        { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        { type: 'string', pattern: '^[0-9]{1,78}$' },
      ],
      description: 'Royalty epoch: a BN254 field element, 0..r-1 (send a string above 2^53), e.g. a RoyaltyVault royalty-epoch label',
    },
  },
} as const;

/** The fields a csv column / jsonl key can be mapped to (the `columns` object's keys). */
const columnProperty = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** The body of POST /v1/datasets (exported for the typed client, zkai/client). */
export function commitBodySchema(circuitDepth: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      records: { type: 'array', minItems: 1, items: recordSchema },
      csv: { type: 'string', minLength: 1 },
      jsonl: { type: 'string', minLength: 1 },
      columns: {
        description:
          'Which csv column / jsonl key holds each field, when they are not named id, contributor, content_hash, weight: ' +
          '"id=record_id,content_hash=content_sha256" or {"id": "record_id", "content_hash": "content_sha256"}',
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 2048 },
          {
            type: 'object',
            minProperties: 1,
            maxProperties: 4,
            additionalProperties: false,
            properties: { id: columnProperty, contributor: columnProperty, content_hash: columnProperty, weight: columnProperty },
          },
        ],
      },
      name: {
        type: 'string',
        pattern: '^[^\\u0000-\\u001f]{1,256}$',
        description:
          "What the csv or jsonl text is called (e.g. its file name), recorded as the manifest's source name with the text's sha256; " +
          'default: "request body (csv)" or "(jsonl)"',
      },
      depth: { type: 'integer', minimum: 1, maximum: MAX_TREE_DEPTH, default: circuitDepth },
      async: {
        type: 'boolean',
        description:
          'Commit in the background: answer 202 with a dataset-commit job at once (its progress: leaves, then tree; ' +
          'its links.dataset once done) instead of holding the request for the whole commit (300,000 records: about a minute)',
      },
    },
  } as const;
}

const rootParams = {
  type: 'object',
  required: ['root'],
  additionalProperties: false,
  properties: { root: { type: 'string', pattern: ROOT_HEX_PATTERN, description: 'Dataset root, 0x and 64 hex digits' } },
} as const;

/**
 * Datasets: commit records into a Merkle root, read a manifest, and ask for a membership proof
 * (which becomes a job). Requests are checked here, up front, so a job that is accepted can only
 * fail for reasons the API could not have known.
 */
export const datasetRoutes: FastifyPluginAsync<DatasetRoutesOptions> = async (app, opts) => {
  const { catalog, circuitDepth, store, runner, maxQueue, tenants } = opts;

  /** The manifest of a dataset this tenant committed; UNKNOWN_DATASET otherwise (also when another tenant did). */
  async function ownManifest(tenant: string, rootHex: string): Promise<DatasetManifest> {
    const claim = await tenants.datasetClaim(tenant, rootHex);
    if (!claim) throw unknownDataset(rootHex);
    return manifestFor(await catalog.describe(rootHex), claim);
  }

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: "List this tenant's datasets",
        description: 'Newest first, at most `limit` (default 100).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: limitQuery },
        },
        response: {
          200: listResponse('datasets', 'DatasetSummary', 'The datasets'),
          ...errorResponses(400, 401, 500),
        },
      },
    },
    async (request) => {
      const roots = await tenants.datasetsOf(request.tenant, parseLimit(request.query.limit));
      const datasets = await Promise.all(roots.map(async (root) => summaryOf(await ownManifest(request.tenant, root))));
      return { datasets };
    },
  );

  app.post<{ Body: CommitBody }>(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Commit a dataset',
        description:
          'Give the records in exactly one of `records`, `csv` (header: id,contributor,content_hash,weight) or `jsonl`. ' +
          `The tree depth must equal the membership circuit depth of this service (${circuitDepth}), which is also the default. ` +
          'Committing the same records again answers 200 with the same root. Each tenant sees only the datasets it committed. ' +
          'The root is that of a Merkle-sum tree: it commits to totalWeight (see docs/membership.md).',
        body: commitBodySchema(circuitDepth),
        response: {
          201: { description: 'Committed', $ref: 'DatasetSummary#' },
          202: jobAcceptedResponse('Accepted (async): a dataset-commit job was queued'),
          200: { description: 'Already committed (same root)', $ref: 'DatasetSummary#' },
          ...errorResponses(400, 401, 413, 415, 500),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const given = (['records', 'csv', 'jsonl'] as const).filter((k) => body[k] !== undefined);
      if (given.length !== 1) {
        throw new ZkaiError(
          'BAD_INPUT',
          `give exactly one of records, csv or jsonl (got ${given.length === 0 ? 'none' : given.join(' and ')})`,
        );
      }
      const depth = body.depth ?? circuitDepth;
      if (depth !== circuitDepth) {
        throw new ZkaiError(
          'BAD_INPUT',
          `this service proves membership in trees of depth ${circuitDepth}; a depth-${depth} dataset could never be proved`,
        );
      }
      let records: DatasetRecord[];
      let source: { name: string; sha256: string } | undefined;
      if (body.records) {
        if (body.columns !== undefined)
          throw new ZkaiError('BAD_INPUT', 'columns maps csv columns or jsonl keys; records already use the field names');
        if (body.name !== undefined) throw new ZkaiError('BAD_INPUT', 'name names csv or jsonl text; records have no source file');
        records = normaliseRecords(body.records);
      } else {
        const format = body.csv !== undefined ? 'csv' : 'jsonl';
        const text = (body.csv ?? body.jsonl)!;
        records = parseRecords(text, format, format, body.columns === undefined ? undefined : parseColumnMap(body.columns));
        source = { name: body.name ?? `request body (${format})`, sha256: sha256Hex(text) };
      }
      if (body.async) {
        if (!opts.asyncCommits)
          throw new ZkaiError(
            'BAD_INPUT',
            'this node cannot run background commits (its jobs go to a shared queue whose workers may be on other machines); commit without async',
          );
        if (await refuseWhenQueueFull(store, maxQueue, reply)) return reply;
        const commitRequest = await saveUpload(catalog.dir, records, { depth, source });
        const job = await store.enqueue('dataset-commit', commitRequest as unknown as Record<string, unknown>, request.tenant);
        opts.runner.pump();
        request.log.info({ jobId: job.id, records: records.length }, 'dataset commit queued');
        const links = { job: `/v1/jobs/${job.id}` };
        return reply.code(202).header('location', links.job).send({ jobId: job.id, state: job.state, links });
      }
      const { manifest: stored } = await catalog.commit(records, { depth, source });
      // 201 when this tenant is new to the root, whether or not another tenant committed the same records.
      const { claim, created } = await tenants.claimDataset(request.tenant, stored.rootHex, source);
      const m = manifestFor(stored, claim);
      request.log.info({ root: m.rootHex, leafCount: m.leafCount, created }, 'dataset committed');
      return reply
        .code(created ? 201 : 200)
        .header('location', `/v1/datasets/${m.rootHex}`)
        .send(summaryOf(m));
    },
  );

  app.get<{ Params: { root: string } }>(
    '/v1/datasets/:root',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Read a dataset manifest',
        params: rootParams,
        response: { 200: { description: 'The manifest', $ref: 'DatasetManifest#' }, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => ownManifest(request.tenant, request.params.root),
  );

  app.post<{ Params: { root: string }; Body: { recordId: string; epoch: number | string } }>(
    '/v1/datasets/:root/proofs',
    {
      schema: {
        tags: ['proofs'],
        summary: 'Ask for a membership proof',
        description:
          "Proves that the record is in the dataset, naming its contributor, its weight and the dataset's total weight (which " +
          'the root commits to), for a royalty epoch. Public signals: [root, total, contributor, weight, epoch, nullifier]. ' +
          'Answers at once with a job to poll; the proof bundle is at links.bundle when the job has succeeded.',
        params: rootParams,
        body: membershipProofBodySchema,
        response: {
          202: jobAcceptedResponse('Accepted: a proof job was queued'),
          ...errorResponses(400, 401, 404, 413, 415, 429, 500),
        },
      },
    },
    async (request, reply) => {
      if (await refuseWhenQueueFull(store, maxQueue, reply)) return reply;
      const epoch = parseEpoch(request.body.epoch);
      if (!(await tenants.datasetClaim(request.tenant, request.params.root))) throw unknownDataset(request.params.root);
      const dataset = await catalog.get(request.params.root);
      const { recordId } = request.body;
      if (!dataset.indexOf.has(recordId)) {
        throw new ZkaiError('UNKNOWN_RECORD', `record ${JSON.stringify(recordId)} is not in dataset ${dataset.manifest.rootHex}`);
      }
      if (dataset.manifest.depth !== circuitDepth) {
        throw new ZkaiError('BAD_INPUT', `dataset has depth ${dataset.manifest.depth} but this service proves depth ${circuitDepth}`);
      }
      const jobRequest: MembershipJobRequest = { root: dataset.manifest.rootHex, recordId, epoch: epoch.toString() };
      const job = await store.enqueue('membership', jobRequest as unknown as Record<string, unknown>, request.tenant);
      runner.pump();
      request.log.info({ jobId: job.id, root: jobRequest.root }, 'membership proof queued');
      const links = jobLinks(job.id);
      return reply.code(202).header('location', links.job).send({ jobId: job.id, state: job.state, links });
    },
  );
};

/** Validate records given as JSON (the schema has checked shapes; this checks values and duplicates). */
function normaliseRecords(raw: RecordBody[]): DatasetRecord[] {
  const seen = new Set<string>();
  return raw.map((r, i) => {
    const record = normaliseRecord(r as unknown as Record<string, unknown>, `records[${i}]`);
    if (seen.has(record.id)) throw new ZkaiError('BAD_DATASET', `records[${i}]: duplicate record id ${JSON.stringify(record.id)}`);
    seen.add(record.id);
    return record;
  });
}
