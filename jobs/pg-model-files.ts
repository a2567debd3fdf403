/**
 * Model files in the PostgreSQL store of record (ZKAI_DB), so that API nodes behind one address share no folder
 * (model-files.ts has the interface; docs/deploy.md the deployment). Each model has up to two rows in
 * zkai_model_files, each a list of files by content id (their bytes are blobs, pg-blobs.ts):
 *   upload    models/<id>/upload/model.onnx, calibration.csv: written when the upload is accepted, before its compile
 *             job is queued, so the node that compiles it need not be the node that took it;
 *   compiled  models/<id>/compiled/* (model.json, quantized.json, opening.json: the Pedersen blind), and the circuit
 *             and the setup it proves with (circuits/<circuit id>/circuit.json, r1cs, wasm; setup-<ptau>/ setup.json,
 *             the zkey, vkey, verifier, commitkey.json), with the name the compiling node gave the generated source
 *             (part of the circuit's id) and the setup folder: another node proves with exactly these keys, not keys
 *             of its own (its ptau may differ, and new keys would not be the manifest's).
 * A node that lacks a listed file makes it from its blob (checked: size and sha256) into a temporary file published in
 * place (common/fs.ts publishOnce: concurrent materialisations keep the first). Each folder's marker file (model.json,
 * setup.json, circuit.json: the one whose presence says the folder is complete) is published last. A file already here
 * is used only if it is the listed content (its sha256, computed once per file version: size, inode and mtime), else it
 * is replaced from its blob: a `zkai setup contribute` moves a model's row to new keys (pg-contribute.ts), and every
 * node's copy follows at its next load.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { ZkaiError } from '../common/errors.ts';
import { publishOnce, uniqueSuffix } from '../common/fs.ts';
import { canonicalJson, sha256File, sha256Hex } from '../common/hash.ts';
import type { CompiledModel } from '../prover/inference.ts';
import type { SetupMeta } from '../prover/setup/groth16-setup.ts';
import { type DataRoots, LocalModelFiles, localPath, type ModelFilesApi, type StoredFile, storedPath } from './model-files.ts';
import { modelPaths } from './models.ts';
import { PgBlobStore } from './pg-blobs.ts';

export const MODEL_FILES_DDL = `CREATE TABLE IF NOT EXISTS zkai_model_files (
  model_id TEXT NOT NULL,
  stage TEXT NOT NULL CHECK (stage IN ('upload', 'compiled')),
  record TEXT NOT NULL,
  circuit_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, stage)
);
CREATE INDEX IF NOT EXISTS zkai_model_files_circuit ON zkai_model_files (circuit_id) WHERE circuit_id IS NOT NULL`;

/**
 * Every blob a row of zkai_model_files references (its `sha256` column): what the blob store's garbage collection keeps
 * (pg-blobs.ts collect). Fixed SQL: the rows are the only references to blobs.
 */
export const MODEL_FILE_BLOBS = "SELECT f->>'sha256' AS sha256 FROM zkai_model_files m, jsonb_array_elements(m.record::jsonb -> 'files') f";

/** The `compiled` row: what another node needs to prove with the model exactly as it was compiled. */
export interface CompiledRecord {
  manifest: Record<string, unknown>;
  /** The compiling node's name for the generated source (codegen.ts generatedModelSpec's hashName). */
  sourceName: string;
  /** The stored path of the setup folder the model proves with. */
  setupDir: string;
  files: StoredFile[];
}

const MARKERS = ['circuit.json', 'setup.json', 'model.json'];

/**
 * The prover's loaders, imported when a model is first kept or loaded: `zkai admin` opens these catalogs too, and
 * should not pay for loading the prover (seconds) to make a key.
 */
const proverModules = async () => {
  const [inference, setup, key] = await Promise.all([
    import('../prover/inference.ts'),
    import('../prover/setup/groth16-setup.ts'),
    import('../prover/setup/commitment-key.ts'),
  ]);
  return {
    loadCompiledModel: inference.loadCompiledModel,
    loadSetup: setup.loadSetup,
    setupFiles: setup.setupFiles,
    COMMITMENT_KEY_FILE: key.COMMITMENT_KEY_FILE,
  };
};
const mismatch = (message: string) => new ZkaiError('ARTIFACT_MISMATCH', message);

