import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CommitOptions,
  commitDataset,
  type Dataset,
  type DatasetManifest,
  type DatasetRecord,
  loadDataset,
  parseRecords,
} from '../circuits/dataset/index.ts';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import { runChild } from './children/child-process.ts';

/** A root as the API spells it: 0x and 64 hex digits (case-insensitive on input). */
export const ROOT_HEX_PATTERN = '^0x[0-9a-fA-F]{64}$';

export interface CatalogOptions {
  /** Loaded datasets kept in memory (least recently used dropped first). Default 4. */
  maxCached?: number;
  /** Datasets up to this many records are committed on the calling thread; larger ones in a child process (see commit-child.ts). Default 1024. */
  inlineCommitMax?: number;
  /** A commit in a child process still running after this long is killed (JOB_TIMEOUT). Default 600000 (10 min). */
  commitTimeoutMs?: number;
}

/** A published dataset: what every node needs to commit it again (its records file, as commitDataset wrote it). */
export interface PublishedDataset {
  depth: number;
  source?: { name: string; sha256: string };
  /** The records sidecar's text: JSON lines, one record each, in leaf order. */
  records: string;
}

/**
 * Committed datasets kept where every API node finds them (PostgreSQL with ZKAI_DB: pg-datasets.ts), so a dataset
 * committed through one node can be read and proved from through another that has its own data directory.
 */
export interface SharedDatasets {
  /** Keep the dataset whose records file is `recordsFile` (idempotent: a root is kept once). */
  publish(manifest: DatasetManifest, recordsFile: string): Promise<void>;
  /** The published dataset of `rootHex` (lowercase), or undefined. */
  fetch(rootHex: string): Promise<PublishedDataset | undefined>;
  /** The manifest the publishing node wrote (cheap: no records), or undefined. */
  manifest(rootHex: string): Promise<DatasetManifest | undefined>;
}

/** Default commitTimeoutMs: 1M records (depth 20, full) take about 3.5 min on two cores. */
export const DEFAULT_COMMIT_TIMEOUT_MS = 600_000;

/**
 * The datasets a service has committed, one folder per root (`<dir>/<rootHex>/dataset.json` plus
 * the sidecars commitDataset writes), with a small in-memory cache of loaded datasets: loading
 * reads the whole tree file, and a proof job or a record check should not pay that every time.
 */
export class DatasetCatalog {
  private readonly cache = new Map<string, Promise<Dataset>>();

  private readonly opts: Required<CatalogOptions>;

  private shared: SharedDatasets | undefined;

  private readonly materialising = new Map<string, Promise<void>>();

  constructor(
    readonly dir: string,
    opts: CatalogOptions = {},
  ) {
    this.opts = {
      maxCached: opts.maxCached ?? 4,
      inlineCommitMax: opts.inlineCommitMax ?? 1024,
      commitTimeoutMs: opts.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS,
    };
  }

  /**
   * Publish every commit to `shared`, and commit again here a dataset this folder lacks that `shared` has (its
   * records give its root, which is checked); undefined: this folder only. A service sets it at start, clears it at close.
   */
  share(shared: SharedDatasets | undefined): void {
    this.shared = shared;
  }

  /** Where the manifest of `rootHex` lives (whether or not it exists). */
  manifestPath(rootHex: string): string {
    return path.join(this.dir, normaliseRoot(rootHex), 'dataset.json');
  }

  /**
   * Commit records into a new dataset. Built in a private temporary folder and renamed into
   * place, so a half-written dataset is never visible and two commits of the same records race
   * safely: the second finds the folder taken and answers with the first's manifest. Datasets of
   * more than `inlineCommitMax` records are hashed in a child process, so that the event loop
   * keeps serving other requests meanwhile (100k records: ~8 CPU-seconds on the native engine,
   * ~40 in JavaScript).
   */
  async commit(
    records: DatasetRecord[],
    opts: {
      depth: number;
      source?: { name: string; sha256: string };
      /** Told how far the commit is: leaves hashed, then tree levels (percent of each). */
      onProgress?: (phase: 'leaves' | 'tree', percent: number) => void;
      /** Kill a commit in a child process when this aborts (a commit job's timeout). */
      signal?: AbortSignal;
      /** Publish to the shared datasets (default true; false when committing what was fetched from there). */
      publish?: boolean;
    },
  ): Promise<{ manifest: DatasetManifest; created: boolean }> {
    const incoming = path.join(this.dir, '.incoming', randomUUID());
    await mkdir(incoming, { recursive: true });
    try {
      const manifestPath = path.join(incoming, 'dataset.json');
      const options = { depth: opts.depth, source: opts.source };
      let fresh: Dataset | undefined;
      let manifest: DatasetManifest;
      if (records.length <= this.opts.inlineCommitMax) {
        fresh = await commitDataset(records, manifestPath, {
          ...options,
          onProgress: (phase, done, total) => opts.onProgress?.(phase as 'leaves' | 'tree', Math.floor((done / total) * 100)),
        });
        manifest = fresh.manifest;
      } else {
        manifest = await commitInChild(records, manifestPath, options, this.opts.commitTimeoutMs, opts.onProgress, opts.signal);
      }
      const finalDir = path.dirname(this.manifestPath(manifest.rootHex));
      let created = true;
      try {
        await rename(incoming, finalDir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
        created = false;
        // Keep the stored manifest: its createdAt is when the dataset was first committed.
        manifest = await this.manifest(manifest.rootHex);
      }
      // The same root means the same leaves, so the records in hand are the stored ones.
      if (fresh) this.remember(manifest.rootHex, Promise.resolve({ ...fresh, manifest }));
      if (this.shared && opts.publish !== false)
        await this.shared.publish(manifest, path.join(path.dirname(this.manifestPath(manifest.rootHex)), manifest.files.records));
      return { manifest, created };
    } finally {
      await rm(incoming, { recursive: true, force: true });
    }
  }

  /** The manifest only (cheap: reads dataset.json, not the tree). Throws UNKNOWN_DATASET. */
  async manifest(rootHex: string): Promise<DatasetManifest> {
    const file = this.manifestPath(rootHex);
    if (this.shared && !existsSync(file)) await this.materialise(normaliseRoot(rootHex));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw unknownDataset(rootHex);
    }
    try {
      return JSON.parse(text) as DatasetManifest;
    } catch {
      throw new ZkaiError('BAD_DATASET', `stored manifest of dataset ${normaliseRoot(rootHex)} is not valid JSON`);
    }
  }

