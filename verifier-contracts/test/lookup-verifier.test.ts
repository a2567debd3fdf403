/**
 * The generated LogUp verifier (verifier-contracts/lookup-verifier.ts) on a dev chain: it agrees with the off-chain
 * verifier (prover/lookup/verify.ts) on honest and forged proofs, and its gas over a plain Groth16 verifier of the same
 * statement proved with bit-decomposition range checks (snarkjs's verifier, 1 signal) is measured.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { Contract } from 'ethers';
import * as snarkjs from 'snarkjs';
import { buildCircuit } from '../../circuits/build.ts';
import { g1Evm, g1Json } from '../../prover/commitment.ts';
import { proveLookupWitness, proveWithLookups } from '../../prover/lookup/prove.ts';
import { type DemoFixture, demoFixture, forgeChosenAlpha } from '../../prover/lookup/test-forge.ts';
import { type LookupProof, verifyLookupProof } from '../../prover/lookup/verify.ts';
import { ensureCircuitSetup } from '../../prover/setup/index.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { g1 } from '../../prover/verify-noble.ts';
import { toSolidityCalldata } from '../calldata.ts';
import type { DevChain } from '../chain.ts';
import { deployArtifact } from '../deploy.ts';
import { installGeneratedVerifier } from '../generated.ts';
import { installLookupVerifier, lookupVerifierSolidity } from '../lookup-verifier.ts';
import { startTestChain } from './helpers.ts';

let fx: DemoFixture;
let chain: DevChain;
let provider: Awaited<ReturnType<typeof startTestChain>>['provider'];
let lookupVerifier: Contract;
let plainVerifier: Contract;
let bitsProof: { proof: object; publicSignals: string[] };

function args(p: LookupProof) {
  const { a, b, c, pubSignals } = toSolidityCalldata(p.proof as object, p.publicSignals);
  return [a, b, c, pubSignals, g1Evm(p.commitment.point), g1Evm(p.commitment.knowledge)] as const;
}
const onChain = async (p: LookupProof) => (await lookupVerifier.verifyProof(...args(p))) as boolean;
const offChain = (p: LookupProof) => verifyLookupProof(fx.ls.statementKey, p).ok;

before(async () => {
  fx = await demoFixture();
  let owner: Awaited<ReturnType<typeof startTestChain>>['owner'];
  ({ chain, provider, owner } = await startTestChain());
  const installed = await installLookupVerifier({ contractName: 'LogUpRangeDemoVerifier', statementKey: fx.ls.statementKey });
  lookupVerifier = new Contract(await deployArtifact(owner, installed.artifact), installed.artifact.abi, provider);
  // The same statement (sum of 4 values in [0, 2^16)) with bit-decomposition range checks, snarkjs's verifier.
  const bits = await buildCircuit({
    name: 'bits-range-4x16',
    include: 'logup-demo.circom',
    instance: 'BitsRangeDemo(4, 16)',
    publicInputs: [],
  });
  const bitsSetup = await ensureCircuitSetup(bits);
  const plain = await installGeneratedVerifier({
    contractName: 'BitsRangeDemoVerifier',
    solidity: await readFile(bitsSetup.solidityVerifierPath, 'utf8'),
  });
  plainVerifier = new Contract(await deployArtifact(owner, plain.artifact), plain.artifact.abi, provider);
  bitsProof = await snarkjs.groth16.fullProve({ x: ['1', '2', '3', '4'] }, bits.wasmPath, bitsSetup.zkeyPath);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  await releaseVerifierResources();
});

describe('LogUp verifier (generated Solidity)', () => {
  test('refuses a key without zkai_lookup or with γ₂ other than the generator', () => {
    const { zkai_lookup: _, ...plain } = fx.ls.statementKey;
    assert.throws(() => lookupVerifierSolidity(plain, 'X'), /not a LogUp statement key/);
    const otherGamma = { ...fx.ls.statementKey, vk_gamma_2: fx.ls.statementKey.vk_delta_2 };
    assert.throws(() => lookupVerifierSolidity(otherGamma, 'X'), /γ₂ is not the G2 generator/);
  });

  test('accepts an honest proof, and costs this much more gas than plain Groth16 of the same statement', async (t) => {
    const p = await proveWithLookups(fx.ls, { x: ['1', '2', '3', '4'] });
    assert.equal(offChain(p), true);
    assert.equal(await onChain(p), true);
    const lookupGas = await lookupVerifier.verifyProof.estimateGas(...args(p));
    const cd = toSolidityCalldata(bitsProof.proof, bitsProof.publicSignals);
    assert.equal(await plainVerifier.verifyProof(cd.a, cd.b, cd.c, cd.pubSignals), true);
    const plainGas = await plainVerifier.verifyProof.estimateGas(cd.a, cd.b, cd.c, cd.pubSignals);
    t.diagnostic(
      `verifyProof gas (estimateGas, incl. 21,000 and calldata): LogUp ${lookupGas}, plain ${plainGas}, +${lookupGas - plainGas}`,
    );
    assert.ok(lookupGas > plainGas);
  });

  test('refuses what the off-chain verifier refuses: α of the prover’s choosing, swapped D, bad proof of knowledge', async () => {
    const { w } = await forgeChosenAlpha(fx);
    const chosen = await proveLookupWitness(fx.ls, w);
    const [p1, p2] = [
      await proveWithLookups(fx.ls, { x: ['5', '6', '7', '8'] }),
      await proveWithLookups(fx.ls, { x: ['9', '9', '9', '9'] }),
    ];
    const swapped: LookupProof = { ...p1, commitment: p2.commitment };
    const swappedWithAlpha: LookupProof = { ...swapped, publicSignals: [p1.publicSignals[0]!, p2.publicSignals[1]!] };
    const badKnowledge: LookupProof = { ...p1, commitment: { ...p1.commitment, knowledge: p2.commitment.knowledge } };
    const shifted = g1Json(g1(p1.commitment.point, 'D').add(bn254.G1.Point.BASE));
    const shiftedD: LookupProof = { ...p1, commitment: { ...p1.commitment, point: shifted } };
    for (const [name, p] of Object.entries({ chosen, swapped, swappedWithAlpha, badKnowledge, shiftedD })) {
      assert.equal(offChain(p), false, `off chain: ${name}`);
      assert.equal(await onChain(p), false, `on chain: ${name}`);
    }
    assert.equal(await onChain(p1), true);
  });
});
