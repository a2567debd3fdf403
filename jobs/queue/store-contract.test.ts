// The store-of-record contract (store-contract.ts) on the embedded SQLite JobStore: two connections to one file, as
// an API node and a `zkai worker` on the same machine use it; and on PostgreSQL (jobs/pg-store.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { requireOrSkip } from '../../test/require-dep.ts';
import { JobStore } from '../jobs.ts';
import { PgJobStore } from '../pg-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { hasPostgres, startTestPostgres, type TestPostgres } from './test-postgres.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-store-contract-'));
after(() => rm(dir, { recursive: true, force: true }));

describeStoreContract('SQLite (two connections to one file)', async () => new JobStore(path.join(dir, 'jobs.sqlite')));

// PostgreSQL (ZKAI_DB=postgres://…): a throwaway cluster, started by the first connection; each connection a pool.
let cluster: Promise<TestPostgres> | undefined;
describeStoreContract(
  'PostgreSQL',
  async () => {
    cluster ??= startTestPostgres();
    return PgJobStore.connect((await cluster).url);
  },
  { skip: requireOrSkip(hasPostgres(), 'PostgreSQL (initdb, pg_ctl)'), teardown: async () => (await cluster)?.stop() },
);
