/**
 * A `zkai worker` without the models folder (ZKAI_API_URL): a compiled model it is asked to prove with and does not
 * have is fetched from the API node (GET /v1/worker/models/{id}, server/routes/worker-models.ts), checked, and cached in
 * its own ZKAI_HOME where a shared folder would have it (`models/<id>/compiled/`, `circuits/<id>/setup-…/`).
 *
 * The root of trust is the inference job itself: it names the sha256 of the model's manifest (the compile job's result,
 * hashed by the API node when it accepted the job, in the store of record the worker already trusts for its claims).
 * Everything else is checked against that manifest, by recomputing what can be recomputed:
 *   - quantized.json: its sha256 and size as listed; the circuit generated from it must have the manifest's circuit id
 *     (so the structure and every constant in it); its quantization and shapes must be the manifest's; its weights
 *     must open the manifest's weight commitment (Poseidon: recomputed; Pedersen: W recomputed from the weights, the
 *     blind and the commitment key, and commitmentId(W) compared).
 *   - r1cs, wasm, zkey: as for the membership circuit (fetch-circuit.ts): sha256, the r1cs header, the witness
 *     calculator loads, the verification key inside the zkey.
 *   - the commitment key: its own checks against the verification key (κ's history) and, with it, the statement key
 *     whose hash the manifest names (manifest.vkeyHash): the key every bundle of this model carries.
 * Any failure is ARTIFACT_MISMATCH and leaves no model folder (and no circuit or setup that did not pass its checks).
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { circuitIdentity } from '../circuits/build.ts';
import { generateCircom, generatedModelSpec } from '../circuits/model/codegen.ts';
import { weightCommitment } from '../circuits/model/commit.ts';
import type { QuantizedModel } from '../circuits/model/quantize.ts';
import type { ArtifactSource, WorkerCircuitListing, WorkerModelListing } from '../client/worker-source.ts';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import { publishOnce, uniqueSuffix } from '../common/fs.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type CommitmentKey, checkCommitmentKey, statementVkey } from '../prover/commitment.ts';
import { type CompiledModel, deserialise, type FetchedModelOptions, loadCompiledModel, type ModelManifest } from '../prover/inference.ts';
import { LOOKUP_KEY_FILE, lookupStatementKey } from '../prover/lookup/setup.ts';
import { OPENING_FILE } from '../prover/model-commitment.ts';
import type { CircuitSetup, SetupMeta } from '../prover/setup/groth16-setup.ts';
import { COMMITMENT_KEY_FILE } from '../prover/setup/index.ts';
import { type CircuitRoutes, fetchCircuitFiles, fetchedSetup, intoPlace, setAside } from './fetch-circuit.ts';
import { manifestHash, modelKeysChanged } from './model-jobs.ts';
import { modelPaths } from './models.ts';

const mismatch = (message: string) => new ZkaiError('ARTIFACT_MISMATCH', message);
const QUANTIZATION_KEYS = ['weightBits', 'activationBits', 'inputBits', 'inputFracBits', 'outputBits', 'outputFracBits'] as const;

/**
 * `load(modelId, manifestSha256)`: the compiled model, from this worker's ZKAI_HOME when it holds that manifest, else
 * fetched from `source` and checked (above). Concurrent calls for one model share a fetch.
 */
export function fetchingModels(
  source: ArtifactSource,
  modelsDir: string,
  log: (msg: string) => void,
): (modelId: string, manifestSha256: unknown) => Promise<CompiledModel> {
  const inFlight = new Map<string, Promise<CompiledModel>>();
  return (modelId, want) => {
    if (typeof want !== 'string' || !/^[0-9a-f]{64}$/.test(want))
      return Promise.reject(
        new ZkaiError(
          'BAD_INPUT',
          `the inference job names no manifest hash for model ${modelId} (it was queued by an older release): a worker without the ` +
            'models folder cannot check the model, so it does not prove it; ask for the proof again',
        ),
      );
    const key = `${modelId}:${want}`;
    let fetching = inFlight.get(key);
    if (!fetching) {
      fetching = fetchModel(source, modelsDir, modelId, want, log).finally(() => inFlight.delete(key));
      inFlight.set(key, fetching);
    }
    return fetching;
  };
}

