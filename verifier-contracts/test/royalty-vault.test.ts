// RoyaltyVault's bookkeeping against a dev chain, with a mock verifier whose answer the test sets. The proof-level
// attacks (a squatter's or griefer's own total, another root) are in membership-verifier.test.ts with real proofs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract, Interface, type JsonRpcProvider, parseEther, Wallet, ZeroAddress } from 'ethers';
import * as snarkjs from 'snarkjs';
import { BN254_R } from '../../common/bn254.ts';
import { isZkaiError } from '../../common/errors.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { type DevChain, startDevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import {
  balanceOf,
  claimArguments,
  claimRoyalty,
  epochState,
  fundEpoch,
  ROYALTY_VAULT_ABI,
  reclaimFunding,
  royaltyVaultAt,
  type SnarkjsProof,
  toSolidityCalldata,
  withdraw,
} from '../vault.ts';
import { assertReverts as assertRevertsWith, FAKE_PROOF, startTestChain } from './helpers.ts';

const R = BN254_R;
const FUNDING = 1_000; // seconds of funding after an epoch's first funding
const CLAIMS = 2_000; // seconds of claims after that
const vaultInterface = new Interface(ROYALTY_VAULT_ABI);

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let carol: Wallet;
let mock: Contract;
let vaultAddress: string;
let nextRoot = 1000n;
let nextNullifier = 1n;

/** Vault handle acting as `signer`. */
const vaultAs = (signer: Wallet) => royaltyVaultAt(vaultAddress, signer);

/** A claim with mutable fields, so tests can tamper with it. */
type TestClaim = { proof: SnarkjsProof; publicSignals: string[] };

/** A claim the mock verifier judges; the proof points are arbitrary field elements. */
function fakeClaim(
  root: bigint,
  total: bigint,
  contributor: string,
  weight: bigint,
  epoch: bigint,
  nullifier = nextNullifier++,
): TestClaim {
  return {
    proof: { ...FAKE_PROOF, protocol: 'groth16', curve: 'bn128' },
    publicSignals: [root, total, BigInt(contributor), weight, epoch, nullifier].map(String),
  };
}

/** Moves the chain's clock forward (Hardhat's evm_increaseTime) and mines a block at the new time. */
async function advance(seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}

/** A fresh root whose `epoch` is funded with `pot` wei (by owner), its funding period over: claims are open. */
async function claimableEpoch(pot = parseEther('1'), epoch = 1n): Promise<bigint> {
  const root = nextRoot++;
  await fundEpoch(vaultAs(owner), root, epoch, pot);
  await advance(FUNDING);
  return root;
}

const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(vaultInterface, promise, name);

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  carol = new Wallet(chain.accounts[3], provider);
  const mockAddress = await deployContract(owner, 'MockMembershipVerifier');
  mock = new Contract(mockAddress, (await loadArtifact('MockMembershipVerifier')).abi, owner);
  vaultAddress = await deployContract(owner, 'RoyaltyVault', [mockAddress, FUNDING, CLAIMS, ZeroAddress, 0]);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  // snarkjs keeps its curve's worker threads alive after proving in this process: the file would never exit.
  await releaseVerifierResources();
});

