/**
 * Background dataset commits (issue 16: a 300,000-record HTTP commit was one 73-second request): POST /v1/datasets
 * with `async: true` answers 202 with a dataset-commit job at once; the job reports its progress (leaves, then tree),
 * and once done links to the dataset, which the tenant owns. Refused where this node does not run such jobs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { datasetCommitJobHandler } from '../jobs/dataset-commit-job.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const RECORDS = Array.from({ length: 9 }, (_, i) => ({ id: `r${i}`, contributor: addr(i + 1), contentHash: hash(i + 1), weight: i + 1 }));

describe('POST /v1/datasets with async', () => {
  let tmp: string;
  let store: JobStore;
  let tenants: TenantStore;
  let runner: JobRunner;
  let app: FastifyInstance;
  let key: string;
  const phases: string[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-async-commit-'));
    const dbFile = path.join(tmp, 'jobs.sqlite');
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    const datasetsDir = path.join(tmp, 'datasets');
    const commit = datasetCommitJobHandler({ datasetsDir, claim: (t, r, s) => tenants.claimDataset(t, r, s).claim });
    runner = new JobRunner(store, {
      'dataset-commit': (job, ctx) =>
        commit(job, {
          ...ctx,
          progress: (u) => {
            phases.push(`${u.phase} ${u.percent}`);
            ctx?.progress(u);
          },
        }),
    });
    runner.start();
    const membership = await prepareMembershipCircuit(4);
    app = await buildApp({
      store,
      runner,
      membership,
      datasetsDir,
      auth: { mode: 'keys', keys: tenants },
      tenants,
      asyncCommits: true,
    });
    key = tenants.createKey('acme').key;
  });
  after(async () => {
    await app?.close();
    await runner?.stop();
    store?.close();
    tenants?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  const headers = () => ({ authorization: `Bearer ${key}` });

  test('202 with a job at once; the job reports leaves then tree, and links to the dataset the tenant owns', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/datasets', headers: headers(), payload: { records: RECORDS, async: true } });
    assert.equal(res.statusCode, 202, res.body);
    const { jobId, links } = res.json();
    assert.equal(res.headers.location, links.job);
    // Polled until it ends (a condition, with a generous bound: not a timing assertion).
    let job: { state: string; kind: string; links: { dataset?: string } };
    for (let i = 0; ; i++) {
      job = (await app.inject({ method: 'GET', url: links.job, headers: headers() })).json();
      if ((job.state !== 'queued' && job.state !== 'running') || i > 600) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.kind, 'dataset-commit');
    assert.ok(phases.includes('leaves 50') && phases.includes('tree 100'), phases.join(', '));
    assert.ok(phases.indexOf('leaves 50') < phases.indexOf('tree 100'));
    // The same root as a synchronous commit of the same records, and the tenant owns it.
    const sync = await app.inject({ method: 'POST', url: '/v1/datasets', headers: headers(), payload: { records: RECORDS } });
    assert.equal(sync.statusCode, 200, 'already committed by the job, for this tenant');
    assert.equal(job.links.dataset, `/v1/datasets/${sync.json().rootHex}`);
    const manifest = await app.inject({ method: 'GET', url: job.links.dataset!, headers: headers() });
    assert.equal(manifest.statusCode, 200);
    assert.equal(manifest.json().leafCount, RECORDS.length);
    // The upload is gone once committed; a commit job makes no bundle.
    assert.deepEqual(readdirSync(path.join(tmp, 'datasets', '.uploads')), []);
    const bundle = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/bundle`, headers: headers() });
    assert.equal(bundle.statusCode, 404);
  });

  test('bad records are refused at once (400), before any job; where the node runs no commit jobs, async is refused', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: headers(),
      payload: { records: [{ ...RECORDS[0], weight: '0' }], async: true },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'BAD_DATASET');
    const other = await buildApp({
      store,
      runner: { pump() {} },
      membership: await prepareMembershipCircuit(4),
      datasetsDir: path.join(tmp, 'other'),
      auth: { mode: 'off' },
    });
    try {
      const res = await other.inject({ method: 'POST', url: '/v1/datasets', payload: { records: RECORDS, async: true } });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().error.message, /cannot run background commits/);
      assert.ok(!existsSync(path.join(tmp, 'other', '.uploads')));
    } finally {
      await other.close();
    }
  });
});
