/**
 * A `zkai worker` without the API node's data directory (ZKAI_API_URL): the membership circuit's files and the API
 * node's proving key, fetched once, checked, and cached in the worker's own ZKAI_HOME exactly where a shared directory
 * would have them (`circuits/<id>/`, `circuits/<id>/setup-<ptau>/`), so the next start finds them there. docs/deploy.md
 * ("Workers on other machines") lists the checks; each one refuses with ARTIFACT_MISMATCH and writes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { type BuiltCircuit, circuitIdentity, loadCircuit } from '../circuits/build.ts';
import { membershipCircuitSpec } from '../circuits/membership.ts';
import { readR1csHeader } from '../circuits/r1cs.ts';
import { assertWitnessCalculatorLoadable } from '../circuits/wasm-check.ts';
import type { ArtifactSource, WorkerCircuitListing } from '../client/worker-source.ts';
import { ZkaiError } from '../common/errors.ts';
import { uniqueSuffix } from '../common/fs.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import type { MembershipCircuit } from '../prover/membership.ts';
import { type CircuitSetup, loadSetup, type SetupMeta, setupFiles } from '../prover/setup/groth16-setup.ts';

const mismatch = (message: string) => new ZkaiError('ARTIFACT_MISMATCH', message);

/** Where a circuit's files and its zkey are fetched from: the membership circuit's routes, or a model's (fetch-model.ts). */
export interface CircuitRoutes {
  file(name: 'circuit.r1cs' | 'circuit.wasm'): string;
  zkey(sha256: string): string;
}

const membershipRoutes = (id: string): CircuitRoutes => ({
  file: (name) => `/v1/worker/circuits/${id}/files/${name}`,
  zkey: (sha256) => `/v1/worker/zkeys/${sha256}`,
});

/**
 * The membership circuit of `depth` and the API node's keys for it: from this worker's ZKAI_HOME when there, else
 * fetched from `source`. The circuit id is computed here from this worker's own sources, so the API node cannot hand
 * it another circuit under the same id; the keys are the ones the API node verifies with.
 */
export async function fetchedMembershipCircuit(
  source: ArtifactSource,
  depth: number,
  log: (msg: string) => void,
): Promise<MembershipCircuit> {
  const identity = await circuitIdentity(membershipCircuitSpec(depth));
  const listing = await source.json<WorkerCircuitListing>(`/v1/worker/circuits/${identity.id}`).catch((err) => {
    if ((err as ZkaiError).code === 'ARTIFACT_UNAVAILABLE' && (err as ZkaiError).details?.status === 404)
      throw new ZkaiError(
        'ARTIFACT_UNAVAILABLE',
        `the API node ${source.origin} does not serve circuit ${identity.id}: it runs another release or another ZKAI_TREE_DEPTH`,
      );
    throw err;
  });
  if (listing.circuit.id !== identity.id || listing.circuit.sourceHash !== identity.sourceHash)
    throw mismatch(`the API node's record of circuit ${identity.id} names other sources (${String(listing.circuit.sourceHash)})`);
  const meta = listing.setup.meta as unknown as SetupMeta;
  const circuit = existsSync(path.join(identity.dir, 'circuit.json'))
    ? await loadCircuit(identity.id)
    : await fetchCircuitFiles(source, listing, identity.dir, meta, log, membershipRoutes(identity.id));
  const setup = await fetchedSetup(source, listing, circuit, meta, log, membershipRoutes(identity.id));
  return { depth, circuit, setup };
}

/**
 * r1cs and wasm into `dir`: each must hash to the sha256 the listing gives (the r1cs also to setup.json's r1csSha256).
 * The caller has computed the circuit's id from its own sources and checked the listing names it.
 */
export async function fetchCircuitFiles(
  source: ArtifactSource,
  listing: WorkerCircuitListing,
  dir: string,
  meta: SetupMeta,
  log: (msg: string) => void,
  routes: CircuitRoutes,
): Promise<BuiltCircuit> {
  const id = listing.circuit.id;
  if (listing.files['circuit.r1cs'].sha256 !== meta.r1csSha256)
    throw mismatch(`the API node lists an r1cs for ${id} that is not the one its setup was made from`);
  log(`fetching circuit ${id} from ${source.origin}`);
  return intoPlace(dir, async (tmp) => {
    for (const name of ['circuit.r1cs', 'circuit.wasm'] as const) {
      const want = listing.files[name];
      const got = await source.download(routes.file(name), path.join(tmp, name), want.bytes);
      if (got.sha256 !== want.sha256 || got.bytes !== want.bytes)
        throw mismatch(`${name} of circuit ${id} from ${source.origin} hashes to ${got.sha256}, not ${want.sha256}`);
    }
    // The header must be the circuit the record describes, and the witness calculator must load (as at compile).
    const header = await readR1csHeader(path.join(tmp, 'circuit.r1cs'));
    const c = listing.circuit as Record<string, unknown>;
    if (header.nConstraints !== c.nConstraints || header.nWires !== c.nWires || header.nPubOut + header.nPubIn !== c.nPublic)
      throw mismatch(`the r1cs of ${id} does not have the constraints, wires and public signals its record says`);
    await assertWitnessCalculatorLoadable(await readFile(path.join(tmp, 'circuit.wasm')), `circuit ${id}`);
    const record = { ...listing.circuit, wasmSha256: listing.files['circuit.wasm'].sha256, fetchedFrom: source.origin };
    await writeFile(path.join(tmp, 'circuit.json'), `${JSON.stringify(record, null, 2)}\n`);
  }).then(() => loadCircuit(id));
}

