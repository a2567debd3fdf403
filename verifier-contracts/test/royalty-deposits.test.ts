// RoyaltyVault's royalty epochs (issue 15 item 3's rule for market money): deposits go to a root's current royalty
// epoch, a new one once its funding window closed; what contributors leave unclaimed rolls over into the root's next
// royalty epoch, exactly, beside hand funders who reclaim their own share. Claims use a mock membership verifier:
// the point here is the bookkeeping (membership-verifier.test.ts has the real proofs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Interface, type JsonRpcProvider, type Wallet, ZeroAddress } from 'ethers';
import type { DevChain } from '../chain.ts';
import { deployContract } from '../deploy.ts';
import { currentRoyaltyEpoch, depositRoyalty, rollOverRoyalty } from '../royalty-deposits.ts';
import { balanceOf, claimRoyalty, epochState, fundEpoch, ROYALTY_VAULT_ABI, reclaimFunding, royaltyVaultAt } from '../vault.ts';
import { assertReverts as assertRevertsWith, FAKE_PROOF, startTestChain } from './helpers.ts';
import { advance } from './market-fixture.ts';

const FUNDING = 1000;
const CLAIMS = 2000;
const vaultInterface = new Interface(ROYALTY_VAULT_ABI);
const assertReverts = (p: Promise<unknown>, name: string) => assertRevertsWith(vaultInterface, p, name);

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let vaultAddress: string;
let nextNullifier = 1n;
const vaultAs = (w: Wallet) => royaltyVaultAt(vaultAddress, w);

/** A claim the mock verifier accepts: [root, total, contributor, weight, epoch, nullifier]. */
function fakeClaim(root: bigint, total: bigint, contributor: string, weight: bigint, epoch: bigint) {
  return {
    proof: FAKE_PROOF,
    publicSignals: [root, total, BigInt(contributor), weight, epoch, nextNullifier++].map(String),
  };
}

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  const mock = await deployContract(owner, 'MockMembershipVerifier');
  vaultAddress = await deployContract(owner, 'RoyaltyVault', [mock, FUNDING, CLAIMS, ZeroAddress, 0]);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe('royalty epochs', () => {
  test('deposits share the current epoch until its funding closes, then open the next', async () => {
    const root = 71n;
    const first = await depositRoyalty(vaultAs(owner), root, 300n);
    assert.equal(first.epoch, await vaultAs(owner).royaltyEpochLabel(root, 0n));
    assert.equal((await depositRoyalty(vaultAs(alice), root, 200n)).epoch, first.epoch);
    assert.equal((await epochState(vaultAs(owner), root, first.epoch)).pot, 500n);
    assert.equal(await vaultAs(owner).rolling(root, first.epoch), 500n);
    // Deposits are nobody's funding: nothing to reclaim for the depositor.
    assert.equal(await vaultAs(owner).funded(root, first.epoch, owner.address), 0n);
    await advance(provider, FUNDING);
    const second = await depositRoyalty(vaultAs(owner), root, 1n);
    assert.equal(second.epoch, await vaultAs(owner).royaltyEpochLabel(root, 1n));
    assert.deepEqual(await currentRoyaltyEpoch(vaultAs(owner), root), { index: 1n, epoch: second.epoch });
    await assertReverts(depositRoyalty(vaultAs(owner), root, 0n), 'ZeroFunding');
  });

  test('unclaimed money rolls over exactly, beside a hand funder’s reclaim; once; not before the claims close', async () => {
    const root = 72n;
    const { epoch } = await depositRoyalty(vaultAs(owner), root, 1001n);
    // A hand funder adds to the same epoch (fundEpoch is open to anyone); it keeps its right to reclaim.
    await fundEpoch(vaultAs(bob), root, epoch, 500n);
    await advance(provider, FUNDING);
    // Claims: weights 1 and 1 of a total of 3 (the third record never claims).
    await claimRoyalty(vaultAs(alice), fakeClaim(root, 3n, alice.address, 1n, epoch));
    await claimRoyalty(vaultAs(alice), fakeClaim(root, 3n, bob.address, 1n, epoch));
    const claimed = 2n * (1501n / 3n);
    await assertReverts(rollOverRoyalty(vaultAs(alice), root, epoch), 'ReclaimNotOpen');
    await advance(provider, CLAIMS);

    const bobBefore = await balanceOf(vaultAs(bob), bob.address);
    await reclaimFunding(vaultAs(bob), root, epoch);
    const reclaimed = (await balanceOf(vaultAs(bob), bob.address)) - bobBefore;
    const rolled = await rollOverRoyalty(vaultAs(alice), root, epoch);
    // Every wei of the pot is accounted for: claims + the funder's reclaim + the roll-over.
    assert.equal(claimed + reclaimed + rolled.amount, 1501n);
    assert.equal(reclaimed, ((1501n - claimed) * 500n) / 1501n);
    assert.equal(rolled.toEpoch, await vaultAs(owner).royaltyEpochLabel(root, 1n));
    assert.equal(await vaultAs(owner).rolling(root, rolled.toEpoch), rolled.amount);
    await assertReverts(rollOverRoyalty(vaultAs(alice), root, epoch), 'NothingToRollOver');
    // The rolled money is claimable again by the same dataset's contributors in the new epoch.
    await advance(provider, FUNDING);
    await claimRoyalty(vaultAs(alice), fakeClaim(root, 3n, alice.address, 1n, rolled.toEpoch));
  });

  test('an epoch label funded early by a griefer is skipped', async () => {
    const root = 73n;
    const { epoch } = await depositRoyalty(vaultAs(owner), root, 10n);
    // The griefer opens the next label now, so its funding window closes long before the market needs it.
    const next = await vaultAs(owner).royaltyEpochLabel(root, 1n);
    await fundEpoch(vaultAs(bob), root, next, 1n);
    await advance(provider, FUNDING);
    const after = await depositRoyalty(vaultAs(owner), root, 10n);
    assert.notEqual(after.epoch, epoch);
    assert.equal(after.epoch, await vaultAs(owner).royaltyEpochLabel(root, 2n));
  });
});