/**
 * At each inference job's start on a worker that fetches models: the manifest the job names must still be the API
 * node's (the model of record's). A setup contribution after the job was accepted moved the model to new keys; the job
 * is refused (MODEL_KEYS_CHANGED) rather than proved under a key nobody trusts any more. One small request per job.
 */
export function currentModelCheck(source: ArtifactSource): (modelId: string, manifestSha256: unknown) => Promise<void> {
  return async (modelId, want) => {
    const { manifest } = await source.json<{ manifest: unknown }>(`/v1/worker/models/${modelId}/manifest`);
    if (manifestHash(manifest) !== want) throw modelKeysChanged(modelId, want, manifest);
  };
}

async function fetchModel(
  source: ArtifactSource,
  modelsDir: string,
  id: string,
  want: string,
  log: (msg: string) => void,
): Promise<CompiledModel> {
  const listing = await source.json<WorkerModelListing>(`/v1/worker/models/${id}`);
  const manifest = listing.manifest as unknown as ModelManifest;
  if (manifestHash(manifest) !== want)
    throw mismatch(`the API node's manifest of model ${id} is not the one the job names (sha256 ${want})`);
  const circuitListing = listing.circuit as WorkerCircuitListing;
  if (circuitListing.circuit.id !== manifest.circuitId)
    throw mismatch(`the API node lists circuit ${circuitListing.circuit.id} for model ${id}, whose manifest names ${manifest.circuitId}`);
  const meta = circuitListing.setup.meta as unknown as SetupMeta;
  const routes: CircuitRoutes = {
    file: (name) => `/v1/worker/models/${id}/files/${name}`,
    zkey: (sha256) => `/v1/worker/models/${id}/zkeys/${sha256}`,
  };
  const keyRoute = (name: string) => `/v1/worker/models/${id}/files/${name}`;
  const fetched: FetchedModelOptions = {
    setupFor: (circuit) => modelSetup(source, listing, manifest, circuit, meta, { ...routes, key: keyRoute }, log),
    sourceName: listing.source.name,
  };

  const dir = modelPaths(modelsDir, id).compiled;
  if (existsSync(path.join(dir, 'model.json'))) {
    const local = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as unknown;
    if (manifestHash(local) === want) return loadCompiledModel(dir, log, fetched);
    // The API node's manifest is the job's (checked above), this one is not: a manifest of keys a setup contribution
    // superseded. Set aside; the current one is fetched and checked in its place.
    log(`model ${id} here has a superseded manifest: fetching the current one`);
    await setAside(dir);
  }
  log(`fetching model ${id} (${manifest.name}, circuit ${manifest.circuitId}) from ${source.origin}`);
  await intoPlace(dir, async (tmp) => {
    const listed = listing.files['quantized.json'];
    const got = await source.download(`/v1/worker/models/${id}/files/quantized.json`, path.join(tmp, 'quantized.json'), listed.bytes);
    if (got.sha256 !== listed.sha256 || got.bytes !== listed.bytes)
      throw mismatch(`quantized.json of model ${id} from ${source.origin} hashes to ${got.sha256}, not ${listed.sha256}`);
    let qm: QuantizedModel;
    try {
      qm = deserialise(await readFile(path.join(tmp, 'quantized.json'), 'utf8'));
    } catch (err) {
      throw mismatch(`quantized.json of model ${id} from ${source.origin} is not a quantized model: ${(err as Error).message}`);
    }
    checkAgainstManifest(qm, manifest, id);
    await writeFile(path.join(tmp, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (manifest.weights === 'private-pedersen') {
      if (!listing.opening) throw mismatch(`the API node sends no blind for model ${id}, whose weights are Pedersen-committed`);
      // Only the blind: W and K are recomputed here from the weights, the blind and the checked key.
      await writeFile(path.join(tmp, OPENING_FILE), `${JSON.stringify({ blind: listing.opening.blind })}\n`);
    }
    // The circuit generated from these weights must be the manifest's; its files come from the API node if not cached.
    const generated = generateCircom(qm, {
      name: manifest.name,
      weights: manifest.weights,
      input: manifest.input,
      ...(manifest.lookups ? { lookups: manifest.lookups } : {}),
    });
    const { spec } = await generatedModelSpec(generated, manifest.name, listing.source.name);
    const identity = await circuitIdentity(spec);
    if (identity.id !== manifest.circuitId || identity.sourceHash !== circuitListing.circuit.sourceHash)
      throw mismatch(`quantized.json of model ${id} from ${source.origin} gives circuit ${identity.id}, not ${manifest.circuitId}`);
    if (!existsSync(path.join(identity.dir, 'circuit.json')))
      await fetchCircuitFiles(source, circuitListing, identity.dir, meta, log, routes);
    const loaded = await loadCompiledModel(tmp, log, fetched).catch((err: unknown) => {
      // A check of the loader (circuit id, counts, the commitment's opening) failed on what was fetched.
      if (isZkaiError(err) && err.code !== 'ARTIFACT_UNAVAILABLE' && err.code !== 'ARTIFACT_MISMATCH')
        throw mismatch(`model ${id} from ${source.origin}: ${err.message}`);
      throw err;
    });
    if (sha256Hex(canonicalJson(loaded.vkey)) !== manifest.vkeyHash)
      throw mismatch(`model ${id} from ${source.origin} proves under another key than its manifest's ${manifest.vkeyHash.slice(0, 12)}…`);
    if (manifest.weights === 'private-committed' && (await weightCommitment(qm)).toString() !== manifest.weightCommitment)
      throw mismatch(`the weights of model ${id} from ${source.origin} do not hash to the manifest's weight commitment`);
  });
  return loadCompiledModel(dir, log, fetched);
}

/** What quantized.json decides outside the circuit (how inputs are quantized, the shapes) must be what the manifest says. */
function checkAgainstManifest(qm: QuantizedModel, manifest: ModelManifest, id: string): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const q = manifest.quantization as unknown as Record<string, unknown>;
  const bad: string[] = QUANTIZATION_KEYS.filter((k) => !same(qm[k], q?.[k]));
  if (!same(qm.inputShape, manifest.inputShape) || !same(qm.outputShape, manifest.outputShape)) bad.push('shapes');
  if (bad.length) throw mismatch(`quantized.json of model ${id} differs from its manifest in ${bad.join(', ')}`);
}

/**
 * The API node's setup of a model's circuit (fetch-circuit.ts fetchedSetup) with the keys the model proves with: with
 * Pedersen weights the commitment key, with lookups the lookup key (prover/lookup/). They are fetched with the setup
 * into its folder, or alone into a cached setup folder that lacks them (never made here: a key this worker made would
 * give another statement key). Each must pass its own checks (checkCommitmentKey), and together, with the setup's
 * verification key, give exactly the statement key the manifest names, before any of them is put in place.
 */
async function modelSetup(
  source: ArtifactSource,
  listing: WorkerModelListing,
  manifest: ModelManifest,
  circuit: Parameters<typeof fetchedSetup>[2],
  meta: SetupMeta,
  routes: CircuitRoutes & { key: (name: string) => string },
  log: (msg: string) => void,
): Promise<CircuitSetup> {
  const id = manifest.circuitId;
  const pedersen = manifest.weights === 'private-pedersen';
  const wanted = [
    ...(pedersen ? [{ name: 'commitkey.json' as const, file: COMMITMENT_KEY_FILE, what: 'commitment key' }] : []),
    ...(manifest.lookups ? [{ name: 'lookupkey.json' as const, file: LOOKUP_KEY_FILE, what: 'lookup key' }] : []),
  ];
  if (wanted.length === 0) {
    const setup = await fetchedSetup(source, listing.circuit as WorkerCircuitListing, circuit, meta, log, routes);
    if (setup.vkeyHash !== manifest.vkeyHash) throw mismatch(`the setup of ${id} is not the one the model's manifest names`);
    return setup;
  }
  for (const k of wanted) if (!listing.files[k.name]) throw mismatch(`the API node lists no ${k.what} for ${id}, which needs one`);
  /** Download key `k` to `file` (must not exist) and check it alone; removed again if it fails. */
  const fetchKey = async (k: (typeof wanted)[number], file: string, setup: CircuitSetup): Promise<CommitmentKey> => {
    const listed = listing.files[k.name]!;
    const got = await source.download(routes.key(k.name), file, listed.bytes);
    try {
      if (got.sha256 !== listed.sha256 || got.bytes !== listed.bytes)
        throw mismatch(`the ${k.what} of ${id} from ${source.origin} hashes to ${got.sha256}, not ${listed.sha256}`);
      try {
        const key = JSON.parse(await readFile(file, 'utf8')) as CommitmentKey;
        await checkCommitmentKey(setup.vkey, key);
        return key;
      } catch (err) {
        throw mismatch(`the ${k.what} of ${id} from ${source.origin} is not a valid key for its setup: ${(err as Error).message}`);
      }
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  };
  /** Fetch the keys missing from `dir` (into `placeAt(k)`), then check them with those present; none kept on failure. */
  const fetchKeys = async (setup: CircuitSetup, dir: string, placeAt: (k: (typeof wanted)[number]) => string) => {
    const keys = new Map<string, CommitmentKey>();
    const fetchedFiles: string[] = [];
    try {
      for (const k of wanted) {
        const inPlace = path.join(dir, k.file);
        if (existsSync(inPlace)) keys.set(k.file, JSON.parse(await readFile(inPlace, 'utf8')) as CommitmentKey);
        else {
          const file = placeAt(k);
          keys.set(k.file, await fetchKey(k, file, setup));
          fetchedFiles.push(file);
        }
      }
      const stmt = modelStatementKey(setup.vkey, manifest, keys.get(COMMITMENT_KEY_FILE), keys.get(LOOKUP_KEY_FILE));
      if (sha256Hex(canonicalJson(stmt)) !== manifest.vkeyHash)
        throw mismatch(`the keys of ${id} from ${source.origin} do not give the statement key the manifest names`);
      return fetchedFiles;
    } catch (err) {
      for (const f of fetchedFiles) await rm(f, { force: true });
      throw err;
    }
  };
  const setup = await fetchedSetup(source, listing.circuit as WorkerCircuitListing, circuit, meta, log, routes, async (tmp, s) => {
    await fetchKeys(s, tmp, (k) => path.join(tmp, k.file));
  });
  if (wanted.some((k) => !existsSync(path.join(setup.dir, k.file)))) {
    // A setup folder cached without a key (fetched for another model of the same circuit, say): add it, checked.
    const suffix = uniqueSuffix();
    const placed = await fetchKeys(setup, setup.dir, (k) => path.join(setup.dir, `${k.file}.${suffix}.fetch`));
    for (const tmp of placed) await publishOnce(tmp, tmp.slice(0, -`.${suffix}.fetch`.length));
  }
  return setup;
}

/**
 * The statement key a model's bundles carry, from its setup's verification key and its keys: the committed-weights
 * key (statementVkey) or, with lookups, the LogUp key (α's place is the manifest's statement name `logupAlpha`,
 * mapped back to the circuit's signals, which are the statement's plus both keys' committed ones).
 */
function modelStatementKey(
  vkey: Record<string, unknown>,
  manifest: ModelManifest,
  weights: CommitmentKey | undefined,
  lookup: CommitmentKey | undefined,
): Record<string, unknown> {
  if (!lookup) return statementVkey(vkey, weights!);
  const hidden = new Set([...lookup.publicIndices, ...(weights?.publicIndices ?? [])]);
  const kept = Array.from({ length: vkey.nPublic as number }, (_, i) => i).filter((i) => !hidden.has(i));
  const alphaIndex = kept[manifest.publicSignals.indexOf('logupAlpha')] ?? -1;
  return lookupStatementKey(vkey, lookup, { committedIndices: lookup.publicIndices, alphaIndex }, weights);
}
