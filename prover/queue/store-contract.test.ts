// The store-of-record contract (store-contract.ts) on the embedded SQLite JobStore: two connections to one file, as
// an API node and a `zkai worker` on the same machine use it. A PostgreSQL store (issue 18 item 3) runs the same suite.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { JobStore } from '../jobs.ts';
import { describeStoreContract } from './store-contract.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-store-contract-'));
after(() => rm(dir, { recursive: true, force: true }));

describeStoreContract('SQLite (two connections to one file)', async () => new JobStore(path.join(dir, 'jobs.sqlite')));