  /**
   * The manifest for reading it (listings, GET): this folder's, else the shared one as its publisher wrote it, without
   * committing the dataset here (that waits for a proof, `get`, or a worker's fetch, `manifest`). Throws UNKNOWN_DATASET.
   */
  async describe(rootHex: string): Promise<DatasetManifest> {
    const root = normaliseRoot(rootHex);
    if (this.shared && !existsSync(this.manifestPath(root))) {
      const published = await this.shared.manifest(root);
      if (published) return published;
    }
    return this.manifest(root);
  }

  /** The loaded dataset (records + tree), from the cache when possible. Throws UNKNOWN_DATASET. */
  async get(rootHex: string): Promise<Dataset> {
    const key = normaliseRoot(rootHex);
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const file = this.manifestPath(key);
    if (this.shared && !existsSync(file)) await this.materialise(key);
    if (!existsSync(file)) throw unknownDataset(key);
    const loading = loadDataset(file);
    this.remember(key, loading);
    loading.catch(() => {
      if (this.cache.get(key) === loading) this.cache.delete(key);
    });
    return loading;
  }

  /**
   * Commit here the shared dataset of `root` (lowercase): its records are committed again and kept only if they give
   * that root. Nothing published under it: nothing happens (the caller reports the unknown dataset). Concurrent
   * calls for one root share the work.
   */
  private materialise(root: string): Promise<void> {
    let running = this.materialising.get(root);
    if (!running) {
      running = (async () => {
        const published = await this.shared?.fetch(root);
        if (!published) return;
        const records = parseRecords(published.records, 'jsonl', `shared dataset ${root}`);
        const made = await this.commit(records, {
          depth: published.depth,
          ...(published.source ? { source: published.source } : {}),
          publish: false,
        });
        if (made.manifest.rootHex !== root) {
          if (made.created) await rm(path.dirname(this.manifestPath(made.manifest.rootHex)), { recursive: true, force: true });
          throw new ZkaiError('BAD_DATASET', `the shared records of dataset ${root} commit to root ${made.manifest.rootHex}: refused`);
        }
      })().finally(() => this.materialising.delete(root));
      this.materialising.set(root, running);
    }
    return running;
  }

  private remember(key: string, dataset: Promise<Dataset>): void {
    this.cache.delete(key);
    this.cache.set(key, dataset);
    while (this.cache.size > this.opts.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }
}

const catalogs = new Map<string, DatasetCatalog>();

/**
 * The catalog of a datasets folder, one per folder per process (`opts` apply when it is first made), so the HTTP routes and the
 * proof job handler share one cache without being wired to each other.
 */
export function datasetCatalog(dir: string, opts?: CatalogOptions): DatasetCatalog {
  const key = path.resolve(dir);
  let catalog = catalogs.get(key);
  if (!catalog) {
    catalog = new DatasetCatalog(key, opts);
    catalogs.set(key, catalog);
  }
  return catalog;
}

function normaliseRoot(rootHex: string): string {
  if (!new RegExp(ROOT_HEX_PATTERN).test(rootHex))
    throw new ZkaiError('BAD_INPUT', `dataset root must be 0x and 64 hex digits, got ${JSON.stringify(rootHex)}`);
  return rootHex.toLowerCase();
}

/** The error for an unknown root, and for another tenant's: the same words, so the two cannot be told apart. */
export function unknownDataset(rootHex: string): ZkaiError {
  return new ZkaiError('UNKNOWN_DATASET', `no dataset with root ${rootHex.toLowerCase()} has been committed here`);
}

/**
 * Run commitDataset in a child process (see commit-child.ts; one of the capped slots of child-process.ts) and return
 * the manifest it wrote; past `timeoutMs` the child is killed and the commit fails with JOB_TIMEOUT.
 */
async function commitInChild(
  records: DatasetRecord[],
  manifestPath: string,
  options: CommitOptions,
  timeoutMs: number,
  onProgress?: (phase: 'leaves' | 'tree', percent: number) => void,
  signal?: AbortSignal,
): Promise<DatasetManifest> {
  const m = await runChild<{ ok: true; manifest: DatasetManifest } | { ok: false; code: string; message: string }>({
    script: fileURLToPath(new URL('./children/commit-child.ts', import.meta.url)),
    request: { records, manifestPath, options },
    what: 'dataset commit',
    serialization: 'advanced',
    stdout: 'inherit',
    timeoutMs,
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      const { phase, percent } = p as { phase?: unknown; percent?: unknown };
      if ((phase === 'leaves' || phase === 'tree') && typeof percent === 'number') onProgress?.(phase, percent);
    },
  });
  if (m.ok) return m.manifest;
  throw new ZkaiError(m.code as ZkaiErrorCode, m.message);
}
