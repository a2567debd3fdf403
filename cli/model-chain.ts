/**
 * The on-chain model commands: the provider deploys the registry and attestor, registers a compiled model (its
 * verifier and weight commitment) and attests inferences; the auditor checks a proof bundle against what the chain
 * holds, read-only, with no key.
 *
 *   zkai model deploy   --rpc <url>
 *   zkai model register <dir> --rpc <url> --registry <addr> [--dataset-root <decimal>]
 *   zkai model attest   <proof.json> --rpc <url> --attestor <addr> --model <modelId>
 *   zkai model audit    <proof.json> --rpc <url> --attestor <addr> --model <modelId> [--require-attested] [--vkey-hash <sha256>]
 *
 * Transactions are signed with the private key in ZKAI_CHAIN_KEY; on a local chain (127.0.0.1 / localhost) without
 * it, the dev chain's account 0, a key everybody knows. The key is never printed.
 *
 * Proofs are bound to the address that registers the model (the circuit's `binding` signal, checked by
 * InferenceAttestor): `zkai model prove --owner <address>` (default: ZKAI_CHAIN_KEY's address), see model-binding.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Contract, getAddress, isAddress, JsonRpcProvider, Network, type Signer, Wallet } from 'ethers';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import type { ProofBundle } from '../prover/bundle.ts';
import { commitmentId, g1Evm } from '../prover/commitment.ts';
import type { CompiledModel } from '../prover/inference.ts';
import { verifyBundle } from '../prover/verify.ts';
import { BN254_R } from '../prover/verify-noble.ts';
import { devAccountKeys, rpcChainId } from '../verifier-contracts/chain.ts';
import { installCommittedVerifier } from '../verifier-contracts/committed-verifier.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installGeneratedVerifier } from '../verifier-contracts/generated.ts';
import {
  type AttestationRecord,
  attestationIdOf,
  attestInference,
  circuitIdHash,
  committedAttestSignals,
  deployInference,
  fromFieldSignal,
  getAttestation,
  getCommitmentPoint,
  getModel,
  inferenceAttestorAt,
  type ModelRecord,
  modelRegistryAt,
  registerCommittedModel,
  registerModel,
} from '../verifier-contracts/models.ts';
import { call } from '../verifier-contracts/tx.ts';
import { toSolidityCalldata } from '../verifier-contracts/vault.ts';
import { pinnedKeys, readBundleFile } from './bundle-file.ts';
import { bindingCheck } from './model-binding.ts';
import { checkVerifierCode } from './verifier-code.ts';

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const json = (value: unknown) => console.log(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', message);
}

/** True for an RPC URL on this machine, the only place the public dev key may be used by default. */
function isLocalRpc(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function parseRpc(value: string | undefined): URL {
  if (!value) bad('--rpc <url> is required (e.g. http://127.0.0.1:8545)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    bad(`--rpc ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`--rpc must be an http(s) URL, got ${url.protocol}`);
  return url;
}

function parseAddress(value: string | undefined, option: string): string {
  if (!value) bad(`--${option} <address> is required`);
  if (!isAddress(value)) bad(`--${option} ${JSON.stringify(value)} is not an Ethereum address`);
  return getAddress(value);
}

function parseModelId(value: string | undefined): string {
  if (!value) bad('--model <modelId> is required (the bytes32 id `zkai model register` printed)');
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) bad(`--model ${JSON.stringify(value)} is not a bytes32 id (0x + 64 hex digits)`);
  return value.toLowerCase();
}

/**
 * A provider for `url`. The chain id is asked once, here, with a timeout: an ethers provider left to detect the
 * network on its own retries forever when nothing answers, and a CLI should fail instead.
 */
async function connect(url: URL): Promise<JsonRpcProvider> {
  let chainId: bigint;
  try {
    chainId = await rpcChainId(url, 10_000);
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `no chain answers at ${url.origin}: ${(err as Error).message}`);
  }
  // No request cache: ethers would otherwise reuse an identical request's answer for 250 ms (same nonce twice).
  return new JsonRpcProvider(url.toString(), Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: isLocalRpc(url) ? 100 : 2000,
  });
}

/**
 * The signing key: ZKAI_CHAIN_KEY, else (local chains only) the dev chain's account 0. Resolved before any slow work
 * so a missing key fails at once. Never echoed, not even when malformed.
 */
