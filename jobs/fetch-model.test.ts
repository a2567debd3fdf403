/**
 * Model inference on a worker without the models folder (docs/deploy.md, "Workers on other machines"): an API node
 * serves a compiled model (Pedersen-committed weights: the case with the most artifacts) over /v1/worker/models/…, and
 * a worker with an empty ZKAI_HOME fetches it, checks it against the manifest hash its job names, proves, and the
 * bundle verifies under the manifest's key. Each artifact changed on the way (a proxy flips what it forwards, or tells
 * a consistent lie: a file and its listed hash changed together) is refused with ARTIFACT_MISMATCH and nothing
 * unchecked is cached.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { httpArtifactSource } from '../client/worker-source.ts';
import { REPO_ROOT } from '../common/config.ts';
import { isZkaiError } from '../common/errors.ts';
import { sha256Hex } from '../common/hash.ts';
import { compileModel, type ModelManifest } from '../prover/inference.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';
import { fetchingModels } from './fetch-model.ts';
import { JobStore } from './jobs.ts';
import { inferenceJobHandler, manifestHash } from './model-jobs.ts';
import { ModelCatalog, modelPaths } from './models.ts';
import { tamperingProxy } from './test-proxy.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const TOKEN = 'm'.repeat(40);
const MODEL_ID = '00000000-0000-4000-8000-000000000018';
const LOOKUP_MODEL_ID = '00000000-0000-4000-8000-000000000017';
const INPUT = Array.from({ length: 64 }, (_, i) => i % 17);
const quiet = () => {};
const refused = (code: string, what?: RegExp) => (err: unknown) =>
  isZkaiError(err) && err.code === code && (!what || what.test(err.message));

const flipLastByte = (b: Buffer) => {
  const out = Buffer.from(b);
  out[out.length - 1]! ^= 1;
  return out;
};
const LISTING = /^\/v1\/worker\/models\/[^/]+$/;
/** Change the listing's JSON. */
type Listing = { manifest: Record<string, unknown>; opening: { blind: string }; files: Record<string, unknown> };
const inListing = (edit: (l: Listing) => void) => (b: Buffer) => {
  const listing = JSON.parse(b.toString()) as Listing;
  edit(listing);
  return Buffer.from(JSON.stringify(listing));
};

