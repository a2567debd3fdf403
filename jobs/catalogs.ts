import type { SharedDatasets } from './datasets.ts';
import { ModelCatalog, type ModelCatalogApi } from './models.ts';
import { TenantStore, type TenantStoreApi } from './tenants.ts';

/** Tenants and keys, the model catalog, and (with PostgreSQL) the datasets every API node shares. */
export interface Catalogs {
  tenants: TenantStoreApi;
  models: ModelCatalogApi;
  /** PostgreSQL only: an embedded store's datasets are its own folder's. */
  datasets?: SharedDatasets;
  /** Where they are, for logs (a PostgreSQL URL's password is the caller's to redact). */
  where: string;
  close(): Promise<void>;
}

/**
 * Open the catalogs where the job records are: the service's SQLite file (`storeFile`), or the PostgreSQL database
 * at `pgUrl` (ZKAI_DB), where every API node, `zkai admin` and (for datasets) every node's catalog share them. Model
 * folders stay under `modelsDir` either way. PostgreSQL's tables are made at the first connection (idempotent).
 */
export async function openCatalogs(opts: { storeFile: string; modelsDir: string; pgUrl?: string }): Promise<Catalogs> {
  if (!opts.pgUrl) {
    const tenants = new TenantStore(opts.storeFile);
    const models = new ModelCatalog(opts.modelsDir, opts.storeFile);
    return {
      tenants,
      models,
      where: opts.storeFile,
      close: async () => {
        tenants.close();
        models.close();
      },
    };
  }
  // Loaded only here: a node on SQLite never needs the pg driver.
  const [{ connectPg }, { PgTenantStore, TENANTS_DDL }, { PgModelCatalog, MODELS_DDL }, { PgSharedDatasets, DATASETS_DDL }] =
    await Promise.all([import('./pg-pool.ts'), import('./pg-tenants.ts'), import('./pg-models.ts'), import('./pg-datasets.ts')]);
  const pool = await connectPg(opts.pgUrl, 'tenant and catalog store', `${TENANTS_DDL};\n${MODELS_DDL};\n${DATASETS_DDL}`);
  return {
    tenants: new PgTenantStore(pool),
    models: new PgModelCatalog(opts.modelsDir, pool),
    datasets: new PgSharedDatasets(pool),
    where: 'PostgreSQL',
    close: () => pool.end(),
  };
}