export class SharedModelFiles implements ModelFilesApi {
  private readonly local: LocalModelFiles;
  /**
   * sha256 of this store's files by version (device, inode, size, mtime, ctime): a file replaced by rename(2) or
   * rewritten is hashed again. Per store, not per process: two stores in one process (tests, several nodes' roots)
   * never share entries, and a store's cache goes with it.
   */
  private readonly hashed = new Map<string, { version: string; sha256: string }>();

  constructor(
    readonly pool: pg.Pool,
    private readonly blobs: PgBlobStore,
    readonly roots: DataRoots,
  ) {
    this.local = new LocalModelFiles(roots.models);
  }

  async keepUpload(id: string): Promise<void> {
    const p = modelPaths(this.roots.models, id);
    const files = await this.putFiles([p.onnx, p.calibration]);
    await this.pool.query(
      "INSERT INTO zkai_model_files (model_id, stage, record) VALUES ($1, 'upload', $2) ON CONFLICT (model_id, stage) DO NOTHING",
      [id, JSON.stringify({ files })],
    );
  }

  async fetchUpload(id: string): Promise<void> {
    const p = modelPaths(this.roots.models, id);
    if (existsSync(p.onnx) && existsSync(p.calibration)) return;
    const row = await this.row<{ files: StoredFile[] }>(id, 'upload');
    if (!row) throw new ZkaiError('UNKNOWN_MODEL', `the upload of model ${id} is neither here nor in the store of record`);
    await this.materialise(row.files);
  }

  async keepCompiled(id: string, log?: (msg: string) => void): Promise<Record<string, unknown>> {
    const kept = await this.row<CompiledRecord>(id, 'compiled');
    if (kept) return this.adopt(id, kept);
    const { loadCompiledModel } = await proverModules();
    // Loaded as this node will prove it: the circuit and the setup it picks are the ones to keep.
    const compiled = await loadCompiledModel(modelPaths(this.roots.models, id).compiled, log);
    // Never a record whose keys are not its manifest's (a backfilled folder whose setup this node since contributed to
    // alone, or made anew): every other node would refuse it.
    if (sha256Hex(canonicalJson(compiled.vkey)) !== compiled.manifest.vkeyHash)
      throw mismatch(
        `model ${id} here proves under another key than its manifest's ${compiled.manifest.vkeyHash.slice(0, 12)}…: not kept in the store of record`,
      );
    const record: CompiledRecord = {
      manifest: compiled.manifest as unknown as Record<string, unknown>,
      sourceName: compiled.model.hashName,
      setupDir: storedPath(this.roots, compiled.setup.dir),
      files: await this.putFiles(await compiledFiles(compiled)),
    };
    await this.pool.query(
      "INSERT INTO zkai_model_files (model_id, stage, record, circuit_id) VALUES ($1, 'compiled', $2, $3) ON CONFLICT (model_id, stage) DO NOTHING",
      [id, JSON.stringify(record), compiled.manifest.circuitId],
    );
    // Another node's compile of the same upload may have been kept in between: the first one kept is the model.
    return this.adopt(id, (await this.row<CompiledRecord>(id, 'compiled'))!);
  }

  async loadCompiled(id: string, log?: (msg: string) => void): Promise<CompiledModel> {
    const record = await this.row<CompiledRecord>(id, 'compiled');
    // Compiled before its node kept models in the store of record, and not backfilled yet: only its own folder has it.
    if (!record) return this.local.loadCompiled(id, log);
    await this.materialise(record.files, log);
    const loaded = await this.loadAsRecorded(id, record, log);
    // What is here must be the model of record: its manifest, and the statement key every bundle of it carries.
    if (canonicalJson(loaded.manifest) !== canonicalJson(record.manifest))
      throw mismatch(`models/${id}/compiled here holds another compile than the store of record's: remove it, and it is made again`);
    if (sha256Hex(canonicalJson(loaded.vkey)) !== loaded.manifest.vkeyHash)
      throw mismatch(`model ${id} here proves under another key than its manifest's ${loaded.manifest.vkeyHash.slice(0, 12)}…`);
    return loaded;
  }

