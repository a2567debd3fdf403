/**
 * Workers on other machines (docs/deploy.md): an API node's /v1/worker/… routes, and a worker with an empty ZKAI_HOME
 * that fetches the membership circuit, the proving key and a dataset from them. Every check is attacked: artifacts
 * changed on the way (a proxy between worker and API node flips what it forwards) are refused with ARTIFACT_MISMATCH
 * and nothing is cached; the routes answer only the worker token.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type ArtifactSource, httpArtifactSource } from '../client/worker-source.ts';
import { isZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import type { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';
import { records } from '../test/procs.ts';
import { DatasetCatalog } from './datasets.ts';
import { fetchedMembershipCircuit } from './fetch-circuit.ts';
import { fetchingDatasets } from './fetch-dataset.ts';
import { JobStore } from './jobs.ts';
import { membershipJobHandler } from './membership-job.ts';
import { tamperingProxy } from './test-proxy.ts';

const DEPTH = 2;
const TOKEN = 'w'.repeat(40);
const quiet = () => {};
const refused = (code: string, what?: RegExp) => (err: unknown) =>
  isZkaiError(err) && err.code === code && (!what || what.test(err.message));

describe('workers fetch circuits, keys and datasets from the API node by content hash', () => {
  let membership: MembershipCircuit;
  let app: FastifyInstance;
  let url: string;
  let apiDir: string;
  let workerHome: string;
  let root: string;
  const homeBefore = process.env.ZKAI_HOME;

  before(async () => {
    membership = await prepareMembershipCircuit(DEPTH);
    apiDir = await mkdtemp(path.join(os.tmpdir(), 'zkai-fetch-api-'));
    const datasetsDir = path.join(apiDir, 'datasets');
    root = (
      await new DatasetCatalog(datasetsDir).commit(
        records(3).map((r) => ({ ...r, weight: BigInt(r.weight) })),
        { depth: DEPTH },
      )
    ).manifest.rootHex;
    const store = new JobStore(':memory:');
    app = await buildApp({ store, runner: { pump() {} }, membership, datasetsDir, auth: { mode: 'off' }, workerToken: TOKEN });
    app.addHook('onClose', async () => store.close());
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    process.env.ZKAI_HOME = homeBefore;
    await app?.close();
    await rm(apiDir, { recursive: true, force: true });
    if (workerHome) await rm(workerHome, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** Run `work` as a worker whose ZKAI_HOME is a fresh empty folder (circuits resolve against ZKAI_HOME). */
  async function asEmptyWorker<T>(work: (home: string) => Promise<T>): Promise<T> {
    if (workerHome) await rm(workerHome, { recursive: true, force: true });
    workerHome = await mkdtemp(path.join(os.tmpdir(), 'zkai-fetch-worker-'));
    process.env.ZKAI_HOME = workerHome;
    try {
      return await work(workerHome);
    } finally {
      process.env.ZKAI_HOME = homeBefore;
    }
  }

  it('answers only the worker token: not none, not a wrong one', async () => {
    const route = `/v1/worker/circuits/${membership.circuit.id}`;
    assert.equal((await fetch(`${url}${route}`)).status, 401);
    const wrong = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${'x'.repeat(40)}` } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const ok = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    const other = await fetch(`${url}/v1/worker/circuits/membership-d2-000000000000`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(other.status, 404);
    const zkey = await fetch(`${url}/v1/worker/zkeys/${'0'.repeat(64)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(zkey.status, 404);
  });

  it('an empty worker fetches the circuit and the API node’s key, then finds them in its cache', async () => {
    await asEmptyWorker(async (home) => {
      let downloads = 0;
      const inner = httpArtifactSource(url, TOKEN);
      const counting: ArtifactSource = {
        ...inner,
        download: (...a) => {
          downloads++;
          return inner.download(...a);
        },
      };
      const got = await fetchedMembershipCircuit(counting, DEPTH, quiet);
      assert.equal(got.circuit.id, membership.circuit.id);
      assert.equal(got.setup.vkeyHash, membership.setup.vkeyHash);
      assert.ok(got.circuit.dir.startsWith(home) && got.setup.zkeyPath.startsWith(home));
      assert.equal(downloads, 3); // r1cs, wasm, zkey
      const again = await fetchedMembershipCircuit(counting, DEPTH, quiet);
      assert.equal(again.setup.zkeyPath, got.setup.zkeyPath);
      assert.equal(downloads, 3);
    });
  });

  const flipLastByte = (b: Buffer) => {
    const out = Buffer.from(b);
    out[out.length - 1]! ^= 1;
    return out;
  };

  for (const [what, match] of [
    ['the zkey', /^\/v1\/worker\/zkeys\//],
    ['the witness calculator', /\/files\/circuit\.wasm$/],
    ['the r1cs', /\/files\/circuit\.r1cs$/],
  ] as const) {
    it(`refuses ${what} changed on the way, and caches nothing`, async () => {
      const proxy = await tamperingProxy(url, [[match, flipLastByte]]);
      try {
        await asEmptyWorker(async (home) => {
          await assert.rejects(fetchedMembershipCircuit(httpArtifactSource(proxy.url, TOKEN), DEPTH, quiet), refused('ARTIFACT_MISMATCH'));
          const circuits = path.join(home, 'circuits');
          const left = existsSync(circuits) ? await readdir(circuits, { recursive: true }) : [];
          assert.ok(!left.some((f) => f.endsWith('.zkey') || f.endsWith('setup.json')), `cached: ${left.join(', ')}`);
          if (what !== 'the zkey') assert.deepEqual(left, []);
        });
      } finally {
        await proxy.close();
      }
    });
  }

  it('refuses a verification key swapped in the listing: the zkey must hold the key the API node verifies with', async () => {
    // A consistent lie: another vkey and its own hash. Only the vkey inside the (genuine) zkey shows it.
    const proxy = await tamperingProxy(url, [
      [
        /^\/v1\/worker\/circuits\/[^/]+$/,
        (b) => {
          const listing = JSON.parse(b.toString()) as { setup: { vkey: Record<string, unknown>; vkeyHash: string } };
          listing.setup.vkey = { ...listing.setup.vkey, nPublic: 99 };
          listing.setup.vkeyHash = sha256Hex(canonicalJson(listing.setup.vkey));
          return Buffer.from(JSON.stringify(listing));
        },
      ],
    ]);
    try {
      await asEmptyWorker(async () => {
        await assert.rejects(
          fetchedMembershipCircuit(httpArtifactSource(proxy.url, TOKEN), DEPTH, quiet),
          refused('ARTIFACT_MISMATCH', /does not hold the verification key/),
        );
      });
    } finally {
      await proxy.close();
    }
  });

  it('fetches a dataset by its root and rebuilds the same tree', async () => {
    await asEmptyWorker(async (home) => {
      const catalog = new DatasetCatalog(path.join(home, 'datasets'));
      await fetchingDatasets(httpArtifactSource(url, TOKEN), catalog, quiet)(root);
      const dataset = await catalog.get(root);
      assert.equal(dataset.manifest.rootHex, root);
      assert.equal(dataset.records.length, 3);
    });
  });

  it('a job whose dataset comes back changed fails with ARTIFACT_MISMATCH, and the dataset is not kept', async () => {
    // Valid records, one weight changed: they commit to another root.
    const proxy = await tamperingProxy(url, [[/\/records$/, (b) => Buffer.from(b.toString().replace('"weight":"1"', '"weight":"7"'))]]);
    try {
      await asEmptyWorker(async (home) => {
        const datasetsDir = path.join(home, 'datasets');
        const catalog = new DatasetCatalog(datasetsDir);
        const handler = membershipJobHandler({
          pool: {} as ProverPool, // never reached: the dataset is refused first
          membership,
          datasetsDir,
          ensureDataset: fetchingDatasets(httpArtifactSource(proxy.url, TOKEN), catalog, quiet),
        });
        const job = { id: 'j1', kind: 'membership', request: { root, recordId: 'r1', epoch: '1' } } as unknown as Parameters<
          typeof handler
        >[0];
        await assert.rejects(handler(job), refused('ARTIFACT_MISMATCH', /commit to root/));
        const kept = (await readdir(datasetsDir)).filter((d) => d.startsWith('0x'));
        assert.deepEqual(kept, []);
      });
    } finally {
      await proxy.close();
    }
  });
});