describe('workers fetch compiled models from the API node, checked against the manifest their job names', () => {
  let membership: MembershipCircuit;
  let app: FastifyInstance;
  let url: string;
  let apiDir: string;
  let manifest: ModelManifest;
  let want: string;
  let lookupManifest: ModelManifest;
  const homes: string[] = [];
  const homeBefore = process.env.ZKAI_HOME;

  before(async () => {
    membership = await prepareMembershipCircuit(2);
    apiDir = await mkdtemp(path.join(os.tmpdir(), 'zkai-fetch-model-api-'));
    const models = new ModelCatalog(path.join(apiDir, 'models'), ':memory:');
    // Compiled as a POST /v1/models job does, into the API node's models folder (circuit and keys in its cache).
    manifest = (
      await compileModel(path.join(FIXTURES, 'mlp_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
        outDir: modelPaths(models.dir, MODEL_ID).compiled,
        name: 'mlp-digits',
        weights: 'private-pedersen',
      })
    ).manifest;
    want = manifestHash(manifest);
    // The same model with LogUp lookups: a second key (lookupkey.json) and a statement key that names both.
    lookupManifest = (
      await compileModel(path.join(FIXTURES, 'mlp_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
        outDir: modelPaths(models.dir, LOOKUP_MODEL_ID).compiled,
        name: 'mlp-digits-logup',
        weights: 'private-pedersen',
        lookups: 'logup',
      })
    ).manifest;
    const store = new JobStore(':memory:');
    app = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(apiDir, 'datasets'),
      models,
      auth: { mode: 'off' },
      workerToken: TOKEN,
    });
    app.addHook('onClose', async () => {
      store.close();
      models.close();
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    process.env.ZKAI_HOME = homeBefore;
    await app?.close();
    await rm(apiDir, { recursive: true, force: true });
    for (const home of homes) await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** Run `work` as a worker whose ZKAI_HOME is a fresh empty folder (circuits resolve against ZKAI_HOME). */
  async function asEmptyWorker<T>(work: (home: string, modelsDir: string) => Promise<T>): Promise<T> {
    const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-fetch-model-worker-'));
    homes.push(home);
    process.env.ZKAI_HOME = home;
    try {
      return await work(home, path.join(home, 'models'));
    } finally {
      process.env.ZKAI_HOME = homeBefore;
    }
  }

  /** What the worker kept: files under its circuits folder, and whether the model folder exists (any entry of it). */
  async function kept(home: string): Promise<{ circuitFiles: string[]; modelEntries: string[] }> {
    const circuits = path.join(home, 'circuits');
    const modelDir = path.join(home, 'models', MODEL_ID);
    return {
      circuitFiles: existsSync(circuits) ? (await readdir(circuits, { recursive: true })).map(String) : [],
      modelEntries: existsSync(modelDir) ? (await readdir(modelDir)).map(String) : [],
    };
  }

  it('serves models only to the worker token', async () => {
    const route = `/v1/worker/models/${MODEL_ID}`;
    assert.equal((await fetch(`${url}${route}`)).status, 401);
    const ok = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    const other = await fetch(`${url}/v1/worker/models/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(other.status, 404);
  });

  it('an empty worker fetches the model, proves with it, and the bundle verifies under the manifest’s key', async () => {
    await asEmptyWorker(async (home, modelsDir) => {
      const pool = new ProverPool({ threads: 1 });
      try {
        const handler = inferenceJobHandler({
          pool,
          modelsDir,
          fetchModel: fetchingModels(httpArtifactSource(url, TOKEN), modelsDir, quiet),
        });
        const job = (request: Record<string, unknown>) =>
          ({ id: 'j1', kind: 'inference', request: { modelId: MODEL_ID, input: INPUT, ...request } }) as unknown as Parameters<
            typeof handler
          >[0];
        // A job queued before jobs named the manifest: nothing to check the model against, so not proved here.
        await assert.rejects(handler(job({})), refused('BAD_INPUT', /names no manifest hash/));
        // A job naming another manifest than the API node's (the model changed, or the answer was swapped).
        await assert.rejects(handler(job({ manifestSha256: 'a'.repeat(64) })), refused('ARTIFACT_MISMATCH', /not the one the job names/));
        const bundle = await handler(job({ manifestSha256: want }));
        const report = await verifyBundle(bundle, { expectedVkeyHash: manifest.vkeyHash });
        assert.equal(report.valid, true, JSON.stringify(report));
        const { circuitFiles, modelEntries } = await kept(home);
        assert.deepEqual(modelEntries, ['compiled']);
        assert.ok(circuitFiles.some((f) => f.startsWith(manifest.circuitId) && f.endsWith('commitkey.json')));
      } finally {
        await pool.close();
      }
    });
  });

  it('a model with lookups: the worker fetches both keys, checks the statement key they give, proves in two rounds', async () => {
    // The API node loads the model once under its own ZKAI_HOME (this test runs both sides in one process, and
    // asEmptyWorker switches ZKAI_HOME, which would move the API node's generated-source folder too).
    const listed = await fetch(`${url}/v1/worker/models/${LOOKUP_MODEL_ID}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(listed.status, 200, await listed.clone().text());
    assert.ok(((await listed.json()) as Listing).files['lookupkey.json'], 'the listing names the lookup key');
    await asEmptyWorker(async (home, modelsDir) => {
      const pool = new ProverPool({ threads: 1 });
      try {
        const handler = inferenceJobHandler({
          pool,
          modelsDir,
          fetchModel: fetchingModels(httpArtifactSource(url, TOKEN), modelsDir, quiet),
        });
        const job = {
          id: 'j2',
          kind: 'inference',
          request: { modelId: LOOKUP_MODEL_ID, input: INPUT, manifestSha256: manifestHash(lookupManifest) },
        } as unknown as Parameters<typeof handler>[0];
        const bundle = await handler(job);
        assert.ok(bundle.lookupCommitment, 'the bundle carries D');
        const report = await verifyBundle(bundle, { expectedVkeyHash: lookupManifest.vkeyHash });
        assert.equal(report.valid, true, JSON.stringify(report));
        assert.ok((await kept(home)).circuitFiles.some((f) => f.startsWith(lookupManifest.circuitId) && f.endsWith('lookupkey.json')));
      } finally {
        await pool.close();
      }
    });
    // The lookup key changed on the way, with its listed hash (a consistent lie): its κ history or the statement key
    // it gives is wrong, so nothing is kept.
    const proxy = await tamperingProxy(url, [[/\/files\/lookupkey\.json$/, flipLastByte]]);
    try {
      await asEmptyWorker(async (home, modelsDir) => {
        const load = fetchingModels(httpArtifactSource(proxy.url, TOKEN), modelsDir, quiet);
        await assert.rejects(load(LOOKUP_MODEL_ID, manifestHash(lookupManifest)), refused('ARTIFACT_MISMATCH', /lookup key .* hashes to/));
        assert.ok(!(await kept(home)).circuitFiles.some((f) => /lookupkey\.json$/.test(f)));
      });
    } finally {
      await proxy.close();
    }
  });

  for (const [what, changes, why] of [
    ['quantized.json', [[/\/files\/quantized\.json$/, flipLastByte]], /quantized\.json .* hashes to/],
    ['the r1cs', [[/\/files\/circuit\.r1cs$/, flipLastByte]], /circuit\.r1cs .* hashes to/],
    ['the witness calculator', [[/\/files\/circuit\.wasm$/, flipLastByte]], /circuit\.wasm .* hashes to/],
    ['the zkey', [[/\/zkeys\//, flipLastByte]], /zkey .* hashes to/],
    ['the commitment key', [[/\/files\/commitkey\.json$/, flipLastByte]], /commitment key .* hashes to/],
    ['the manifest', [[LISTING, inListing((l) => (l.manifest.name = 'other'))]], /not the one the job names/],
    ['the blind', [[LISTING, inListing((l) => (l.opening.blind = String(BigInt(l.opening.blind) + 1n)))]], /do not open the commitment/],
  ] as [string, [RegExp, (b: Buffer) => Buffer][], RegExp][]) {
    it(`refuses ${what} changed on the way, and caches nothing unchecked`, async () => {
      const proxy = await tamperingProxy(url, changes);
      try {
        await asEmptyWorker(async (home, modelsDir) => {
          const load = fetchingModels(httpArtifactSource(proxy.url, TOKEN), modelsDir, quiet);
          await assert.rejects(load(MODEL_ID, want), refused('ARTIFACT_MISMATCH', why));
          const { circuitFiles, modelEntries } = await kept(home);
          assert.deepEqual(modelEntries, [], `model folder: ${modelEntries.join(', ')}`);
          // The circuit and setup pass their own checks before they are kept; these changes fail them.
          if (what !== 'the blind' && what !== 'quantized.json' && what !== 'the manifest')
            assert.ok(!circuitFiles.some((f) => /(\.zkey|setup\.json|commitkey\.json)$/.test(f)), `cached: ${circuitFiles.join(', ')}`);
          if (what === 'the r1cs' || what === 'the witness calculator')
            assert.ok(!circuitFiles.some((f) => f.startsWith(manifest.circuitId)), `cached: ${circuitFiles.join(', ')}`);
        });
      } finally {
        await proxy.close();
      }
    });
  }

  it('refuses a consistent lie about the weights: quantized.json and its listed hash changed together', async () => {
    const original = Buffer.from(
      await (
        await fetch(`${url}/v1/worker/models/${MODEL_ID}/files/quantized.json`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).arrayBuffer(),
    );
    // One integer of the model moved by one (a weight, or a constant of the circuit: either is caught).
    const text = original.toString();
    const m = /"\$bigint":"(-?\d+)"/.exec(text)!;
    const changed = Buffer.from(`${text.slice(0, m.index)}"$bigint":"${BigInt(m[1]!) + 1n}"${text.slice(m.index + m[0].length)}`);
    const proxy = await tamperingProxy(url, [
      [/\/files\/quantized\.json$/, () => changed],
      [LISTING, inListing((l) => (l.files['quantized.json'] = { sha256: sha256Hex(changed), bytes: changed.length }))],
    ]);
    try {
      await asEmptyWorker(async (home, modelsDir) => {
        await assert.rejects(
          fetchingModels(httpArtifactSource(proxy.url, TOKEN), modelsDir, quiet)(MODEL_ID, want),
          refused('ARTIFACT_MISMATCH'),
        );
        assert.deepEqual((await kept(home)).modelEntries, []);
      });
    } finally {
      await proxy.close();
    }
  });
});
