// Proofs of models compiled with LogUp lookups on the market and the attestor: InferenceAttestor.attestWithLookup
// and InferenceMarket.fulfilWithLookup hand the verifier the proof's lookup commitment D and its proof of knowledge
// K after the signals (lookup-verifier.ts's ABI). The verifier is MockInferenceVerifier in lookup mode, which answers
// true only for exactly the expected words, so these tests pin the encoding and the routing: a lookup model's proof
// through plain attest/fulfil, a plain model's through the lookup functions, and a wrong D all fail InvalidProof, and
// the failed fulfilments leave the request pending with its escrow. cli/model-chain.test.ts runs a real lookup model.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Contract, JsonRpcProvider, Wallet } from 'ethers';
import type { PublicInputCommitment } from '../../prover/commitment.ts';
import type { DevChain } from '../chain.ts';
import { fulfilInference, getRequest, marketBalance, RequestStatus, requestInference } from '../market.ts';
import { attestationIdOf, attestInference, bindingOf, inferenceAttestorAt } from '../models.ts';
import {
  assertMarketReverts as assertReverts,
  expectProof,
  FAKE_PROOF,
  type MarketStack,
  now,
  registerAndList,
  stackAs,
  startMarketChain,
} from './market-fixture.ts';

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let stack: MarketStack;

const D: PublicInputCommitment = { point: ['11', '12', '1'], knowledge: ['13', '14', '1'] };
const otherD: PublicInputCommitment = { point: ['11', '15', '1'], knowledge: ['13', '14', '1'] };
const otherK: PublicInputCommitment = { point: ['11', '12', '1'], knowledge: ['16', '14', '1'] };
const FEE = 10_007n;

/** A listed model whose (mock) verifier accepts FAKE_PROOF for `x`'s signals, with lookups (D) or without. */
async function model(x: bigint, lookups: boolean): Promise<{ modelId: string; signals: string[]; mock: Contract }> {
  const m = await registerAndList(stack, owner, { owners: [alice.address], shares: [1n], fee: FEE });
  const signals = [m.weightCommitment, x, 0n, bindingOf(owner.address)];
  await expectProof(m.mock, signals);
  if (lookups) await (await m.mock.getFunction('expectLookup')([11n, 12n], [13n, 14n])).wait();
  return { modelId: m.modelId, signals: signals.map(String), mock: m.mock };
}

before(async () => {
  ({ chain, provider, owner, alice, bob, stack } = await startMarketChain());
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe('lookup proofs: attestWithLookup and fulfilWithLookup', () => {
  test('fulfilWithLookup passes D and K to the verifier; plain fulfil, a wrong D or a wrong K fail and leave the request pending', async () => {
    const { modelId, signals } = await model(41n, true);
    const c = stackAs(stack, bob);
    const { requestId } = await requestInference(c.market, modelId, 41n, (await now(provider)) + 600, FEE);
    await assertReverts(fulfilInference(c.market, requestId, FAKE_PROOF, signals), 'InvalidProof');
    await assertReverts(fulfilInference(c.market, requestId, FAKE_PROOF, signals, { lookup: otherD }), 'InvalidProof');
    await assertReverts(fulfilInference(c.market, requestId, FAKE_PROOF, signals, { lookup: otherK }), 'InvalidProof');
    assert.equal((await getRequest(c.market, requestId)).status, RequestStatus.Pending);
    assert.equal(await c.market.escrowed(), FEE);

    const done = await fulfilInference(c.market, requestId, FAKE_PROOF, signals, { lookup: D });
    assert.equal(done.attestationId, attestationIdOf(modelId, signals));
    assert.equal((await getRequest(c.market, requestId)).status, RequestStatus.Fulfilled);
    assert.equal(await marketBalance(c.market, alice.address), FEE);
    assert.equal(await c.market.escrowed(), 0n);
  });

  test('attestWithLookup records the same statement as attest; the wrong function for the model is InvalidProof', async () => {
    const attestor = inferenceAttestorAt(stack.attestor, bob);
    const lookupModel = await model(42n, true);
    await assertReverts(attestInference(attestor, lookupModel.modelId, FAKE_PROOF, lookupModel.signals), 'InvalidProof');
    const a = await attestInference(attestor, lookupModel.modelId, FAKE_PROOF, lookupModel.signals, D);
    assert.equal(a.attestationId, attestationIdOf(lookupModel.modelId, lookupModel.signals));
    assert.deepEqual(a.outputs, [0n]);
    await assertReverts(attestInference(attestor, lookupModel.modelId, FAKE_PROOF, lookupModel.signals, D), 'AlreadyAttested');

    const plainModel = await model(43n, false);
    await assertReverts(attestInference(attestor, plainModel.modelId, FAKE_PROOF, plainModel.signals, D), 'InvalidProof');
    await attestInference(attestor, plainModel.modelId, FAKE_PROOF, plainModel.signals);

    // An earlier attestation fulfils a request for the same statement through either function.
    const c = stackAs(stack, bob);
    const { requestId } = await requestInference(c.market, lookupModel.modelId, 42n, (await now(provider)) + 600, FEE);
    const done = await fulfilInference(c.market, requestId, FAKE_PROOF, lookupModel.signals, { lookup: D });
    assert.equal(done.attestationId, a.attestationId);
  });
});
