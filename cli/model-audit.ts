/**
 * `zkai model audit <proof.json> --rpc <url> --attestor <addr> --model <modelId> [--require-attested] [--vkey-hash]
 *  [--dir <model dir> [--governance <addr> | --deployment <file>]]`:
 * the auditor's read-only check of an inference bundle against what the chain holds (no key, nothing sent): the proof
 * against a pinned key, the model's registration, commitment, circuit, signal count and binding, a simulated
 * attestation, and that the registered verifier's code is the one zkai generates from the key. With --dir, for a
 * model listed for paid inference, its setup against the listing's setup identity (setup-identity.ts).
 * The report is JSON on stdout; one line per check on stderr.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Contract, getAddress } from 'ethers';
import { isZkaiError } from '../common/errors.ts';
import type { ProofBundle } from '../prover/bundle.ts';
import { commitmentId, g1Evm } from '../prover/commitment.ts';
import { verifyBundle } from '../prover/verify.ts';
import { modelGovernanceAt } from '../verifier-contracts/market.ts';
import {
  type AttestationRecord,
  attestationIdOf,
  circuitIdHash,
  getAttestation,
  getCommitmentPoint,
  getModel,
  inferenceAttestorAt,
  lookupWords,
  type ModelRecord,
  modelRegistryAt,
} from '../verifier-contracts/models.ts';
import { call } from '../verifier-contracts/tx.ts';
import { toSolidityCalldata } from '../verifier-contracts/vault.ts';
import { pinnedKeys } from './bundle-file.ts';
import { attestSignals, bad, json, log, parseAddress, parseModelId, readBundle, stringifyRecord, withChain } from './chain-cli.ts';
import { economyContracts } from './economy-cli.ts';
import { bindingCheck } from './model-binding.ts';
import { type AuditCheck as Check, setupIdentityChecks } from './setup-identity.ts';
import { checkVerifierCode } from './verifier-code.ts';

/**
 * Simulates the attestation (eth_call, nothing is sent): success means the registered verifier accepts this proof
 * for these signals, whatever key the bundle embeds. A statement already attested reverts AlreadyAttested — it was
 * accepted when it was attested.
 */
async function simulateAttest(attestor: Contract, modelId: string, bundle: ProofBundle, signals: string[]): Promise<Check> {
  const { a, b, c, pubSignals } = toSolidityCalldata(bundle.proof, signals);
  try {
    if (bundle.lookupCommitment) {
      const lookup = lookupWords(bundle.lookupCommitment);
      await call(attestor, 'InferenceAttestor', 'attestWithLookup', [modelId, a, b, c, pubSignals, ...lookup]);
    } else await call(attestor, 'InferenceAttestor', 'attest', [modelId, a, b, c, pubSignals]);
    return { ok: true };
  } catch (err) {
    if (!isZkaiError(err) || err.code !== 'CONTRACT_REVERTED') throw err;
    const name = (err.details as { contractError?: string }).contractError;
    return name === 'AlreadyAttested' ? { ok: true, note: 'already attested' } : { ok: false, contractError: name };
  }
}

/**
 * `zkai model audit <proof.json> --rpc --attestor --model [--require-attested] [--vkey-hash] [--dir …]`: checks a
 * bundle off chain and against the chain (read-only). Exit 0 only when every check passes.
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
      dir: { type: 'string' },
      governance: { type: 'string' },
      deployment: { type: 'string' },
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
      if (values.dir !== undefined) {
        const { ModelGovernance } = await economyContracts(provider, values, ['ModelGovernance']);
        const governance = modelGovernanceAt(ModelGovernance, provider);
        // A governance over another registry lists none of this registry's models: "not listed" would pass vacuously.
        const governed = getAddress((await call(governance, 'ModelGovernance', 'registry', [])) as string);
        if (governed !== registryAddress)
          bad(`ModelGovernance ${ModelGovernance} governs the registry ${governed}, not the attestor's ${registryAddress}`);
        Object.assign(
          checks,
          await setupIdentityChecks({
            provider,
            governance,
            modelId,
            verifier: model.verifier,
            dir: path.resolve(values.dir),
            log,
          }),
        );
      }
      try {
        attestation = await getAttestation(attestor, attestationId);
      } catch (err) {
        if (!isZkaiError(err) || err.code !== 'NOT_FOUND') throw err;
      }
    }
    if (values['require-attested']) checks.attested = { ok: attestation !== undefined };
    const valid = Object.values(checks).every((c) => c.ok);
    for (const [name, c] of Object.entries(checks))
      log(`${c.ok ? 'ok  ' : 'FAIL'} ${name}${c.reason ? `: ${String(c.reason)}` : c.note ? `: ${String(c.note)}` : ''}`);
    log(valid ? 'audit: every check passed' : 'audit: FAILED');
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
