// RoyaltyVault.claimBatch's bookkeeping and its adversarial cases, against a mock 4-slot batch verifier that accepts
// exactly the public signals the test declares proven (as a real proof binds them). The circuit's own soundness
// (dummy slots, inflated weights, wrong paths) is in circuits/membership-batch.test.ts; real proofs end to end in
// membership-batch-verifier.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract, Interface, id, type JsonRpcProvider, parseEther, type Wallet, ZeroAddress } from 'ethers';
import { MAX_BATCH_SLOTS, membershipBatchSignalNames, packClaimant } from '../../circuits/membership.ts';
import type { ZkaiError } from '../../common/errors.ts';
import type { DevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import { balanceOf, claimRoyalty, epochState, fundEpoch, ROYALTY_VAULT_ABI, royaltyVaultAt, type SnarkjsProof } from '../vault.ts';
import { batchClaimArguments, claimRoyaltyBatch } from '../vault-batch.ts';
import { assertReverts as assertRevertsWith, FAKE_PROOF, startTestChain } from './helpers.ts';

const SLOTS = 4;
const FUNDING = 1_000;
const CLAIMS = 2_000;
const vaultInterface = new Interface(ROYALTY_VAULT_ABI);
const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(vaultInterface, promise, name);

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let mock: Contract;
let vaultAddress: string;
let nextRoot = 5000n;
let nextNullifier = 1n;

const vault = () => royaltyVaultAt(vaultAddress, owner);
const PROOF: SnarkjsProof = FAKE_PROOF;

interface Slot {
  contributor: string;
  weight: bigint;
  nullifier: bigint;
}

/** The batch circuit's public signals for these slots (unused ones 0), as decimal strings. */
function signals(root: bigint, total: bigint, epoch: bigint, slots: Slot[]): string[] {
  const pad = <T>(xs: T[], zero: T) => [...xs, ...Array.from({ length: SLOTS - xs.length }, () => zero)];
  return [
    root,
    total,
    epoch,
    ...pad(
      slots.map((s) => packClaimant(BigInt(s.contributor), s.weight)),
      0n,
    ),
    ...pad(
      slots.map((s) => s.nullifier),
      0n,
    ),
  ].map(String);
}

/** Declares `slots` proven for (root, total, epoch) and returns the matching batch claim. */
async function provenBatch(root: bigint, total: bigint, epoch: bigint, slots: Slot[]) {
  const publicSignals = signals(root, total, epoch, slots);
  await (await mock.setProven(publicSignals.map(BigInt))).wait();
  return { proof: PROOF, publicSignals };
}

const slot = (contributor: string, weight: bigint, nullifier = nextNullifier++): Slot => ({ contributor, weight, nullifier });

async function advance(seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}

async function claimableEpoch(pot = parseEther('1'), epoch = 1n): Promise<bigint> {
  const root = nextRoot++;
  await fundEpoch(vault(), root, epoch, pot);
  await advance(FUNDING);
  return root;
}

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  const single = await deployContract(owner, 'MockMembershipVerifier');
  const batch = await deployContract(owner, 'MockMembershipBatchVerifier');
  mock = new Contract(batch, (await loadArtifact('MockMembershipBatchVerifier')).abi, owner);
  vaultAddress = await deployContract(owner, 'RoyaltyVault', [single, FUNDING, CLAIMS, batch, SLOTS]);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe('RoyaltyVault.claimBatch', () => {
  test('pays each record pot × weight / total, as single claims would; one balance write per recipient', async () => {
    const pot = parseEther('1') + 13n;
    const root = await claimableEpoch(pot);
    const total = 97n;
    const slots = [slot(alice.address, 10n), slot(bob.address, 30n), slot(alice.address, 7n)];
    const claim = await provenBatch(root, total, 1n, slots);
    const before = { alice: await balanceOf(vault(), alice.address), bob: await balanceOf(vault(), bob.address) };
    const { amount, receipt } = await claimRoyaltyBatch(vault(), claim);
    const shares = slots.map((s) => (pot * s.weight) / total);
    assert.equal(
      amount,
      shares.reduce((x, y) => x + y),
    );
    assert.equal(await balanceOf(vault(), alice.address), before.alice + shares[0]! + shares[2]!);
    assert.equal(await balanceOf(vault(), bob.address), before.bob + shares[1]!);
    assert.equal((await epochState(vault(), root, 1n)).paid, amount);
    const events = receipt.logs.map((l) => vaultInterface.parseLog(l)).filter((p) => p?.name === 'RoyaltyClaimed');
    assert.deepEqual(
      events.map((e) => [...e!.args]),
      slots.map((s, i) => [root, 1n, s.nullifier, s.contributor, shares[i]]),
    );
    for (const s of slots) assert.equal(await vault().nullifierUsed(root, s.nullifier), true);
    // A full batch (every slot used) works too.
    const full = Array.from({ length: SLOTS }, (_, i) => slot(bob.address, BigInt(i + 1)));
    const { amount: fullAmount } = await claimRoyaltyBatch(vault(), await provenBatch(root, total, 1n, full));
    assert.equal(
      fullAmount,
      full.reduce((x, s) => x + (pot * s.weight) / total, 0n),
    );
  });

  test('the same record twice in one batch reverts NullifierUsed and pays nothing', async () => {
    const root = await claimableEpoch();
    const twice = slot(alice.address, 5n);
    const claim = await provenBatch(root, 100n, 1n, [twice, slot(bob.address, 1n), twice]);
    await assertReverts(claimRoyaltyBatch(vault(), claim), 'NullifierUsed');
    assert.equal((await epochState(vault(), root, 1n)).paid, 0n);
    assert.equal(await vault().nullifierUsed(root, twice.nullifier), false);
  });

  test('a record claimed in a batch cannot be claimed again: by another batch or by a single claim; and vice versa', async () => {
    const root = await claimableEpoch();
    const first = slot(alice.address, 5n);
    const claim = await provenBatch(root, 100n, 1n, [first]);
    await claimRoyaltyBatch(vault(), claim);
    await assertReverts(claimRoyaltyBatch(vault(), claim), 'NullifierUsed');
    const again = await provenBatch(root, 100n, 1n, [slot(bob.address, 3n), first]);
    await assertReverts(claimRoyaltyBatch(vault(), again), 'NullifierUsed');
    // The single claim's mock accepts any proof: only the shared nullifier set stops it.
    const single = {
      proof: PROOF,
      publicSignals: [root, 100n, BigInt(alice.address), 5n, 1n, first.nullifier].map(String),
    };
    await assertReverts(claimRoyalty(vault(), single), 'NullifierUsed');
    // Single first, then the same record in a batch.
    const alone = slot(bob.address, 4n);
    await claimRoyalty(vault(), { proof: PROOF, publicSignals: [root, 100n, BigInt(bob.address), 4n, 1n, alone.nullifier].map(String) });
    await assertReverts(claimRoyaltyBatch(vault(), await provenBatch(root, 100n, 1n, [slot(alice.address, 2n), alone])), 'NullifierUsed');
  });

  test('a tampered recipient, weight, nullifier, total, root or epoch is not what was proven: InvalidProof, nothing consumed', async () => {
    const [root, other] = [nextRoot++, nextRoot++];
    for (const [r, e] of [
      [root, 1n],
      [root, 2n],
      [other, 1n],
    ] as const) {
      await fundEpoch(vault(), r, e, parseEther('1'));
    }
    await advance(FUNDING);
    const slots = [slot(alice.address, 10n), slot(bob.address, 20n)];
    const claim = await provenBatch(root, 100n, 1n, slots);
    const tamper = (i: number, value: bigint) => {
      const c = structuredClone(claim);
      c.publicSignals[i] = String(value);
      return c;
    };
    const cases: [string, ReturnType<typeof tamper>][] = [
      ['recipient', tamper(3, packClaimant(BigInt(bob.address), 10n))],
      ['weight', tamper(4, packClaimant(BigInt(bob.address), 90n))],
      ['nullifier', tamper(3 + SLOTS, nextNullifier++)],
      ['total', tamper(1, 50n)],
      ['root', tamper(0, other)],
      ['epoch', tamper(2, 2n)],
    ];
    for (const [what, c] of cases) {
      await assert.rejects(claimRoyaltyBatch(vault(), c), (e: Error) => e.message.includes('reverted: InvalidProof()'), what);
    }
    // Dropping a proven slot (claiming fewer records than proven) is a different statement as well.
    const dropped = structuredClone(claim);
    dropped.publicSignals[4] = '0';
    dropped.publicSignals[4 + SLOTS] = '0';
    await assertReverts(claimRoyaltyBatch(vault(), dropped), 'InvalidProof');
    assert.equal((await epochState(vault(), root, 1n)).paid, 0n);
    await claimRoyaltyBatch(vault(), claim); // the honest batch, untouched
  });

  test('outside the claim window: ClaimsNotOpen before, ClaimsClosed after; EmptyEpoch when unfunded', async () => {
    const root = nextRoot++;
    await fundEpoch(vault(), root, 1n, 1000n);
    const claim = await provenBatch(root, 10n, 1n, [slot(alice.address, 1n)]);
    await assertReverts(claimRoyaltyBatch(vault(), claim), 'ClaimsNotOpen');
    await advance(FUNDING + CLAIMS);
    await assertReverts(claimRoyaltyBatch(vault(), claim), 'ClaimsClosed');
    const unfunded = await provenBatch(nextRoot++, 10n, 1n, [slot(alice.address, 1n)]);
    await assertReverts(claimRoyaltyBatch(vault(), unfunded), 'EmptyEpoch');
  });

  test('batch size, zero payouts, weights above the total and overspending are refused', async () => {
    const root = await claimableEpoch(1000n);
    const args = batchClaimArguments(await provenBatch(root, 100n, 1n, [slot(alice.address, 1n)]));
    const raw = (claims: unknown[]) => vault().claimBatch(args[0], args[1], args[2], root, 100n, 1n, claims);
    await assertReverts(raw([]), 'BadBatchSize');
    const five = Array.from({ length: SLOTS + 1 }, () => [alice.address, 1n, nextNullifier++]);
    await assertReverts(raw(five), 'BadBatchSize');
    await assertReverts(claimRoyaltyBatch(vault(), await provenBatch(root, 100_000n, 1n, [slot(alice.address, 1n)])), 'ZeroPayout');
    await assertReverts(claimRoyaltyBatch(vault(), await provenBatch(root, 10n, 1n, [slot(alice.address, 11n)])), 'WeightExceedsTotal');
    // Inconsistent totals cannot come from a sound proof of one root; even so the pot is never overspent.
    await claimRoyaltyBatch(vault(), await provenBatch(root, 10n, 1n, [slot(alice.address, 6n)]));
    await assertReverts(claimRoyaltyBatch(vault(), await provenBatch(root, 10n, 1n, [slot(bob.address, 6n)])), 'PotExhausted');
  });

  test('an unused slot submitted as a claim (zero recipient, weight and nullifier: what the proof binds) pays nothing: ZeroPayout', async () => {
    const root = await claimableEpoch();
    const claim = await provenBatch(root, 100n, 1n, [slot(alice.address, 5n)]);
    const [a, b, c] = batchClaimArguments(claim);
    const claims = [
      [alice.address, 5n, BigInt(claim.publicSignals[3 + SLOTS]!)],
      [ZeroAddress, 0n, 0n],
    ];
    await assertReverts(vault().claimBatch(a, b, c, root, 100n, 1n, claims), 'ZeroPayout');
    assert.equal((await epochState(vault(), root, 1n)).paid, 0n);
  });

  test('MAX_BATCH_SLOTS is the one of circuits/membership.ts; the verifier selector is derived from the slot count', async () => {
    assert.equal(await vault().MAX_BATCH_SLOTS(), BigInt(MAX_BATCH_SLOTS));
    const single = await deployContract(owner, 'MockMembershipVerifier');
    for (const slots of [1, 3, 48, 49, MAX_BATCH_SLOTS]) {
      const v = royaltyVaultAt(await deployContract(owner, 'RoyaltyVault', [single, FUNDING, CLAIMS, single, slots]), owner);
      const n = membershipBatchSignalNames(slots).length;
      assert.equal(await v.batchVerifySelector(), id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`).slice(0, 10));
    }
  });

  test('a vault without a batch verifier refuses claimBatch; the constructor checks the slot count', async () => {
    const single = await deployContract(owner, 'MockMembershipVerifier');
    const plain = royaltyVaultAt(await deployContract(owner, 'RoyaltyVault', [single, FUNDING, CLAIMS, ZeroAddress, 0]), owner);
    assert.equal(await plain.batchSlots(), 0n);
    const args = batchClaimArguments(await provenBatch(1n, 10n, 1n, [slot(alice.address, 1n)]));
    await assertReverts(plain.claimBatch(...args), 'BatchClaimsDisabled');
    // The tooling asks before sending: a typed error that says how to get a vault that takes batch claims.
    await assert.rejects(claimRoyaltyBatch(plain, await provenBatch(1n, 10n, 1n, [slot(alice.address, 1n)])), (e: ZkaiError) => {
      assert.equal(e.code, 'BATCH_CLAIMS_DISABLED');
      assert.match(e.message, /deployed without a batch verifier/);
      assert.match(e.message, /ZKAI_BATCH_SLOTS=16/);
      assert.match(e.message, /zkai chain deploy --rpc <url> --batch-slots 16/);
      return true;
    });
    const batch = await mock.getAddress();
    for (const args of [
      [batch, 0],
      [ZeroAddress, 4],
      [batch, MAX_BATCH_SLOTS + 1],
    ] as const) {
      await assert.rejects(deployContract(owner, 'RoyaltyVault', [single, FUNDING, CLAIMS, ...args]), (e: Error) =>
        e.message.includes(vaultInterface.getError('InvalidBatchSlots')!.selector),
      );
    }
  });

  test('a proof of another slot count than the vault’s batch verifier takes is BAD_BUNDLE naming the count, before sending', async () => {
    const root = await claimableEpoch();
    const s = slot(alice.address, 1n);
    // A 2-slot proof against the 4-slot vault: on chain it would only be InvalidProof.
    const twoSlots = {
      proof: PROOF,
      publicSignals: [root, 10n, 1n, packClaimant(BigInt(s.contributor), s.weight), 0n, s.nullifier, 0n].map(String),
    };
    await assert.rejects(claimRoyaltyBatch(vault(), twoSlots), (e: ZkaiError) => {
      assert.equal(e.code, 'BAD_BUNDLE');
      assert.match(
        e.message,
        /the batch proof has 2 slots, RoyaltyVault 0x[0-9a-fA-F]{40}'s batch verifier takes 4: prove again with --slots 4/,
      );
      return true;
    });
    assert.equal((await epochState(vault(), root, 1n)).paid, 0n);
  });

  test('batchClaimArguments splits claimants and refuses bundles a vault could not take', () => {
    const good = { proof: PROOF, publicSignals: signals(1n, 9n, 4n, [slot(`0x${'ab'.repeat(20)}`, 3n, 77n)]) };
    const [, , , root, total, epoch, claims] = batchClaimArguments(good);
    assert.deepEqual([root, total, epoch], [1n, 9n, 4n]);
    assert.deepEqual(claims, [{ contributor: '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB', weight: 3n, nullifier: 77n }]);
    const bad = (publicSignals: string[]) =>
      assert.throws(
        () => batchClaimArguments({ proof: PROOF, publicSignals }),
        (e: { code?: string }) => e.code === 'BAD_BUNDLE',
      );
    bad(good.publicSignals.slice(0, 6)); // not 3 + 2k
    bad(signals(1n, 9n, 4n, [])); // no used slot
    const gap = signals(1n, 9n, 4n, [slot(alice.address, 1n, 5n), slot(bob.address, 1n, 6n)]);
    gap[3] = '0';
    gap[3 + SLOTS] = '0';
    bad(gap); // an unused slot before a used one
  });
});
