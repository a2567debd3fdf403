// The console builds InferenceAttestor calls by hand (no ethers in the browser bundle): its calldata must equal the
// ABI encoding ethers makes from the contract's ABI, for attest and for attestWithLookup (a model with lookups).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Interface } from 'ethers';
import type { PublicInputCommitment } from '../../prover/commitment-verify.ts';
import { INFERENCE_ATTESTOR_ABI, lookupWords } from '../../verifier-contracts/models.ts';
import { FAKE_PROOF } from '../../verifier-contracts/test/helpers.ts';
import { toSolidityCalldata } from '../../verifier-contracts/vault.ts';
import { attestCalldata } from './chain-pin.ts';

const attestor = new Interface(INFERENCE_ATTESTOR_ABI);
const modelId = `0x${'5a'.repeat(32)}`;
const signals = ['7', '8', '9', '10', '11'];

describe('console chain-pin calldata', () => {
  test('attest: the same bytes as the ABI encoder', () => {
    const { a, b, c, pubSignals } = toSolidityCalldata(FAKE_PROOF, signals);
    const expected = attestor.encodeFunctionData('attest', [modelId, a, b, c, pubSignals]);
    assert.equal(`0x${attestCalldata(modelId, FAKE_PROOF, signals)}`, expected);
  });

  test('attestWithLookup: D and K after the signals offset, the same bytes as the ABI encoder', () => {
    const lookup: PublicInputCommitment = { point: ['21', '22', '1'], knowledge: ['23', '24', '1'] };
    const { a, b, c, pubSignals } = toSolidityCalldata(FAKE_PROOF, signals);
    const expected = attestor.encodeFunctionData('attestWithLookup', [modelId, a, b, c, pubSignals, ...lookupWords(lookup)]);
    assert.equal(`0x${attestCalldata(modelId, FAKE_PROOF, signals, lookup)}`, expected);
  });
});