function signingKey(url: URL): string {
  const key = process.env.ZKAI_CHAIN_KEY?.trim();
  if (key) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) bad('ZKAI_CHAIN_KEY must be a private key: 64 hex digits, optionally 0x-prefixed');
    return key.startsWith('0x') ? key : `0x${key}`;
  }
  if (!isLocalRpc(url)) bad(`set ZKAI_CHAIN_KEY (a hex private key) to send transactions to ${url.origin}`);
  const devKey = devAccountKeys(1)[0]!;
  log(`note: ZKAI_CHAIN_KEY is not set; signing with the dev chain's account 0 (${new Wallet(devKey).address}), a PUBLIC key`);
  return devKey;
}

/** Runs `fn` with a provider (and the caller's signer, when it needs one), and always releases the provider. */
async function withChain<T>(rpc: string | undefined, fn: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
  const provider = await connect(parseRpc(rpc));
  try {
    return await fn(provider);
  } finally {
    provider.destroy();
  }
}

async function readBundle(file: string): Promise<ProofBundle> {
  const bundle = await readBundleFile(file);
  if (bundle.kind !== 'inference') throw new ZkaiError('BAD_BUNDLE', `${file} is a ${bundle.kind} proof, not an inference proof`);
  return bundle;
}

/**
 * The public signals an attestation of this bundle carries: for a Pedersen bundle [commitmentId(W), statement…];
 * otherwise the statement as proved (signal 0 is the Poseidon weightsHash).
 */
export function attestSignals(bundle: ProofBundle): string[] {
  return bundle.commitment ? committedAttestSignals(commitmentId(bundle.commitment.point), bundle.publicSignals) : bundle.publicSignals;
}

/**
 * A Solidity contract name for a model's verifier: its name in PascalCase, "Verifier", and 8 hex digits of the
 * circuit id, so models with the same name but other circuits (Pedersen vs Poseidon weights) don't overwrite each
 * other's generated contract.
 */
export function verifierContractName(modelName: string, circuitId: string): string {
  const pascal = modelName
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  const base = /^[A-Z]/.test(pascal) ? pascal : `Model${pascal}`;
  return `${base.slice(0, 48)}Verifier_${circuitIdHash(circuitId).slice(2, 10)}`;
}

const stringifyRecord = (r: ModelRecord | AttestationRecord) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

/** `zkai model deploy --rpc <url>`: a ModelRegistry and an InferenceAttestor bound to it. */
export async function modelDeploy(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { rpc: { type: 'string' } } });
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const deployed = await deployInference({ signer, log });
    json({
      chainId: deployed.chainId,
      deployer: await signer.getAddress(),
      ModelRegistry: deployed.ModelRegistry,
      InferenceAttestor: deployed.InferenceAttestor,
    });
    return 0;
  });
}

/** Installs and deploys the model's verifier: our committed template for Pedersen weights, snarkjs's for the others. */
async function deployModelVerifier(signer: Signer, compiled: CompiledModel): Promise<string> {
  const contractName = verifierContractName(compiled.manifest.name, compiled.manifest.circuitId);
  const installed = compiled.pedersen
    ? await installCommittedVerifier({ contractName, statementVkey: compiled.vkey, log })
    : await installGeneratedVerifier({ contractName, solidity: await readFile(compiled.setup.solidityVerifierPath, 'utf8'), log });
  const verifier = await deployArtifact(signer, installed.artifact);
  log(`contracts: ${contractName} at ${verifier}`);
  return verifier;
}