  /** Which compile of record model `id` is now (sha256 of its row; undefined: none): it changes at a contribution. */
  async revision(id: string): Promise<string | undefined> {
    const r = (
      await this.pool.query<{ record: string }>("SELECT record FROM zkai_model_files WHERE model_id = $1 AND stage = 'compiled'", [id])
    ).rows[0];
    return r ? sha256Hex(r.record) : undefined;
  }

  /**
   * Keep in the store of record the models of this node's folder that it lacks (compiled before the store kept model
   * files): their upload and their compile, as keepUpload and keepCompiled do. Only models of the catalog (zkai_models)
   * are kept; a model already there is left as it is (idempotent: a second run, or another node's, writes nothing).
   */
  async backfill(log: (msg: string) => void = () => {}): Promise<string[]> {
    const ids = existsSync(this.roots.models) ? await readdir(this.roots.models) : [];
    const kept: string[] = [];
    for (const id of ids) {
      const p = modelPaths(this.roots.models, id);
      if (!existsSync(path.join(p.compiled, 'model.json'))) continue;
      const have = await this.pool.query<{ stage: string }>(
        "SELECT stage FROM zkai_model_files WHERE model_id = $1 UNION ALL SELECT 'catalog' FROM zkai_models WHERE id = $1",
        [id],
      );
      const stages = new Set(have.rows.map((r) => r.stage));
      if (!stages.has('catalog') || stages.has('compiled')) continue;
      try {
        // The compile first: a model whose compile cannot be kept leaves nothing behind.
        await this.keepCompiled(id, log);
        if (!stages.has('upload') && existsSync(p.onnx) && existsSync(p.calibration)) await this.keepUpload(id);
        kept.push(id);
        log(`model ${id}: kept in the store of record (compiled before it kept model files)`);
      } catch (err) {
        // One model that does not load (a folder left half-written) must not stop the others, or the node's start.
        log(`model ${id}: not kept in the store of record: ${(err as Error).message}`);
      }
    }
    return kept;
  }

  /** The model as its record names it: the compiling node's source name and the record's setup folder, not keys made here. */
  async loadAsRecorded(id: string, record: CompiledRecord, log?: (msg: string) => void): Promise<CompiledModel> {
    const { loadCompiledModel, loadSetup } = await proverModules();
    const setupDir = localPath(this.roots, record.setupDir);
    return loadCompiledModel(modelPaths(this.roots.models, id).compiled, log, {
      sourceName: record.sourceName,
      setupFor: async (circuit) => {
        if (path.resolve(path.dirname(setupDir)) !== path.resolve(circuit.dir))
          throw mismatch(`the store of record names setup ${record.setupDir} for model ${id}, not one of circuit ${circuit.id}`);
        return loadSetup(setupDir, JSON.parse(await readFile(path.join(setupDir, 'setup.json'), 'utf8')) as SetupMeta);
      },
    });
  }

  async manifestOfRecord(id: string): Promise<Record<string, unknown> | undefined> {
    return (await this.row<CompiledRecord>(id, 'compiled'))?.manifest;
  }