describe('RoyaltyVault', () => {
  test('no registration exists: anyone funds any root, the first funding opens the epoch with a fixed schedule', async () => {
    // The squat of old: registerDataset(root, ownWeight) before the dataset's owner. There is nothing to register.
    const compiled = new Interface((await loadArtifact('RoyaltyVault')).abi);
    assert.equal(compiled.getFunction('registerDataset'), null);
    const root = nextRoot++;
    const receipt = await fundEpoch(vaultAs(bob), root, 7n, 10n);
    const block = await provider.getBlock(receipt.blockNumber);
    const opened = receipt.logs.map((l) => vaultInterface.parseLog(l)).find((p) => p?.name === 'EpochOpened');
    const fundingEnds = BigInt(block!.timestamp + FUNDING);
    assert.deepEqual([...(opened?.args ?? [])], [root, 7n, fundingEnds, fundingEnds + BigInt(CLAIMS)]);
    await fundEpoch(vaultAs(alice), root, 7n, 5n); // anyone may add, the schedule stays
    assert.deepEqual(await epochState(vaultAs(bob), root, 7n), {
      pot: 15n,
      paid: 0n,
      fundingEnds,
      claimsEnd: fundingEnds + BigInt(CLAIMS),
      reclaimedFunding: 0n,
      refunded: 0n,
    });
    assert.equal(await vaultAs(bob).funded(root, 7n, alice.address), 5n);
  });

  test('early freeze: a contributor who funds a little and claims at once is refused; the pot keeps growing; its claim is paid from the final pot', async () => {
    const root = nextRoot++;
    await fundEpoch(vaultAs(alice), root, 1n, 1n); // alice opens the epoch with 1 wei...
    const early = fakeClaim(root, 100n, alice.address, 50n, 1n);
    await assertReverts(claimRoyalty(vaultAs(alice), early), 'ClaimsNotOpen'); // ...and cannot claim it
    await fundEpoch(vaultAs(bob), root, 1n, parseEther('1')); // the real funder still can
    await advance(FUNDING);
    await assertReverts(fundEpoch(vaultAs(bob), root, 1n, 1n), 'FundingClosed');
    const { amount } = await claimRoyalty(vaultAs(alice), early); // the same claim, nothing was consumed
    assert.equal(amount, ((parseEther('1') + 1n) * 50n) / 100n);
  });

  test('several contributors are paid pot × weight / total exactly; payouts + remainder == pot to the wei', async () => {
    const pot = parseEther('1') + 7n; // not divisible by the total: every payout rounds down
    const root = await claimableEpoch(pot, 3n);
    const total = 97n;
    const claims = [
      [alice.address, 10n],
      [bob.address, 30n],
      [carol.address, 57n],
    ] as const;
    let paid = 0n;
    for (const [who, weight] of claims) {
      const before = await balanceOf(vaultAs(owner), who);
      const { amount, contributor } = await claimRoyalty(vaultAs(owner), fakeClaim(root, total, who, weight, 3n));
      assert.equal(amount, (pot * weight) / total);
      assert.equal(contributor, who);
      assert.equal(await balanceOf(vaultAs(owner), who), before + amount);
      paid += amount;
    }
    const state = await epochState(vaultAs(owner), root, 3n);
    assert.equal(state.paid, paid);
    assert.equal(paid + (pot - state.paid), pot);
    assert.equal(pot - paid, pot - (pot * 10n) / 97n - (pot * 30n) / 97n - (pot * 57n) / 97n); // the rounding dust
    assert.ok(pot - paid > 0n && pot - paid < 3n);
  });

  test('refund after expiry: funders reclaim pro rata what was left unclaimed, exactly, once each', async () => {
    const root = nextRoot++;
    const funders = [
      [owner, 1_000_003n],
      [bob, 2_000_000n],
      [carol, 333n],
    ] as const;
    for (const [who, amount] of funders) await fundEpoch(vaultAs(who), root, 1n, amount);
    const pot = funders.reduce((s, [, a]) => s + a, 0n);
    await assertReverts(reclaimFunding(vaultAs(bob), root, 1n), 'ReclaimNotOpen'); // during funding
    await advance(FUNDING);
    // Only one of the records (weight 40 of 100) is claimed.
    const { amount: claimed } = await claimRoyalty(vaultAs(alice), fakeClaim(root, 100n, alice.address, 40n, 1n));
    await assertReverts(reclaimFunding(vaultAs(bob), root, 1n), 'ReclaimNotOpen'); // during claims
    await advance(CLAIMS);
    const late = fakeClaim(root, 100n, bob.address, 60n, 1n);
    await assertReverts(claimRoyalty(vaultAs(bob), late), 'ClaimsClosed');

    const unclaimed = pot - claimed;
    let refunded = 0n;
    let reclaimedFunding = 0n;
    for (const [who, contribution] of funders) {
      const before = await balanceOf(vaultAs(who), who.address);
      const { amount } = await reclaimFunding(vaultAs(who), root, 1n);
      // Cumulative pro rata: each funder gets its share, within a wei of rounding; the sum is exact (below).
      reclaimedFunding += contribution;
      assert.equal(amount, (reclaimedFunding * unclaimed) / pot - refunded);
      assert.ok(amount * pot <= contribution * unclaimed + pot && amount * pot + pot >= contribution * unclaimed);
      assert.equal(await balanceOf(vaultAs(who), who.address), before + amount);
      refunded += amount;
      await assertReverts(reclaimFunding(vaultAs(who), root, 1n), 'NothingToReclaim');
    }
    assert.equal(claimed + refunded, pot, 'payouts + refunds == pot, to the wei');
    assert.equal((await epochState(vaultAs(owner), root, 1n)).refunded, unclaimed);
    await assertReverts(reclaimFunding(vaultAs(alice), root, 1n), 'NothingToReclaim'); // alice funded nothing
    await assertReverts(reclaimFunding(vaultAs(alice), nextRoot++, 1n), 'ReclaimNotOpen'); // never funded
  });

  test('an epoch nobody can claim does not lock its funds: the funder gets all of it back', async () => {
    const root = nextRoot++;
    await fundEpoch(vaultAs(bob), root, 9n, 12_345n);
    await advance(FUNDING + CLAIMS);
    const { amount } = await reclaimFunding(vaultAs(bob), root, 9n);
    assert.equal(amount, 12_345n);
  });

  test('a reused nullifier reverts NullifierUsed, also in another epoch of the same root', async () => {
    const root = await claimableEpoch();
    const claim = fakeClaim(root, 100n, alice.address, 10n, 1n);
    await claimRoyalty(vaultAs(bob), claim);
    await assertReverts(claimRoyalty(vaultAs(bob), claim), 'NullifierUsed');
    await fundEpoch(vaultAs(owner), root, 2n, 1000n);
    await advance(FUNDING);
    await assertReverts(
      claimRoyalty(vaultAs(bob), fakeClaim(root, 100n, alice.address, 10n, 2n, BigInt(claim.publicSignals[5]))),
      'NullifierUsed',
    );
  });

  test('a proof the verifier rejects reverts InvalidProof and uses nothing up', async () => {
    const root = await claimableEpoch();
    const claim = fakeClaim(root, 100n, alice.address, 10n, 1n);
    await (await mock.setResult(false)).wait();
    try {
      await assertReverts(claimRoyalty(vaultAs(bob), claim), 'InvalidProof');
    } finally {
      await (await mock.setResult(true)).wait();
    }
    assert.equal((await epochState(vaultAs(bob), root, 1n)).paid, 0n);
    await claimRoyalty(vaultAs(bob), claim); // the nullifier was not consumed
  });

  test('a claim on an unfunded epoch reverts EmptyEpoch', async () => {
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(nextRoot++, 100n, alice.address, 10n, 1n)), 'EmptyEpoch');
  });

  test('weight above the total, a zero payout and payouts beyond the pot revert', async () => {
    const root = await claimableEpoch(1000n);
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, 100n, alice.address, 101n, 1n)), 'WeightExceedsTotal');
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, 10_000n, alice.address, 1n, 1n)), 'ZeroPayout');
    // Inconsistent totals cannot come from sound proofs of one root; even so, the pot is never overspent.
    await claimRoyalty(vaultAs(bob), fakeClaim(root, 10n, alice.address, 6n, 1n));
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, 10n, bob.address, 6n, 1n)), 'PotExhausted');
  });

  test('funding checks: zero value, a root or an epoch outside the field', async () => {
    await assertReverts(fundEpoch(vaultAs(bob), nextRoot++, 1n, 0n), 'ZeroFunding');
    await assertReverts(fundEpoch(vaultAs(bob), R, 1n, 1n), 'RootOutOfField');
    await assertReverts(fundEpoch(vaultAs(bob), nextRoot++, R, 1n), 'EpochOutOfField');
  });

  test('the constructor refuses a zero verifier and empty periods', async () => {
    const verifier = await mock.getAddress();
    const deploy = (args: unknown[]) => deployContract(owner, 'RoyaltyVault', args);
    for (const [args, name] of [
      [['0x0000000000000000000000000000000000000000', 1, 1, ZeroAddress, 0], 'ZeroVerifier'],
      [[verifier, 0, 1, ZeroAddress, 0], 'InvalidPeriods'],
      [[verifier, 1, 0, ZeroAddress, 0], 'InvalidPeriods'],
    ] as const) {
      await assert.rejects(deploy([...args]), (e: Error) => e.message.includes(vaultInterface.getError(name)!.selector));
    }
  });

  test('withdraw sends the whole balance, emits Withdrawn, and then has nothing left', async () => {
    const dave = new Wallet(chain.accounts[4], provider);
    const root = await claimableEpoch(parseEther('2'));
    const { amount } = await claimRoyalty(vaultAs(bob), fakeClaim(root, 4n, dave.address, 1n, 1n));
    assert.equal(amount, parseEther('0.5'));
    const ethBefore = await provider.getBalance(dave.address);
    const vaultEthBefore = await provider.getBalance(vaultAddress);
    const res = await withdraw(vaultAs(dave));
    assert.equal(res.amount, amount);
    assert.equal(await provider.getBalance(dave.address), ethBefore + amount - res.receipt.fee);
    assert.equal(await provider.getBalance(vaultAddress), vaultEthBefore - amount);
    assert.equal(await balanceOf(vaultAs(dave), dave.address), 0n);
    const ev = res.receipt.logs.map((l) => vaultInterface.parseLog(l)).find((p) => p?.name === 'Withdrawn');
    assert.deepEqual([...(ev?.args ?? [])], [dave.address, amount]);
    await assertReverts(withdraw(vaultAs(dave)), 'NothingToWithdraw');
  });

  test('a payee re-entering withdraw from its receive() is refused: WithdrawFailed, balance intact', async () => {
    const reentrantAddress = await deployContract(owner, 'ReentrantWithdrawer');
    const reentrant = new Contract(reentrantAddress, (await loadArtifact('ReentrantWithdrawer')).abi, bob);
    const root = await claimableEpoch(1000n);
    await claimRoyalty(vaultAs(bob), fakeClaim(root, 2n, reentrantAddress, 1n, 1n));
    await assertReverts(reentrant.withdrawFrom(vaultAddress), 'WithdrawFailed');
    assert.equal(await balanceOf(vaultAs(bob), reentrantAddress), 500n);
  });
});

