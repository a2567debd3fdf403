/**
 * The on-chain model commands: the provider deploys the registry and attestor, registers a compiled model (its
 * verifier and weight commitment) and attests inferences; the auditor checks a proof bundle against what the chain
 * holds, read-only, with no key.
 *
 *   zkai model deploy   --rpc <url>
 *   zkai model register <dir> --rpc <url> [--registry <addr>] [--dataset-root <decimal>]
 *   zkai model attest   <proof.json> --rpc <url> [--attestor <addr>] --model <modelId>
 *   (without --registry / --attestor: the deployment record `zkai chain deploy` wrote, or --deployment <file>)
 *   (zkai model audit: model-audit.ts)
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
import { type Signer, Wallet } from 'ethers';
import { BN254_R } from '../common/bn254.ts';
import { isZkaiError } from '../common/errors.ts';
import type { CompiledModel } from '../prover/inference.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installModelVerifier } from '../verifier-contracts/model-verifier.ts';
import {
  attestationIdOf,
  attestInference,
  circuitIdHash,
  deployInference,
  fromFieldSignal,
  getAttestation,
  inferenceAttestorAt,
  modelRegistryAt,
  registerCommittedModel,
  registerModel,
} from '../verifier-contracts/models.ts';
import {
  attestSignals,
  bad,
  json,
  log,
  parseAddress,
  parseModelId,
  parseRpc,
  readBundle,
  signingKey,
  stringifyRecord,
  withChain,
} from './chain-cli.ts';
import { economyContracts } from './economy-cli.ts';

/**
 * The Solidity contract name of a model's verifier: built from the circuit id's hash only, never from the model's
 * name (a user's string), so nothing an uploader chose reaches generated Solidity; models with other circuits
 * (Pedersen vs Poseidon weights, another name) get other contracts.
 */
export function verifierContractName(circuitId: string): string {
  return `ModelVerifier_${circuitIdHash(circuitId).slice(2, 18)}`;
}

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

/**
 * Installs and deploys the model's verifier (model-verifier.ts): the lookup template for a model compiled with
 * lookups, our committed template for Pedersen weights, snarkjs's for the others.
 */
async function deployModelVerifier(signer: Signer, compiled: CompiledModel): Promise<string> {
  const contractName = verifierContractName(compiled.manifest.circuitId);
  const installed = await installModelVerifier({
    contractName,
    vkey: compiled.vkey,
    snarkjsSolidity: () => readFile(compiled.setup.solidityVerifierPath, 'utf8'),
    log,
  });
  const verifier = await deployArtifact(signer, installed.artifact);
  log(`contracts: ${contractName} at ${verifier}`);
  return verifier;
}

/** `zkai model register <dir> --rpc --registry [--dataset-root]`: deploys the model's verifier and registers it. */
export async function modelRegister(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { rpc: { type: 'string' }, registry: { type: 'string' }, deployment: { type: 'string' }, 'dataset-root': { type: 'string' } },
  });
  const [dir] = positionals;
  if (!dir) bad('model register needs <dir> (a directory written by `zkai model compile`)');
  // --registry, else the deployment record's (`zkai chain deploy`), looked up once connected.
  const registryFlag = values.registry === undefined ? undefined : parseAddress(values.registry, 'registry');
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
    const registryAddress = registryFlag ?? (await economyContracts(provider, values, ['ModelRegistry'])).ModelRegistry;
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
    options: { rpc: { type: 'string' }, attestor: { type: 'string' }, deployment: { type: 'string' }, model: { type: 'string' } },
  });
  const [file] = positionals;
  if (!file) bad('model attest needs <proof.json>');
  const attestorFlag = values.attestor === undefined ? undefined : parseAddress(values.attestor, 'attestor');
  const modelId = parseModelId(values.model);
  const bundle = await readBundle(file);
  const signals = attestSignals(bundle);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const attestorAddress = attestorFlag ?? (await economyContracts(provider, values, ['InferenceAttestor'])).InferenceAttestor;
    const attestor = inferenceAttestorAt(attestorAddress, signer);
    let attested: Awaited<ReturnType<typeof attestInference>>;
    try {
      attested = await attestInference(attestor, modelId, bundle.proof, signals, bundle.lookupCommitment);
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