/** `zkai model register <dir> --rpc --registry [--dataset-root]`: deploys the model's verifier and registers it. */
export async function modelRegister(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { rpc: { type: 'string' }, registry: { type: 'string' }, 'dataset-root': { type: 'string' } },
  });
  const [dir] = positionals;
  if (!dir) bad('model register needs <dir> (a directory written by `zkai model compile`)');
  const registryAddress = parseAddress(values.registry, 'registry');
  const rootText = values['dataset-root'];
  if (rootText !== undefined && !/^\d+$/.test(rootText)) bad('--dataset-root must be a decimal field element');
  const datasetRoot = rootText === undefined ? 0n : BigInt(rootText);
  if (datasetRoot >= BN254_R) bad('--dataset-root must be below the BN254 scalar field order (the registry refuses it otherwise)');
  const key = signingKey(parseRpc(values.rpc)); // usage errors before the (slow) model load

  // Refused before the (slow) load: a model with public weights has no commitment to register.
  const peek = (await readFile(path.join(dir, 'model.json'), 'utf8').then(JSON.parse, () => undefined)) as { weights?: string } | undefined;
  if (peek?.weights === 'public-constants') {
    bad(`${dir}: the model has public weights (compiled with --weights public): there is no weight commitment to register`);
  }
  const { loadCompiledModel } = await import('../prover/inference.ts');
  const compiled = await loadCompiledModel(path.resolve(dir), log);
  const m = compiled.manifest;
  const weightCommitment = m.weightCommitment;
  if (!weightCommitment) bad(`${dir}: model ${m.name} has no weight commitment to register`);
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const registry = modelRegistryAt(registryAddress, signer);
    const verifier = await deployModelVerifier(signer, compiled);
    const circuitId = circuitIdHash(m.circuitId);
    // What an attestation carries: the statement plus the commitment id for Pedersen weights; all signals otherwise.
    const numPublicSignals = compiled.pedersen ? m.publicSignals.length + 1 : m.publicSignals.length;
    // The commitment as loaded now, not model.json's: a setup contribution re-randomises κ and with it the proof of
    // knowledge (W stays), and the registry checks that proof against the verifier's κ.
    const { modelId, receipt } = compiled.pedersen
      ? await registerCommittedModel(registry, {
          commitment: compiled.pedersen.commitment,
          circuitId,
          verifier,
          numPublicSignals,
          datasetRoot,
        })
      : await registerModel(registry, { weightCommitment: BigInt(weightCommitment), circuitId, verifier, numPublicSignals, datasetRoot });
    json({
      modelId,
      // The binding the model's proofs must carry: `zkai model prove --owner <registrant>`.
      registrant: await signer.getAddress(),
      verifier,
      weightCommitment,
      circuitId,
      circuit: m.circuitId,
      weights: m.weights,
      numPublicSignals,
      datasetRoot: datasetRoot.toString(),
      txHash: receipt.hash,
    });
    return 0;
  });
}

/** Prints a contract revert by name (stdout JSON and stderr) and returns exit code 1; rethrows anything else. */
function reportRevert(err: unknown, context: Record<string, unknown>): number {
  if (!isZkaiError(err) || err.code !== 'CONTRACT_REVERTED') throw err;
  const details = err.details as { contractError?: string; args?: unknown[] } | undefined;
  log(`error [CONTRACT_REVERTED]: ${err.message}`);
  json({ ...context, ok: false, contractError: details?.contractError ?? null, args: details?.args ?? [] });
  return 1;
}

/** `zkai model attest <proof.json> --rpc --attestor --model`: submits the proof; prints the attestation. */
export async function modelAttest(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { rpc: { type: 'string' }, attestor: { type: 'string' }, model: { type: 'string' } },
  });
  const [file] = positionals;
  if (!file) bad('model attest needs <proof.json>');
  const attestorAddress = parseAddress(values.attestor, 'attestor');
  const modelId = parseModelId(values.model);
  const bundle = await readBundle(file);
  const signals = attestSignals(bundle);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const attestor = inferenceAttestorAt(attestorAddress, signer);
    let attested: Awaited<ReturnType<typeof attestInference>>;
    try {
      attested = await attestInference(attestor, modelId, bundle.proof, signals);
    } catch (err) {
      return reportRevert(err, { modelId, attestationId: attestationIdOf(modelId, signals) });
    }
    const record = await getAttestation(attestor, attested.attestationId);
    json({
      ok: true,
      attestationId: attested.attestationId,
      txHash: attested.receipt.hash,
      record: stringifyRecord(record),
      // Logits and label as signed integers (the chain holds them mod r: −1 is r − 1).
      outputs: attested.outputs.map((o) => fromFieldSignal(o).toString()),
    });
    return 0;
  });
}

interface Check {
  ok: boolean;
  [detail: string]: unknown;
}

/**
 * Simulates the attestation (eth_call, nothing is sent): success means the registered verifier accepts this proof
 * for these signals, whatever key the bundle embeds. A statement already attested reverts AlreadyAttested — it was
 * accepted when it was attested.
 */
async function simulateAttest(attestor: Contract, modelId: string, bundle: ProofBundle, signals: string[]): Promise<Check> {
  const { a, b, c, pubSignals } = toSolidityCalldata(bundle.proof, signals);
  try {
    await call(attestor, 'InferenceAttestor', 'attest', [modelId, a, b, c, pubSignals]);
    return { ok: true };
  } catch (err) {
    if (!isZkaiError(err) || err.code !== 'CONTRACT_REVERTED') throw err;
    const name = (err.details as { contractError?: string }).contractError;
    return name === 'AlreadyAttested' ? { ok: true, note: 'already attested' } : { ok: false, contractError: name };
  }
}

/**
 * `zkai model audit <proof.json> --rpc --attestor --model [--require-attested] [--vkey-hash]`: checks a bundle off
 * chain and against the chain (read-only). Exit 0 only when every check passes.
 */
