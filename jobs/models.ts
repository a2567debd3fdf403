/**
 * The models tenants upload: one row each in the store of record (`models` table of the service's SQLite, or
 * `zkai_models` in PostgreSQL with ZKAI_DB: pg-models.ts; id, tenant, name, the job that compiles it) and one folder
 * each under `<home>/models/<id>/`:
 *   upload/model.onnx, upload/calibration.csv   what was uploaded
 *   compiled/                                    the model directory compileModel writes (model.json, quantized.json)
 * A model's state is its compile job's state, and its manifest is that job's result. With PostgreSQL the folder's
 * files are also kept there, and any API node makes them again in its own folder (model-files.ts, pg-model-files.ts). When the job record is gone (another queue backend, an older store), the
 * compiled folder's model.json says the model is ready (manifestOnDisk): a compiled model never turns `failed`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { CodegenOptions } from '../circuits/model/codegen.ts';
import type { MaybeAsync } from './queue/types.ts';
import { openServiceDb } from './service-db.ts';

export interface ModelRecord {
  id: string;
  tenant: string;
  name: string;
  compileJobId: string;
  createdAt: string;
}

/** What a model-compile job stores as its request. */
export interface ModelCompileRequest {
  modelId: string;
  name: string;
  weights: CodegenOptions['weights'];
  input: CodegenOptions['input'];
  /** LogUp range checks (absent: off). */
  lookups?: 'logup';
}

/** What an inference job stores as its request (the input stays out of the API's job view). */
export interface InferenceRequest {
  modelId: string;
  input: number[];
  /** The address the proof is bound to (its `binding` signal: the model's on-chain registrant), 0x + 40 hex; none: 0. */
  owner?: string;
  /** sha256 of the model's manifest (model-jobs.ts manifestHash): what a worker that fetches the model checks it against. */
  manifestSha256?: string;
}

export interface ModelRow {
  id: string;
  tenant: string;
  name: string;
  compile_job: string;
  created_at: string;
}

export function modelFromRow(row: ModelRow): ModelRecord {
  return { id: row.id, tenant: row.tenant, name: row.name, compileJobId: row.compile_job, createdAt: row.created_at };
}

/** Where a model's files live, given the models folder (shared by the API node and the workers). */
export function modelPaths(modelsDir: string, id: string): { dir: string; onnx: string; calibration: string; compiled: string } {
  const dir = path.join(modelsDir, id);
  return {
    dir,
    onnx: path.join(dir, 'upload', 'model.onnx'),
    calibration: path.join(dir, 'upload', 'calibration.csv'),
    compiled: path.join(dir, 'compiled'),
  };
}

/**
 * The model catalog as the routes use it: the folders (ModelFolders) and the rows, which the SQLite ModelCatalog
 * answers synchronously and PostgreSQL's (pg-models.ts) with promises. Derived from ModelCatalog's signatures.
 */
export type ModelCatalogApi = Pick<ModelFolders, 'dir' | 'paths' | 'manifestOnDisk'> & {
  [K in 'add' | 'get' | 'list' | 'close']: MaybeAsync<ModelCatalog[K]>;
};

/** The model folders under `dir`, whichever store keeps the rows. */
export class ModelFolders {
  constructor(
    /** Folder of the model folders. */
    readonly dir: string,
  ) {}

  paths(id: string): ReturnType<typeof modelPaths> {
    return modelPaths(this.dir, id);
  }

  /**
   * A compiled model's manifest from its own folder (compiled/model.json, written last by compileModel), or undefined
   * while it has none. The model's files are its record: when its compile job is gone (a switch of queue backend
   * that does not carry old job records, a store restored from an older backup), the model is still ready.
   */
  manifestOnDisk(id: string): Record<string, unknown> | undefined {
    try {
      const manifest = JSON.parse(readFileSync(path.join(this.paths(id).compiled, 'model.json'), 'utf8')) as unknown;
      return manifest && typeof manifest === 'object' && typeof (manifest as { circuitId?: unknown }).circuitId === 'string'
        ? (manifest as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The model rows in the service's SQLite file. */
export class ModelCatalog extends ModelFolders {
  private readonly db: Database.Database;

  constructor(dir: string, dbFile: string) {
    super(dir);
    this.db = openServiceDb(dbFile);
    this.db.exec(`CREATE TABLE IF NOT EXISTS models (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      name TEXT NOT NULL,
      compile_job TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS models_tenant_created ON models (tenant, created_at);`);
  }

  add(record: ModelRecord): void {
    this.db
      .prepare('INSERT INTO models (id, tenant, name, compile_job, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(record.id, record.tenant, record.name, record.compileJobId, record.createdAt);
  }

  /** The model, if it exists and belongs to `tenant` (another tenant's model is as absent as an unknown one). */
  get(tenant: string, id: string): ModelRecord | undefined {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ? AND tenant = ?').get(id, tenant) as ModelRow | undefined;
    return row ? modelFromRow(row) : undefined;
  }

  /** `tenant`'s models, newest first. */
  list(tenant: string, limit = 100): ModelRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM models WHERE tenant = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(tenant, Math.min(limit, 1000)) as ModelRow[];
    return rows.map(modelFromRow);
  }

  close(): void {
    this.db.close();
  }
}
