/**
 * Where an uploaded model's files are kept beyond the node that wrote them. Two implementations:
 *   - LocalModelFiles (the embedded SQLite store, one API node): the files are the node's own folders, as before;
 *   - SharedModelFiles (pg-model-files.ts, ZKAI_DB=postgres://…): the files also go, content-addressed, into the store
 *     of record, and a node that lacks them (another API node behind the same address) makes them again from there,
 *     checked, so that API nodes share no folder (docs/deploy.md).
 * The compile job, the upload route and the worker routes use this interface and never care which one it is.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZkaiError } from '../common/errors.ts';
import type { CompiledModel } from '../prover/inference.ts';
import { modelPaths } from './models.ts';

export interface ModelFilesApi {
  /** After an upload is accepted, before its compile job is queued: keep it where every API node finds it. */
  keepUpload(id: string): Promise<void>;
  /** Before a compile: the upload's files in this node's models folder (UNKNOWN_MODEL when no node kept them). */
  fetchUpload(id: string): Promise<void>;
  /**
   * After a compile put `models/<id>/compiled/` in place here: keep it (with its circuit and keys) and return the
   * manifest of record. The first compile of a model kept wins; a later one (an attempt that lost its job to another
   * node) is replaced here by the first one, whose manifest it returns.
   */
  keepCompiled(id: string, log?: (msg: string) => void): Promise<Record<string, unknown>>;
  /** The compiled model as this node proves and serves it (UNKNOWN_MODEL when it is not compiled). */
  loadCompiled(id: string, log?: (msg: string) => void): Promise<CompiledModel>;
  /**
   * The manifest of record of a compiled model (undefined: not compiled), which this node may not have made yet: what
   * its status says and what an inference job names, over the compile job's result, which a setup contribution made
   * stale (the model moved to new keys).
   */
  manifestOfRecord(id: string): Promise<Record<string, unknown> | undefined>;
  /** The statement keys (vkeyHash) of the models of record with circuit `circuitId` that this node may not have. */
  vkeyHashes(circuitId: string): Promise<string[]>;
  /**
   * Which compile of record model `id` is now (undefined: none beyond this node's folder). It changes when a setup
   * contribution moves the model to new keys: a node holding the model loaded reloads it then (worker-models.ts).
   */
  revision(id: string): Promise<string | undefined>;
  /** At a node's start: keep where every API node finds them the models only this node's folder has (ids kept). */
  backfill(log?: (msg: string) => void): Promise<string[]>;
  /**
   * Delete the stored files no model references any more (superseded by a setup contribution), once found so for
   * longer than `graceMs` (pg-blobs.ts collect; ZKAI_BLOB_GRACE_HOURS): how many were newly found unreferenced, and
   * the content ids deleted.
   */
  collectBlobs(graceMs: number): Promise<{ marked: number; deleted: string[] }>;
}

/** One node's folders: nothing to keep elsewhere, nothing to fetch. */
export class LocalModelFiles implements ModelFilesApi {
  constructor(private readonly modelsDir: string) {}

  async keepUpload(): Promise<void> {}

  /**
   * This node's folder is the record: its model.json, which a `zkai setup contribute` moves to new keys
   * (contribute-models.ts) after the compile job's result named the old ones.
   */
  async manifestOfRecord(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(path.join(modelPaths(this.modelsDir, id).compiled, 'model.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      return undefined; // not compiled (yet)
    }
  }

  /** None beyond the keys in this node's own circuit cache (server/trusted-keys.ts reads those). */
  async vkeyHashes(): Promise<string[]> {
    return [];
  }

  /** This node's folder is the only copy: nothing to follow. */
  async revision(): Promise<undefined> {
    return undefined;
  }

  async backfill(): Promise<string[]> {
    return [];
  }

  /** Nothing stored beyond the folders: a contribution's old keys are its setup's numbered files (kept, as ever). */
  async collectBlobs(): Promise<{ marked: number; deleted: string[] }> {
    return { marked: 0, deleted: [] };
  }

  async fetchUpload(id: string): Promise<void> {
    const p = modelPaths(this.modelsDir, id);
    if (!existsSync(p.onnx) || !existsSync(p.calibration)) throw new ZkaiError('UNKNOWN_MODEL', `the upload of model ${id} is not here`);
  }

  async keepCompiled(id: string): Promise<Record<string, unknown>> {
    return JSON.parse(await readFile(path.join(modelPaths(this.modelsDir, id).compiled, 'model.json'), 'utf8')) as Record<string, unknown>;
  }

  async loadCompiled(id: string, log?: (msg: string) => void): Promise<CompiledModel> {
    const dir = modelPaths(this.modelsDir, id).compiled;
    // Only a compiled model: a folder without model.json is still compiling (or failed).
    if (!existsSync(path.join(dir, 'model.json'))) throw new ZkaiError('UNKNOWN_MODEL', `this node has no compiled model ${id}`);
    // Loaded only here: `zkai admin` opens the catalogs and never proves.
    const { loadCompiledModel } = await import('../prover/inference.ts');
    return loadCompiledModel(dir, log);
  }
}

/** A file of a model as the store of record lists it: its path under the data roots, and its content id. */
export interface StoredFile {
  /** `models/<id>/…` or `circuits/<circuit id>/…`: relative to DataRoots. */
  path: string;
  sha256: string;
  size: number;
}

/** The folders a stored path is relative to: the models folder and the circuit cache (both under ZKAI_HOME). */
export interface DataRoots {
  models: string;
  circuits: string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The local file a stored path names. The rows are the store of record's, but a path is still checked to stay under
 * its root (no `..`, no absolute path, nothing but plain names), so no row can make a node write elsewhere.
 */
export function localPath(roots: DataRoots, stored: string): string {
  const [root, ...rest] = stored.split('/');
  if ((root !== 'models' && root !== 'circuits') || rest.length === 0 || !rest.every((s) => SEGMENT.test(s) && !s.includes('..')))
    throw new ZkaiError(
      'ARTIFACT_MISMATCH',
      `the store of record lists a model file at ${JSON.stringify(stored)}, outside the data folders`,
    );
  return path.join(roots[root], ...rest);
}

/** The stored path of a local file under one of the roots (the inverse of localPath). */
export function storedPath(roots: DataRoots, file: string): string {
  for (const root of ['models', 'circuits'] as const) {
    const rel = path.relative(roots[root], file);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
      const stored = [root, ...rel.split(path.sep)].join('/');
      localPath(roots, stored); // the same checks as on the way back
      return stored;
    }
  }
  throw new Error(`${file} is under neither ${roots.models} nor ${roots.circuits}`);
}
