import { cacheDir } from '../common/config.ts';
import type { SharedDatasets } from './datasets.ts';
import { LocalModelFiles, type ModelFilesApi } from './model-files.ts';
import { ModelCatalog, type ModelCatalogApi } from './models.ts';
import { TenantStore, type TenantStoreApi } from './tenants.ts';

/** Tenants and keys, the model catalog, and (with PostgreSQL) the datasets every API node shares. */
export interface Catalogs {
  tenants: TenantStoreApi;
  models: ModelCatalogApi;
  /** The models' files: the node's own folders (SQLite), or also in PostgreSQL for every API node (model-files.ts). */
  modelFiles: ModelFilesApi;
  /** PostgreSQL only: an embedded store's datasets are its own folder's. */
  datasets?: SharedDatasets;
  /** Where they are, for logs (a PostgreSQL URL's password is the caller's to redact). */
  where: string;
  close(): Promise<void>;
}

/**
 * Open the catalogs where the job records are: the service's SQLite file (`storeFile`), or the PostgreSQL database
 * at `pgUrl` (ZKAI_DB), where every API node, `zkai admin` and (for datasets) every node's catalog share them. Model
 * folders are under `modelsDir` either way; with PostgreSQL their files are also kept there, with the circuits and keys
 * under `circuitsDir` they prove with (default the data directory's circuit cache), so that API nodes share no folder.
 * PostgreSQL's tables are made at the first connection (idempotent).
 */
export async function openCatalogs(opts: {
  storeFile: string;
  modelsDir: string;
  circuitsDir?: string;
  pgUrl?: string;
}): Promise<Catalogs> {
  if (!opts.pgUrl) {
    const tenants = new TenantStore(opts.storeFile);
    const models = new ModelCatalog(opts.modelsDir, opts.storeFile);
    return {
      tenants,
      models,
      modelFiles: new LocalModelFiles(opts.modelsDir),
      where: opts.storeFile,
      close: async () => {
        tenants.close();
        models.close();
      },
    };
  }
  // Loaded only here: a node on SQLite never needs the pg driver.
  const [
    { connectPg },
    { PgTenantStore, TENANTS_DDL },
    { PgModelCatalog, MODELS_DDL },
    { PgSharedDatasets, DATASETS_DDL },
    { BLOBS_DDL },
    { MODEL_FILES_DDL, sharedModelFiles },
  ] = await Promise.all([
    import('./pg-pool.ts'),
    import('./pg-tenants.ts'),
    import('./pg-models.ts'),
    import('./pg-datasets.ts'),
    import('./pg-blobs.ts'),
    import('./pg-model-files.ts'),
  ]);
  const ddl = [TENANTS_DDL, MODELS_DDL, DATASETS_DDL, BLOBS_DDL, MODEL_FILES_DDL].join(';\n');
  const pool = await connectPg(opts.pgUrl, 'tenant and catalog store', ddl);
  return {
    tenants: new PgTenantStore(pool),
    models: new PgModelCatalog(opts.modelsDir, pool),
    datasets: new PgSharedDatasets(pool),
    modelFiles: sharedModelFiles(pool, { models: opts.modelsDir, circuits: opts.circuitsDir ?? cacheDir('circuits') }),
    where: 'PostgreSQL',
    close: () => pool.end(),
  };
}
