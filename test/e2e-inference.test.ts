/**
 * Issue 3's path end to end: a PyTorch-exported ONNX MLP trained on the 8×8 digits → quantized circuit with
 * Poseidon-committed private weights and a hashed private input → proof on the warm pool → `snarkjs groth16
 * verify` (the CLI) → model registered on a local chain → InferenceAttestor records the attestation; a proof
 * checked against another model's commitment is rejected.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { type CompiledModel, compileModel, loadCompiledModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installGeneratedVerifier } from '../verifier-contracts/generated.ts';
import {
  attestInference,
  circuitIdHash,
  deployInference,
  getAttestation,
  inferenceAttestorAt,
  modelRegistryAt,
  registerModel,
} from '../verifier-contracts/models.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
const reverted = (name: string) => (err: unknown) => (err as { details?: { contractError?: string } }).details?.contractError === name;

// Both PyTorch fixtures: the MLP (Gemm/ReLU) and the CNN (Conv/ReLU/MaxPool/Gemm).
const MODELS = [
  { file: 'mlp_digits.onnx', name: 'mlp-digits', verifierContract: 'MlpDigitsVerifier' },
  { file: 'cnn_digits.onnx', name: 'cnn-digits', verifierContract: 'CnnDigitsVerifier' },
] as const;

for (const fixture of MODELS)
  describe(`end to end (${fixture.name}): ONNX model → committed-weight circuit → proof → on-chain attestation`, () => {
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
      });
      const m = compiled.manifest;
      assert.ok(m.agreement.agreement >= 0.97, `agreement ${m.agreement.agreement}`);
      assert.deepEqual(m.publicSignals.slice(0, 2), ['weightsHash', 'inputHash']);
      assert.equal(m.publicSignals.length, 2 + 10 + 1);
      assert.equal(
        m.constraints.total,
        m.constraints.perLayer.reduce((a, l) => a + l.constraints, 0),
      );
      assert.match(m.weightCommitment!, /^\d+$/);
      // The directory reloads to the same circuit and keys.
      const again = await loadCompiledModel(dir);
      assert.equal(again.model.circuit.id, m.circuitId);
    });

    it('proves an inference whose label and logits equal the integer reference, and snarkjs verifies it', async () => {
      const row = rows[150]!;
      bundle = await proveInference(pool, compiled, row.slice(0, 64));
      assert.equal(bundle.kind, 'inference');
      assert.equal(bundle.public.weightsHash, compiled.manifest.weightCommitment);
      assert.equal(bundle.public.label, String(bundle.metadata.label));
      assert.equal(Number(bundle.public.label), row[64], 'this held-out digit is classified correctly');

      const report = await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash });
      assert.equal(report.valid, true, report.reason);
      await writeFile(path.join(dir, 'vkey.json'), JSON.stringify(bundle.vkey));
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
      const signer = new Wallet(chain.accounts[0]!, localProvider(chain.url, chain.chainId));
      const installed = await installGeneratedVerifier({
        contractName: fixture.verifierContract,
        solidity: await readFile(compiled.setup.solidityVerifierPath, 'utf8'),
      });
      const verifier = await deployArtifact(signer, installed.artifact);
      const { ModelRegistry, InferenceAttestor } = await deployInference({ signer });
      const registry = modelRegistryAt(ModelRegistry, signer);
      const attestor = inferenceAttestorAt(InferenceAttestor, signer);
      const { modelId } = await registerModel(registry, {
        weightCommitment: BigInt(compiled.manifest.weightCommitment!),
        circuitId: circuitIdHash(compiled.manifest.circuitId),
        verifier,
        numPublicSignals: bundle.publicSignals.length,
      });

      const attested = await attestInference(attestor, modelId, bundle.proof, bundle.publicSignals);
      assert.equal(attested.inputHash, BigInt(bundle.public.inputHash!));
      assert.deepEqual(attested.outputs.map(String), bundle.publicSignals.slice(2));
      const record = await getAttestation(attestor, attested.attestationId);
      assert.equal(record.modelId, modelId);
      assert.equal(record.prover, signer.address);

      const otherModel = [...bundle.publicSignals];
      otherModel[0] = (BigInt(otherModel[0]!) + 1n).toString();
      await assert.rejects(attestInference(attestor, modelId, bundle.proof, otherModel), reverted('CommitmentMismatch'));
      const otherOutput = [...bundle.publicSignals];
      otherOutput[5] = (BigInt(otherOutput[5]!) + 1n).toString();
      await assert.rejects(attestInference(attestor, modelId, bundle.proof, otherOutput), reverted('InvalidProof'));
    });
  });
