/**
 * A `zkai worker` without the API node's data directory (ZKAI_API_URL): a committed dataset it is asked to prove from
 * and does not have is fetched (its records), committed again here, and kept only if the Merkle-sum root of what was
 * fetched is the root the job names. The root is the dataset's content id: no other records give it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type DatasetRecord, normaliseRecord } from '../circuits/dataset/index.ts';
import type { ArtifactSource } from '../client/worker-source.ts';
import { ZkaiError } from '../common/errors.ts';
import { type DatasetCatalog, ROOT_HEX_PATTERN } from './datasets.ts';

/** Bytes one stored record line may take: an id of 256 characters, address, content hash, weight, JSON around them. */
const MAX_RECORD_LINE_BYTES = 1024;

const mismatch = (message: string) => new ZkaiError('ARTIFACT_MISMATCH', message);

/**
 * `ensure(root)`: when `catalog` lacks the dataset, fetch it from `source` and commit it into `catalog`, or fail with
 * ARTIFACT_MISMATCH (the records do not give that root) and keep nothing. Concurrent calls for one root share a fetch.
 */
export function fetchingDatasets(
  source: ArtifactSource,
  catalog: DatasetCatalog,
  log: (msg: string) => void,
): (root: string) => Promise<void> {
  const inFlight = new Map<string, Promise<void>>();
  return async (rootText: string) => {
    if (!new RegExp(ROOT_HEX_PATTERN).test(rootText)) return; // the catalog reports a malformed root
    const root = rootText.toLowerCase();
    if (existsSync(catalog.manifestPath(root))) return;
    let fetching = inFlight.get(root);
    if (!fetching) {
      fetching = fetchDataset(source, catalog, root, log).finally(() => inFlight.delete(root));
      inFlight.set(root, fetching);
    }
    return fetching;
  };
}

async function fetchDataset(source: ArtifactSource, catalog: DatasetCatalog, root: string, log: (msg: string) => void): Promise<void> {
  const manifest = await source.json<{ rootHex?: unknown; depth?: unknown; leafCount?: unknown; source?: unknown }>(
    `/v1/worker/datasets/${root}`,
  );
  const { depth, leafCount } = manifest;
  if (manifest.rootHex !== root) throw mismatch(`the API node's manifest for dataset ${root} names root ${String(manifest.rootHex)}`);
  if (!Number.isInteger(depth) || (depth as number) < 1 || (depth as number) > 32)
    throw mismatch(`the API node's manifest for dataset ${root} has depth ${String(depth)}`);
  if (!Number.isInteger(leafCount) || (leafCount as number) < 1 || (leafCount as number) > 2 ** (depth as number))
    throw mismatch(`the API node's manifest for dataset ${root} has ${String(leafCount)} records`);
  log(`fetching dataset ${root} (${leafCount} records) from ${source.origin}`);
  const tmpDir = path.join(catalog.dir, '.fetch');
  await mkdir(tmpDir, { recursive: true });
  const file = path.join(tmpDir, `${randomUUID()}.jsonl`);
  let records: DatasetRecord[];
  try {
    await source.download(`/v1/worker/datasets/${root}/records`, file, (leafCount as number) * MAX_RECORD_LINE_BYTES);
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    try {
      records = lines.map((line, i) => normaliseRecord(JSON.parse(line) as Record<string, unknown>, `record ${i + 1}`));
    } catch (err) {
      throw mismatch(`the records of dataset ${root} from ${source.origin} are not dataset records: ${(err as Error).message}`);
    }
  } finally {
    await rm(file, { force: true });
  }
  if (records.length !== leafCount) throw mismatch(`dataset ${root} from ${source.origin} has ${records.length} records, not ${leafCount}`);
  // The same commit the API node made: leaves, Merkle-sum tree, root (in a child process when large).
  const src = manifest.source as { name?: unknown; sha256?: unknown } | undefined;
  const made = await catalog.commit(records, {
    depth: depth as number,
    ...(typeof src?.name === 'string' && typeof src.sha256 === 'string' ? { source: { name: src.name, sha256: src.sha256 } } : {}),
  });
  if (made.manifest.rootHex !== root) {
    // Those records are a dataset, but not this one: keep nothing the job did not ask for.
    if (made.created) await rm(path.dirname(catalog.manifestPath(made.manifest.rootHex)), { recursive: true, force: true });
    throw mismatch(`the records of dataset ${root} from ${source.origin} commit to root ${made.manifest.rootHex}: refused`);
  }
}
