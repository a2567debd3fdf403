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
import { OPENING_FILE } from '../prover/model-commitment.ts';
import type { CircuitSetup, SetupMeta } from '../prover/setup/groth16-setup.ts';
import { COMMITMENT_KEY_FILE } from '../prover/setup/index.ts';
import { type CircuitRoutes, fetchCircuitFiles, fetchedSetup, intoPlace } from './fetch-circuit.ts';
import { manifestHash } from './model-jobs.ts';
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
  const keyRoute = `/v1/worker/models/${id}/files/commitkey.json`;
  const fetched: FetchedModelOptions = {
    setupFor: (circuit) => modelSetup(source, listing, manifest, circuit, meta, { ...routes, key: keyRoute }, log),
    sourceName: listing.source.name,
  };

  const dir = modelPaths(modelsDir, id).compiled;
  if (existsSync(path.join(dir, 'model.json'))) {
    const local = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as unknown;
    if (manifestHash(local) !== want)
      throw new ZkaiError('BAD_INPUT', `this worker's ${dir} holds another manifest than the job's: remove it, and it is fetched again`);
    return loadCompiledModel(dir, log, fetched);
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
    const generated = generateCircom(qm, { name: manifest.name, weights: manifest.weights, input: manifest.input });
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
 * The API node's setup of a model's circuit (fetch-circuit.ts fetchedSetup) and, with Pedersen weights, its commitment
 * key: fetched with the keys into the same folder, or alone into a cached setup folder that lacks it (never made here:
 * a key this worker made would give another statement key). The key must pass its own checks and, with the setup's
 * verification key, give the statement key the manifest names.
 */
async function modelSetup(
  source: ArtifactSource,
  listing: WorkerModelListing,
  manifest: ModelManifest,
  circuit: Parameters<typeof fetchedSetup>[2],
  meta: SetupMeta,
  routes: CircuitRoutes & { key: string },
  log: (msg: string) => void,
): Promise<CircuitSetup> {
  const id = manifest.circuitId;
  const keyFile = listing.files['commitkey.json'];
  if (manifest.weights !== 'private-pedersen') {
    const setup = await fetchedSetup(source, listing.circuit as WorkerCircuitListing, circuit, meta, log, routes);
    if (setup.vkeyHash !== manifest.vkeyHash) throw mismatch(`the setup of ${id} is not the one the model's manifest names`);
    return setup;
  }
  if (!keyFile) throw mismatch(`the API node lists no commitment key for ${id}, whose weights are Pedersen-committed`);
  /** Download the key to `file` (must not exist), check it; removed again if it fails. */
  const fetchKey = async (file: string, setup: CircuitSetup) => {
    const got = await source.download(routes.key, file, keyFile.bytes);
    try {
      if (got.sha256 !== keyFile.sha256 || got.bytes !== keyFile.bytes)
        throw mismatch(`the commitment key of ${id} from ${source.origin} hashes to ${got.sha256}, not ${keyFile.sha256}`);
      let key: CommitmentKey;
      try {
        key = JSON.parse(await readFile(file, 'utf8')) as CommitmentKey;
        await checkCommitmentKey(setup.vkey, key);
      } catch (err) {
        throw mismatch(`the commitment key of ${id} from ${source.origin} is not a valid key for its setup: ${(err as Error).message}`);
      }
      if (sha256Hex(canonicalJson(statementVkey(setup.vkey, key))) !== manifest.vkeyHash)
        throw mismatch(`the commitment key of ${id} from ${source.origin} does not give the statement key the manifest names`);
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  };
  const setup = await fetchedSetup(source, listing.circuit as WorkerCircuitListing, circuit, meta, log, routes, (tmp, s) =>
    fetchKey(path.join(tmp, COMMITMENT_KEY_FILE), s),
  );
  const file = path.join(setup.dir, COMMITMENT_KEY_FILE);
  if (!existsSync(file)) {
    // A setup folder cached without the key (fetched for another model of the same circuit, say): add it, checked.
    const tmp = `${file}.${uniqueSuffix()}.fetch`;
    await fetchKey(tmp, setup);
    await publishOnce(tmp, file);
  }
  return setup;
}
