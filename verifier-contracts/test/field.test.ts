/**
 * The BN254 scalar field order is defined once for the contracts (contracts/Field.sol) and once for TypeScript
 * (common/bn254.ts). Every contract that exposes it must read the same value as BN254_R: a typo in either would
 * let an out-of-field signal through one side and not the other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract } from 'ethers';
import { BN254_R } from '../../common/bn254.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import { startTestChain, type TestChain } from './helpers.ts';

describe('contracts/Field.sol: one scalar field order', () => {
  let t: TestChain;
  before(async () => {
    t = await startTestChain();
  });
  after(async () => {
    await t?.chain.stop();
  });

  test('ModelRegistry, InferenceAttestor and RoyaltyVault expose BN254_R', async () => {
    const registry = await deployContract(t.owner, 'ModelRegistry');
    const attestor = await deployContract(t.owner, 'InferenceAttestor', [registry]);
    const mock = await deployContract(t.owner, 'MockMembershipVerifier');
    const vault = await deployContract(t.owner, 'RoyaltyVault', [mock, 60, 60, '0x0000000000000000000000000000000000000000', 0]);
    for (const [name, address] of [
      ['ModelRegistry', registry],
      ['InferenceAttestor', attestor],
      ['RoyaltyVault', vault],
    ] as const) {
      const c = new Contract(address, (await loadArtifact(name)).abi, t.owner);
      assert.equal(await c.getFunction('SNARK_SCALAR_FIELD')(), BN254_R, name);
    }
  });
});