/**
 * The API node's setup of `circuit`: this worker's copy when it has the same verification key, else fetched. The zkey
 * must hash to setup.json's zkeySha256 (the id it is fetched by), and the verification key inside it must be the one
 * the API node verifies with: a proof from any other key would be refused there.
 */
export async function fetchedSetup(
  source: ArtifactSource,
  listing: WorkerCircuitListing,
  circuit: BuiltCircuit,
  meta: SetupMeta,
  log: (msg: string) => void,
  routes: CircuitRoutes,
  /** More of the setup folder to fetch and check with the keys (a model's commitment key), before it is put in place. */
  alsoFetch?: (tmp: string, setup: CircuitSetup) => Promise<void>,
): Promise<CircuitSetup> {
  const { vkey, vkeyHash, zkey } = listing.setup;
  if (sha256Hex(canonicalJson(vkey)) !== vkeyHash)
    throw mismatch(`the API node's verification key for ${circuit.id} does not hash to ${vkeyHash}`);
  if (zkey.sha256 !== meta.zkeySha256) throw mismatch(`the API node lists a zkey for ${circuit.id} that its setup.json does not name`);
  const dir = path.join(circuit.dir, path.basename(listing.setup.dir));
  if (existsSync(path.join(dir, 'setup.json'))) {
    const local = await loadSetup(dir, JSON.parse(await readFile(path.join(dir, 'setup.json'), 'utf8')) as SetupMeta);
    if (local.vkeyHash === vkeyHash) return local;
    // Keys the API node no longer proves with (a setup contribution moved them on, docs/deploy.md): set aside, and the
    // API node's fetched in their place. A proof that loaded the old zkey keeps its bytes; none starts with them again.
    log(`${dir} holds keys (vkey ${local.vkeyHash.slice(0, 12)}…) the API node no longer uses (${vkeyHash.slice(0, 12)}…): replacing them`);
    await setAside(dir);
  }
  log(`fetching the proving key of ${circuit.id} (${zkey.bytes} bytes, sha256 ${zkey.sha256.slice(0, 12)}…) from ${source.origin}`);
  await intoPlace(dir, async (tmp) => {
    const files = setupFiles(tmp, meta);
    const got = await source.download(routes.zkey(zkey.sha256), files.zkey, zkey.bytes);
    if (got.sha256 !== zkey.sha256 || got.bytes !== zkey.bytes)
      throw mismatch(`the zkey of ${circuit.id} from ${source.origin} hashes to ${got.sha256}, not ${zkey.sha256}`);
    const inside = (await snarkjs.zKey.exportVerificationKey(files.zkey)) as Record<string, unknown>;
    if (sha256Hex(canonicalJson(inside)) !== vkeyHash)
      throw mismatch(`the zkey of ${circuit.id} from ${source.origin} does not hold the verification key ${vkeyHash.slice(0, 12)}…`);
    await writeFile(files.vkey, `${JSON.stringify(vkey, null, 2)}\n`);
    await writeFile(path.join(tmp, 'setup.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await alsoFetch?.(tmp, await loadSetup(tmp, meta));
  });
  return loadSetup(dir, meta);
}

/** Move a stale folder out of the way (renamed first, so readers never see it half removed), then remove it. */
export async function setAside(dir: string): Promise<void> {
  const aside = `${dir}.stale-${uniqueSuffix()}`;
  try {
    await rename(dir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another job set it aside first
    return;
  }
  await rm(aside, { recursive: true, force: true });
}

/** Fill a private temporary folder and rename it to `dir`: readers never see half a fetch; a failed one leaves nothing. */
export async function intoPlace(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.fetch-${uniqueSuffix()}`;
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another worker on this directory finished the same fetch first: the same content.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
