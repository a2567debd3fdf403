/**
 * Job kind 'dataset-commit': a large dataset committed in the background, with progress (POST /v1/datasets with
 * `async: true`). The route validates the records up front and saves them as an upload file under
 * `<datasets>/.uploads/` (kept across restarts, unlike `.incoming`), so an accepted commit is never lost; the handler
 * commits them (leaves, then the tree, as progress), records the tenant's ownership of the root, deletes the upload,
 * and answers the dataset's summary.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetRecord } from '../circuits/dataset/index.ts';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { datasetCatalog } from './datasets.ts';
import type { Job, JobContext, JobHandler } from './jobs.ts';

/** What a dataset-commit job's request holds: where its records wait, and how to commit them. */
export interface DatasetCommitRequest {
  upload: string;
  depth: number;
  source?: { name: string; sha256: string };
}

export interface DatasetCommitDeps {
  datasetsDir: string;
  /** Records that `tenant` committed `rootHex` (its ownership: the tenant store's claimDataset); answers the tenant's commit time. */
  claim(tenant: string, rootHex: string, source?: { name: string; sha256: string }): { createdAt: string } | Promise<{ createdAt: string }>;
}

const UPLOADS = '.uploads';

/** Saves validated records for a commit job; returns the request to enqueue. */
export async function saveUpload(
  datasetsDir: string,
  records: DatasetRecord[],
  opts: { depth: number; source?: { name: string; sha256: string } },
): Promise<DatasetCommitRequest> {
  const upload = randomUUID();
  await mkdir(path.join(datasetsDir, UPLOADS), { recursive: true });
  const json = JSON.stringify(records.map((r) => ({ ...r, weight: r.weight.toString() })));
  await writeFileAtomic(uploadPath(datasetsDir, upload), json);
  return { upload, depth: opts.depth, ...(opts.source ? { source: opts.source } : {}) };
}

function uploadPath(datasetsDir: string, upload: string): string {
  if (!/^[0-9a-f-]{36}$/.test(upload)) throw new ZkaiError('BAD_INPUT', `malformed upload id ${JSON.stringify(upload)}`);
  return path.join(datasetsDir, UPLOADS, `${upload}.json`);
}

export function datasetCommitJobHandler(deps: DatasetCommitDeps): JobHandler {
  return async (job: Job, ctx?: JobContext) => {
    const req = job.request as Partial<DatasetCommitRequest>;
    if (typeof req.upload !== 'string' || typeof req.depth !== 'number')
      throw new ZkaiError('BAD_INPUT', `job ${job.id} has a malformed dataset-commit request`);
    const file = uploadPath(deps.datasetsDir, req.upload);
    let records: DatasetRecord[];
    try {
      const raw = JSON.parse(await readFile(file, 'utf8')) as (Omit<DatasetRecord, 'weight'> & { weight: string })[];
      records = raw.map((r) => ({ ...r, weight: BigInt(r.weight) }));
    } catch (err) {
      throw new ZkaiError('NOT_FOUND', `the records of job ${job.id} are gone (${(err as Error).message})`);
    }
    // Leaves are about half the work, the tree the other half.
    let manifest: Awaited<ReturnType<ReturnType<typeof datasetCatalog>['commit']>>['manifest'];
    try {
      ({ manifest } = await datasetCatalog(deps.datasetsDir).commit(records, {
        depth: req.depth,
        ...(req.source ? { source: req.source } : {}),
        onProgress: (phase, percent) => ctx?.progress({ phase, percent: phase === 'leaves' ? percent / 2 : 50 + percent / 2 }),
        ...(ctx?.signal ? { signal: ctx.signal } : {}),
      }));
    } catch (err) {
      // A typed error fails the job for good (a timeout, records that do not fit): its upload is no longer needed.
      // Anything else is retried, from the same upload.
      if (isZkaiError(err)) await rm(file, { force: true });
      throw err;
    }
    const claim = await deps.claim(job.tenant, manifest.rootHex, req.source);
    await rm(file, { force: true });
    return {
      rootHex: manifest.rootHex,
      root: manifest.root,
      depth: manifest.depth,
      leafCount: manifest.leafCount,
      totalWeight: manifest.totalWeight,
      createdAt: claim.createdAt,
    };
  };
}
