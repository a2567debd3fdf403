/**
 * Issue 3's path end to end: a PyTorch-exported ONNX model trained on the 8×8 digits → quantized circuit with
 * committed private weights and a hashed private input → proof on the warm pool → `snarkjs groth16 verify` (the
 * CLI) → model registered on a local chain → InferenceAttestor records the attestation; a proof checked against
 * another model's commitment is rejected, and so is a replay under a copy of the model registered by another account
 * (the proof is bound to its registrant: issue 13), before and after the provider retires the model.
 *
 * Weights are committed either by a Pedersen commitment checked outside the circuit (the default, commit-and-prove:
 * prover/commitment.ts; snarkjs verifies against the key with IC₀ + W) or by a Poseidon hash inside it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { weightElements } from '../circuits/model/commit.ts';
import { REPO_ROOT } from '../common/config.ts';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { bindCommitment, commitmentId, commitPublicInputs, randomScalar } from '../prover/commitment.ts';
import { type CompiledModel, compileModel, loadCompiledModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { type DevChain, devAccountKeys, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { installCommittedVerifier } from '../verifier-contracts/committed-verifier.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installGeneratedVerifier } from '../verifier-contracts/generated.ts';
import {
  attestInference,
  bindingOf,
  circuitIdHash,
  committedAttestSignals,
  deactivateModel,
  deployInference,
  getAttestation,
  inferenceAttestorAt,
  modelRegistryAt,
  registerCommittedModel,
  registerModel,
} from '../verifier-contracts/models.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
// The provider registers with the dev chain's account 0 and binds its proofs to that address; account 1 copies.
const [providerKey, copierKey] = devAccountKeys(2) as [string, string];
const PROVIDER = new Wallet(providerKey).address;
const reverted = (name: string) => (err: unknown) => (err as { details?: { contractError?: string } }).details?.contractError === name;

// The PyTorch fixtures: the 64-32-16-10 MLP and the CNN (Conv/ReLU/MaxPool/Gemm) with Pedersen-committed
// weights (the default), and the 64-32-10 MLP with Poseidon-committed weights.
const MODELS = [
  { file: 'mlp3_digits.onnx', name: 'mlp3-digits', weights: 'private-pedersen', verifierContract: 'Mlp3DigitsVerifier' },
  { file: 'cnn_digits.onnx', name: 'cnn-digits', weights: 'private-pedersen', verifierContract: 'CnnDigitsVerifier' },
  { file: 'mlp_digits.onnx', name: 'mlp-digits', weights: 'private-committed', verifierContract: 'MlpDigitsVerifier' },
] as const;

for (const fixture of MODELS)
  describe(`end to end (${fixture.name}, ${fixture.weights}): ONNX model → committed-weight circuit → proof → on-chain attestation`, () => {
    const pedersen = fixture.weights === 'private-pedersen';
    let dir: string;
    let compiled: CompiledModel;
    let pool: ProverPool;
    let chain: DevChain | undefined;
    let bundle: Awaited<ReturnType<typeof proveInference>>;

    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-model-'));
      pool = new ProverPool({ threads: 1 });
    });

    after(async () => {
      await pool?.close();
      await chain?.stop();
      // snarkjs keeps its curve's worker threads alive after verifying in this process.
      await releaseVerifierResources();
      await rm(dir, { recursive: true, force: true });
    });

    it('compiles with committed weights; quantized argmax agrees with the float model on ≥ 97% of rows', async () => {
      compiled = await compileModel(path.join(FIXTURES, fixture.file), path.join(FIXTURES, 'digits_test.csv'), {
        outDir: dir,
        name: fixture.name,
        ...(pedersen ? {} : { weights: fixture.weights }),
      });
      const m = compiled.manifest;
      assert.equal(m.weights, fixture.weights);
      assert.ok(m.agreement.agreement >= 0.97, `agreement ${m.agreement.agreement}`);
      // The statement: [weightsHash?, inputHash, logits, label, binding]; Pedersen weights leave no signal (W is beside it).
      assert.deepEqual(m.publicSignals.slice(0, pedersen ? 1 : 2), pedersen ? ['inputHash'] : ['weightsHash', 'inputHash']);
      assert.equal(m.publicSignals.length, (pedersen ? 1 : 2) + 10 + 1 + 1);
      assert.equal(m.publicSignals.at(-1), 'binding');
      if (pedersen) {
        assert.equal(m.weightCommitment, commitmentId(m.commitment!.point).toString());
        if (fixture.name === 'mlp3-digits') assert.ok(m.constraints.total <= 8000, `${m.constraints.total} constraints`);
      }
      assert.equal(
        m.constraints.total,
        m.constraints.perLayer.reduce((a, l) => a + l.constraints, 0),
      );
      assert.match(m.weightCommitment!, /^\d+$/);
      // The directory reloads to the same circuit and keys.
      const again = await loadCompiledModel(dir);
      assert.equal(again.model.circuit.id, m.circuitId);
      assert.deepEqual(again.pedersen?.commitment, compiled.pedersen?.commitment);
    });

    it('proves an inference whose label and logits equal the integer reference, and snarkjs verifies it', async () => {
      const row = rows[150]!;
      bundle = await proveInference(pool, compiled, row.slice(0, 64), { binding: bindingOf(PROVIDER) });
      assert.equal(bundle.kind, 'inference');
      assert.equal(bundle.public.binding, PROVIDER.toLowerCase());
      if (pedersen) assert.deepEqual(bundle.commitment, compiled.manifest.commitment);
      else assert.equal(bundle.public.weightsHash, compiled.manifest.weightCommitment);
      assert.equal(bundle.public.label, String(bundle.metadata.label));
      assert.equal(Number(bundle.public.label), row[64], 'this held-out digit is classified correctly');

      const report = await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash });
      assert.equal(report.valid, true, report.reason);
      // With Pedersen weights snarkjs takes the key with IC₀ + W (bindCommitment), which verifyBundle also builds
      // after checking W's proof of knowledge.
      const vkey = pedersen ? bindCommitment(bundle.vkey, bundle.commitment!.point) : bundle.vkey;
      await writeFile(path.join(dir, 'vkey.json'), JSON.stringify(vkey));
      await writeFile(path.join(dir, 'public.json'), JSON.stringify(bundle.publicSignals));
      await writeFile(path.join(dir, 'proof.json'), JSON.stringify(bundle.proof));
      const out = execFileSync(process.execPath, [snarkjsCliPath(), 'groth16', 'verify', 'vkey.json', 'public.json', 'proof.json'], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.match(out, /OK!/);
    });

    it('registers the model on chain and attests the inference; a different model commitment is rejected', async () => {
      chain = await startDevChain({ port: await freePort() });
      assert.equal(chain.accounts[0], providerKey);
      const signer = new Wallet(chain.accounts[0]!, localProvider(chain.url, chain.chainId));
      const installed = pedersen
        ? await installCommittedVerifier({ contractName: fixture.verifierContract, statementVkey: bundle.vkey })
        : await installGeneratedVerifier({
            contractName: fixture.verifierContract,
            solidity: await readFile(compiled.setup.solidityVerifierPath, 'utf8'),
          });
      const verifier = await deployArtifact(signer, installed.artifact);
      const { ModelRegistry, InferenceAttestor } = await deployInference({ signer });
      const registry = modelRegistryAt(ModelRegistry, signer);
      const attestor = inferenceAttestorAt(InferenceAttestor, signer);
      const circuitId = circuitIdHash(compiled.manifest.circuitId);
      // On chain an attestation's signals are [weightCommitment, inputHash, outputs…]; with Pedersen weights signal 0
      // is the commitment's id and the registry holds W (checked against its proof of knowledge at registration).
      const signals = pedersen ? committedAttestSignals(compiled.manifest.weightCommitment!, bundle.publicSignals) : bundle.publicSignals;
      const register = (commitment = compiled.manifest.commitment!, as = registry) =>
        pedersen
          ? registerCommittedModel(as, { commitment, circuitId, verifier, numPublicSignals: signals.length })
          : registerModel(as, {
              weightCommitment: BigInt(compiled.manifest.weightCommitment!),
              circuitId,
              verifier,
              numPublicSignals: signals.length,
            });
      const { modelId } = await register();

      const attested = await attestInference(attestor, modelId, bundle.proof, signals);
      assert.equal(attested.inputHash, BigInt(bundle.public.inputHash!));
      assert.deepEqual(attested.outputs.map(String), signals.slice(2, -1));
      const record = await getAttestation(attestor, attested.attestationId);
      assert.equal(record.modelId, modelId);
      assert.equal(record.prover, signer.address);

      const otherModel = [...signals];
      otherModel[0] = (BigInt(otherModel[0]!) + 1n).toString();
      await assert.rejects(attestInference(attestor, modelId, bundle.proof, otherModel), reverted('CommitmentMismatch'));
      const otherOutput = [...signals];
      otherOutput[5] = (BigInt(otherOutput[5]!) + 1n).toString();
      await assert.rejects(attestInference(attestor, modelId, bundle.proof, otherOutput), reverted('InvalidProof'));
      if (pedersen) {
        // The same weights under another blind: a valid commitment of the same circuit, registered as another
        // model — this proof is not one of its proofs.
        const other = await commitPublicInputs(compiled.pedersen!.key, [...weightElements(compiled.qm), randomScalar()]);
        const { modelId: otherId } = await register(other);
        const otherSignals = committedAttestSignals(commitmentId(other.point), bundle.publicSignals);
        await assert.rejects(attestInference(attestor, otherId, bundle.proof, otherSignals), reverted('InvalidProof'));
      }

      // A copy: the same public commitment and verifier registered by another account. The provider's proofs do not
      // attest under it, and cannot be re-bound to the copier; after the provider retires the model, neither model
      // attests a new proof.
      const copier = new Wallet(copierKey, signer.provider);
      const { modelId: copyId } = await register(compiled.manifest.commitment!, modelRegistryAt(ModelRegistry, copier));
      const copierAttestor = inferenceAttestorAt(InferenceAttestor, copier);
      const late = await proveInference(pool, compiled, rows[151]!.slice(0, 64), { binding: bindingOf(PROVIDER) });
      const lateSignals = pedersen ? committedAttestSignals(compiled.manifest.weightCommitment!, late.publicSignals) : late.publicSignals;
      await assert.rejects(attestInference(copierAttestor, copyId, late.proof, lateSignals), reverted('BindingMismatch'));
      const rebound = [...lateSignals.slice(0, -1), bindingOf(copier.address).toString()];
      await assert.rejects(attestInference(copierAttestor, copyId, late.proof, rebound), reverted('InvalidProof'));
      await deactivateModel(registry, modelId);
      await assert.rejects(attestInference(attestor, modelId, late.proof, lateSignals), reverted('ModelInactive'));
      await assert.rejects(attestInference(copierAttestor, copyId, late.proof, lateSignals), reverted('BindingMismatch'));
    });
  });
