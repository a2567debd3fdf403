/**
 * Issue 14's acceptance path for every model fixture the compiler supports (circuits/model/fixtures, made by
 * make_fixtures.py from PyTorch models trained on the digits): compile with Pedersen-committed weights (the default)
 * on the first 100 CSV rows, check the quantized argmax against the float model on the 100 held-out rows (>= 97%),
 * prove a held-out row on the warm pool (label and logits = the integer reference), verify (snarkjs and noble against
 * the pinned key), register the model on the dev chain and attest the proof; a forged output is rejected both off
 * chain and by the attestor.
 *
 * LeNet-5 on 28×28 (lenet5_28.onnx, ~200k constraints) is too large for `npm test` on 2 cores: `npm run bench --
 * models` runs it the same way.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { quantizeInput, runInt } from '../circuits/model/int-exec.ts';
import { REPO_ROOT } from '../common/config.ts';
import { type CompiledModel, compileModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { type DevChain, devAccountKeys, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';
import { installCommittedVerifier } from '../verifier-contracts/committed-verifier.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import {
  attestInference,
  inferenceAttestorAt as attestorAt,
  bindingOf,
  circuitIdHash,
  committedAttestSignals,
  deployInference,
  type inferenceAttestorAt,
  modelRegistryAt,
  registerCommittedModel,
} from '../verifier-contracts/models.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const CALIBRATION_ROWS = 100;

interface Fixture14 {
  file: string;
  csv: string;
  input_shape: number[];
  csv_predictions: number[];
}
const fixtures14: { models: Record<string, Fixture14> } = JSON.parse(readFileSync(path.join(FIXTURES, 'fixtures14.json'), 'utf8'));

/** The fixtures run here: every issue-14 fixture the compiler supports but LeNet (see above). */
const E2E = [
  'resnet_gap.onnx',
  'conv_s2_leaky.onnx',
  'mlp_sigmoid.onnx',
  'mlp_tanh_softmax.onnx',
  'dwsep.onnx',
  'transformer_op17.onnx',
  'transformer_op13.onnx',
];

const [providerKey] = devAccountKeys(1) as [string];
const PROVIDER = new Wallet(providerKey).address;
const reverted = (name: string) => (err: unknown) => (err as { details?: { contractError?: string } }).details?.contractError === name;

function csv(file: string): number[][] {
  return readFileSync(path.join(FIXTURES, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
}

describe('issue-14 fixtures end to end: compile → agreement → warm proof → verify → attest; forged outputs rejected', () => {
  let dir: string;
  let pool: ProverPool;
  let chain: DevChain;
  let signer: Wallet;
  let registry: ReturnType<typeof modelRegistryAt>;
  let attestor: ReturnType<typeof inferenceAttestorAt>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-fixtures-'));
    pool = new ProverPool({ threads: 1 });
    chain = await startDevChain({ port: await freePort() });
    signer = new Wallet(chain.accounts[0]!, localProvider(chain.url, chain.chainId));
    const { ModelRegistry, InferenceAttestor } = await deployInference({ signer });
    registry = modelRegistryAt(ModelRegistry, signer);
    attestor = attestorAt(InferenceAttestor, signer);
  });

  after(async () => {
    await pool?.close();
    await chain?.stop();
    await releaseVerifierResources();
    await rm(dir, { recursive: true, force: true });
  });

  it('every listed fixture is an issue-14 fixture', () => {
    const files = new Set(Object.values(fixtures14.models).map((m) => m.file));
    for (const f of E2E) assert.ok(files.has(f), f);
  });

  const transformerCircuits = new Set<string>();
  for (const [i, file] of E2E.entries()) {
    const meta = Object.values(fixtures14.models).find((m) => m.file === file)!;
    it(file, async () => {
      const rows = csv(meta.csv);
      const n = meta.input_shape.reduce((a, d) => a * d, 1);
      const calibration = path.join(dir, `calibration-${i}.csv`);
      await writeFile(
        calibration,
        readFileSync(path.join(FIXTURES, meta.csv), 'utf8')
          .trim()
          .split('\n')
          .slice(0, CALIBRATION_ROWS + 1)
          .join('\n'),
      );
      const compiled: CompiledModel = await compileModel(path.join(FIXTURES, file), calibration, {
        outDir: path.join(dir, `model-${i}`),
        // Both transformer exports share a name: opset 13's decomposed LayerNorm is fused into opset 17's node, so the
        // two quantize to one model and the second compile is a cache hit on the first's circuit (asserted below).
        name: file.startsWith('transformer_') ? 'fixture-transformer' : `fixture-${i}`,
      });
      if (file.startsWith('transformer_')) {
        transformerCircuits.add(compiled.manifest.circuitId);
        assert.equal(transformerCircuits.size, 1, 'opsets 13 and 17 compile to the same circuit');
      }
      const m = compiled.manifest;
      assert.equal(
        m.constraints.total,
        m.constraints.perLayer.reduce((a, l) => a + l.constraints, 0),
      );

      // Held-out agreement with PyTorch's argmax (the float model's, which fixtures.test.ts pins to PyTorch's).
      const heldOut = rows.slice(CALIBRATION_ROWS);
      const agree = heldOut.filter(
        (r, k) => runInt(compiled.qm, quantizeInput(compiled.qm, r.slice(0, n))).label === meta.csv_predictions[CALIBRATION_ROWS + k],
      ).length;
      assert.ok(agree >= 0.97 * heldOut.length, `${file}: quantized argmax = PyTorch's on ${agree} of ${heldOut.length} held-out rows`);

      const input = heldOut[0]!.slice(0, n);
      const ref = runInt(compiled.qm, quantizeInput(compiled.qm, input));
      const bundle = await proveInference(pool, compiled, input, { binding: bindingOf(PROVIDER) });
      assert.equal(Number(bundle.public.label), ref.label);
      const report = await verifyBundle(bundle, { expectedVkeyHash: m.vkeyHash });
      assert.equal(report.valid, true, report.reason);
      assert.equal(report.checks.snarkjs, true);

      // A forged output (one logit changed) fails off chain and on chain.
      const signals = committedAttestSignals(m.weightCommitment!, bundle.publicSignals);
      const forgedLogit = (BigInt(bundle.publicSignals[1]!) + 1n).toString();
      const forgedBundle = {
        ...bundle,
        publicSignals: [bundle.publicSignals[0]!, forgedLogit, ...bundle.publicSignals.slice(2)],
        public: { ...bundle.public, 'logits[0]': forgedLogit },
      };
      assert.equal((await verifyBundle(forgedBundle, { expectedVkeyHash: m.vkeyHash })).valid, false);

      const installed = await installCommittedVerifier({ contractName: `Fixture${i}Verifier`, statementVkey: bundle.vkey });
      const verifier = await deployArtifact(signer, installed.artifact);
      const { modelId } = await registerCommittedModel(registry, {
        commitment: m.commitment!,
        circuitId: circuitIdHash(m.circuitId),
        verifier,
        numPublicSignals: signals.length,
      });
      const attested = await attestInference(attestor, modelId, bundle.proof, signals);
      assert.deepEqual(attested.outputs.map(String), signals.slice(2, -1));
      const forged = [...signals];
      forged[2] = (BigInt(forged[2]!) + 1n).toString();
      await assert.rejects(attestInference(attestor, modelId, bundle.proof, forged), reverted('InvalidProof'));
      console.log(`${file}: ${m.constraints.total} constraints, held-out agreement ${agree}/${heldOut.length}, attested`);
    });
  }
});