export async function modelAudit(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rpc: { type: 'string' },
      attestor: { type: 'string' },
      model: { type: 'string' },
      'require-attested': { type: 'boolean' },
      'vkey-hash': { type: 'string' },
    },
  });
  const [file] = positionals;
  if (!file) bad('model audit needs <proof.json>');
  const attestorAddress = parseAddress(values.attestor, 'attestor');
  const modelId = parseModelId(values.model);
  const bundle = await readBundle(file);
  const signals = attestSignals(bundle);
  const checks: Record<string, Check> = {};

  // The trusted key: --vkey-hash, else one this ZKAI_HOME set up for the circuit, else (below, checks.verifierCode) the
  // one the registered verifier holds; never merely the bundle's own (whoever made a key can prove anything under it).
  const pins = await pinnedKeys(bundle, { vkeyHash: values['vkey-hash'] });
  const offChain = await verifyBundle(bundle, { trustedVkeyHashes: pins.hashes });
  checks.offChain = {
    ok: offChain.valid,
    pinned: offChain.pinned,
    keys: pins.source,
    key: offChain.vkeyHash,
    ...offChain.checks,
    ...(offChain.reason ? { reason: offChain.reason, reasonCode: offChain.reasonCode } : {}),
  };

  return withChain(values.rpc, async (provider) => {
    const attestor = inferenceAttestorAt(attestorAddress, provider);
    const registryAddress = getAddress((await call(attestor, 'InferenceAttestor', 'registry', [])) as string);
    const registry = modelRegistryAt(registryAddress, provider);
    let model: ModelRecord | undefined;
    try {
      model = await getModel(registry, modelId);
    } catch (err) {
      if (!isZkaiError(err) || err.code !== 'NOT_FOUND') throw err;
    }
    checks.registered = { ok: model !== undefined };
    const attestationId = attestationIdOf(modelId, signals);
    let attestation: AttestationRecord | undefined;
    if (model) {
      checks.active = { ok: model.active };
      const expected = bundle.commitment ? commitmentId(bundle.commitment.point).toString() : bundle.public.weightsHash;
      checks.weightCommitment = expected
        ? { ok: model.weightCommitment.toString() === expected, registered: model.weightCommitment.toString(), bundle: expected }
        : { ok: false, reason: 'the bundle carries no weight commitment (neither a Pedersen commitment nor a weightsHash signal)' };
      if (bundle.commitment || model.pointCommitted) {
        if (!bundle.commitment)
          checks.commitmentPoint = { ok: false, reason: 'the model is point-committed; the bundle has no commitment' };
        else if (!model.pointCommitted)
          checks.commitmentPoint = { ok: false, reason: 'the bundle has a Pedersen commitment; the model was registered without a point' };
        else {
          const registered = await getCommitmentPoint(registry, modelId);
          const mine = g1Evm(bundle.commitment.point);
          checks.commitmentPoint = { ok: registered[0] === mine[0] && registered[1] === mine[1], registered: registered.map(String) };
        }
      }
      const circuitId = circuitIdHash(bundle.circuitId);
      checks.circuitId = { ok: model.circuitId.toLowerCase() === circuitId, registered: model.circuitId, bundle: circuitId };
      checks.numPublicSignals = {
        ok: model.numPublicSignals === signals.length,
        registered: model.numPublicSignals,
        bundle: signals.length,
      };
      checks.binding = bindingCheck(bundle, model);
      checks.chainVerifier = await simulateAttest(attestor, modelId, bundle, signals);
      // The registrant chose the verifier, and it decides every attestation: it must be zkai's for the bundle's key.
      checks.verifierCode = await checkVerifierCode(provider, model.verifier, bundle.vkey, log);
      // With no key pinned here, a verifier that is exactly zkai's for the bundle's key pins that key: the one on chain.
      if (offChain.reasonCode === 'KEY_NOT_PINNED' && checks.verifierCode.ok) {
        const { reason: _r, reasonCode: _c, ...rest } = checks.offChain;
        checks.offChain = { ...rest, ok: true, pinned: true, keys: 'chain', vkeyHash: true };
      }
      try {
        attestation = await getAttestation(attestor, attestationId);
      } catch (err) {
        if (!isZkaiError(err) || err.code !== 'NOT_FOUND') throw err;
      }
    }
    if (values['require-attested']) checks.attested = { ok: attestation !== undefined };
    const valid = Object.values(checks).every((c) => c.ok);
    json({
      file,
      valid,
      modelId,
      attestor: attestorAddress,
      registry: registryAddress,
      attested: attestation !== undefined,
      attestationId,
      ...(attestation ? { attestation: stringifyRecord(attestation) } : {}),
      ...(model ? { model: stringifyRecord(model) } : {}),
      checks,
    });
    return valid ? 0 : 1;
  });
}