describe('vault bindings', () => {
  test('ROYALTY_VAULT_ABI matches the compiled contract', async () => {
    const compiled = new Interface((await loadArtifact('RoyaltyVault')).abi);
    // Full signatures: selectors, parameter names, return types, mutability and indexed flags all agree.
    const full = (i: Interface) => i.fragments.map((f) => f.format('full')).sort();
    assert.deepEqual(full(vaultInterface), full(compiled));
  });

  test('toSolidityCalldata matches snarkjs.groth16.exportSolidityCallData (pi_b pairs swapped)', async () => {
    const proof = {
      pi_a: ['11', '12', '1'],
      pi_b: [
        ['21', '22'],
        ['23', '24'],
        ['1', '0'],
      ],
      pi_c: ['31', '32', '1'],
      protocol: 'groth16',
      curve: 'bn128',
    };
    const pub = ['1', '2', '3', '4', '5', '6'];
    const text: string = await snarkjs.groth16.exportSolidityCallData(proof, pub);
    const [a, b, c, input] = JSON.parse(`[${text}]`) as [string[], string[][], string[], string[]];
    const ours = toSolidityCalldata(proof, pub);
    assert.deepEqual(ours.a, a.map(BigInt));
    assert.deepEqual(
      ours.b,
      b.map((p) => p.map(BigInt)),
    );
    assert.deepEqual(ours.c, c.map(BigInt));
    assert.deepEqual(ours.pubSignals, input.map(BigInt));
    assert.deepEqual(ours.b, [
      [22n, 21n],
      [24n, 23n],
    ]);
  });

  test('claim arguments: [root, total, contributor, weight, epoch, nullifier]; bad bundles are refused before touching the chain', () => {
    const good = fakeClaim(1n, 9n, '0x00000000000000000000000000000000000000aa', 3n, 4n, 5n);
    const args = claimArguments(good);
    assert.deepEqual(args.slice(3), [1n, 9n, '0x00000000000000000000000000000000000000AA', 3n, 4n, 5n]);
    const bad = (mutate: (c: TestClaim) => void) => {
      const c = structuredClone(good);
      mutate(c);
      assert.throws(
        () => claimArguments(c),
        (e: unknown) => isZkaiError(e) && e.code === 'BAD_BUNDLE',
      );
    };
    bad((c) => c.publicSignals.pop());
    bad((c) => {
      c.publicSignals[2] = String(1n << 160n); // not an address
    });
    bad((c) => {
      c.publicSignals[0] = String(R); // not a field element
    });
    bad((c) => {
      c.proof.pi_a[0] = 'x';
    });
    bad((c) => {
      c.proof.pi_c[2] = '5'; // not affine
    });
  });

  test('startDevChain refuses a port that is already taken instead of talking to whatever listens there', async () => {
    await assert.rejects(startDevChain({ port: chain.port }), (e: unknown) => isZkaiError(e) && e.code === 'CHAIN_ERROR');
  });

  test('the dev chain exposes Hardhat’s well-known funded accounts', async () => {
    assert.equal(chain.chainId, 31337);
    assert.equal(chain.accounts.length, 20);
    assert.equal(chain.accounts[0], '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    assert.ok((await provider.getBalance(new Wallet(chain.accounts[19]).address)) > 0n);
  });
});