  async vkeyHashes(circuitId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ record: string }>(
      "SELECT record FROM zkai_model_files WHERE stage = 'compiled' AND circuit_id = $1",
      [circuitId],
    );
    return [...new Set(rows.map((r) => (JSON.parse(r.record) as CompiledRecord).manifest.vkeyHash as string))];
  }

  /** The kept compile as the manifest of record; this node's folder replaced by it when this node compiled another. */
  private async adopt(id: string, kept: CompiledRecord): Promise<Record<string, unknown>> {
    const dir = modelPaths(this.roots.models, id).compiled;
    const here = existsSync(path.join(dir, 'model.json')) ? JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) : undefined;
    if (here !== undefined && canonicalJson(here) !== canonicalJson(kept.manifest)) await rm(dir, { recursive: true, force: true });
    await this.materialise(kept.files);
    return kept.manifest;
  }

  private async row<T>(id: string, stage: 'upload' | 'compiled'): Promise<T | undefined> {
    const r = (
      await this.pool.query<{ record: string }>('SELECT record FROM zkai_model_files WHERE model_id = $1 AND stage = $2', [id, stage])
    ).rows[0];
    return r ? (JSON.parse(r.record) as T) : undefined;
  }

  /**
   * The listed files this node lacks or holds with other content, from their blobs, checked; each folder's marker file
   * last. Returns how many were replaced (stale copies: another node contributed to the model's setup).
   */
  async materialise(files: StoredFile[], log?: (msg: string) => void): Promise<number> {
    const isMarker = (f: StoredFile) => MARKERS.includes(path.posix.basename(f.path));
    const order = [...files.filter((f) => !isMarker(f)), ...MARKERS.flatMap((m) => files.filter((f) => path.posix.basename(f.path) === m))];
    let replaced = 0;
    for (const f of order) {
      const file = localPath(this.roots, f.path);
      const here = existsSync(file);
      if (here && (await this.contentSha256(file)) === f.sha256) continue;
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${uniqueSuffix()}.tmp`;
      await this.blobs.getFile(f, tmp);
      if (!here) await publishOnce(tmp, file);
      else {
        // Stale: rename(2) replaces it atomically (a proof that opened the old file keeps reading the old one).
        log?.(`${f.path} here is not the current one of record: replaced`);
        await rename(tmp, file);
        replaced++;
      }
    }
    return replaced;
  }

  /** The blobs no row references any more, found so for longer than `graceMs`, deleted (pg-blobs.ts collect). */
  async collectBlobs(graceMs: number): Promise<{ marked: number; deleted: string[] }> {
    return this.blobs.collect(MODEL_FILE_BLOBS, graceMs);
  }

  private async contentSha256(file: string): Promise<string> {
    const st = await stat(file, { bigint: true });
    const version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.hashed.get(file);
    if (hit?.version === version) return hit.sha256;
    const sha256 = await sha256File(file);
    if (this.hashed.size > 10_000) this.hashed.clear();
    this.hashed.set(file, { version, sha256 });
    return sha256;
  }

  /** Put `files` as blobs (idempotent) and return them as the store lists them. */
  async putFiles(files: string[]): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    for (const file of files) out.push({ path: storedPath(this.roots, file), ...(await this.blobs.putFile(file)) });
    return out;
  }
}

/** The files a compiled model proves with: its folder, its circuit's (those a build's cache hit reads), its setup's. */
export async function compiledFiles(m: CompiledModel): Promise<string[]> {
  const { setupFiles, COMMITMENT_KEY_FILE } = await proverModules();
  const meta = JSON.parse(await readFile(path.join(m.setup.dir, 'setup.json'), 'utf8')) as SetupMeta;
  const setup = setupFiles(m.setup.dir, meta);
  const key = path.join(m.setup.dir, COMMITMENT_KEY_FILE);
  // Every file compileModel wrote (model.json, quantized.json, opening.json): the folder is the model.
  const own = (await readdir(m.dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
    .map((e) => path.join(m.dir, e.name));
  return [
    ...own,
    m.model.circuit.r1csPath,
    m.model.circuit.wasmPath,
    path.join(m.model.circuit.dir, 'circuit.json'),
    setup.zkey,
    setup.vkey,
    ...(existsSync(setup.verifier) ? [setup.verifier] : []),
    ...(existsSync(key) ? [key] : []),
    ...(m.lookup ? [m.lookup.keyPath] : []),
    path.join(m.setup.dir, 'setup.json'),
  ];
}

/** Open the model files on `pool` (its tables made by the caller's DDL: BLOBS_DDL and MODEL_FILES_DDL). */
export function sharedModelFiles(pool: pg.Pool, roots: DataRoots): SharedModelFiles {
  return new SharedModelFiles(pool, new PgBlobStore(pool), roots);
}
