// RoyaltyVault's bookkeeping against a dev chain, with a mock verifier whose answer the test sets.
// The real verifier path (a snarkjs proof accepted on chain) is tested where a real setup exists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract, Interface, type JsonRpcProvider, parseEther, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { isZkaiError } from '../../common/errors.ts';
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
  registerDataset,
  royaltyVaultAt,
  type SnarkjsProof,
  toSolidityCalldata,
  withdraw,
} from '../vault.ts';
import { assertReverts as assertRevertsWith, startTestChain } from './helpers.ts';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const vaultInterface = new Interface(ROYALTY_VAULT_ABI);

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let mock: Contract;
let vaultAddress: string;
let nextRoot = 1000n;
let nextNullifier = 1n;

/** Vault handle acting as `signer`. */
const vaultAs = (signer: Wallet) => royaltyVaultAt(vaultAddress, signer);

/** A claim with mutable fields, so tests can tamper with it. */
type TestClaim = { proof: SnarkjsProof; publicSignals: string[] };

/** A claim the mock verifier judges; the proof points are arbitrary field elements. */
function fakeClaim(root: bigint, contributor: string, weight: bigint, epoch: bigint, nullifier = nextNullifier++): TestClaim {
  return {
    proof: {
      pi_a: ['1', '2', '1'],
      pi_b: [
        ['3', '4'],
        ['5', '6'],
        ['1', '0'],
      ],
      pi_c: ['7', '8', '1'],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals: [root, BigInt(contributor), weight, epoch, nullifier].map(String),
  };
}

/** Registers a fresh dataset root and funds `epoch` with `pot` wei. */
async function freshDataset(totalWeight: bigint, epoch = 1n, pot = parseEther('1')): Promise<bigint> {
  const root = nextRoot++;
  await registerDataset(vaultAs(owner), root, totalWeight);
  if (pot > 0n) await fundEpoch(vaultAs(owner), root, epoch, pot);
  return root;
}

const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(vaultInterface, promise, name);

before(async () => {
  ({ chain, provider, owner, alice, bob } = await startTestChain());
  const mockAddress = await deployContract(owner, 'MockMembershipVerifier');
  mock = new Contract(mockAddress, (await loadArtifact('MockMembershipVerifier')).abi, owner);
  vaultAddress = await deployContract(owner, 'RoyaltyVault', [mockAddress]);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe('RoyaltyVault', () => {
  test('claim credits pot × weight / totalWeight to the contributor named in the proof, whoever submits it', async () => {
    const root = await freshDataset(1000n, 7n, parseEther('1'));
    await fundEpoch(vaultAs(bob), root, 7n, parseEther('0.5')); // anyone may add to the pot
    const pot = parseEther('1.5');
    const before = await balanceOf(vaultAs(bob), alice.address);
    const claim = fakeClaim(root, alice.address, 37n, 7n);
    const { amount, contributor, receipt } = await claimRoyalty(vaultAs(bob), claim);
    assert.equal(amount, (pot * 37n) / 1000n);
    assert.equal(contributor, alice.address);
    assert.equal(await balanceOf(vaultAs(bob), alice.address), before + amount);
    assert.equal(await balanceOf(vaultAs(bob), bob.address), 0n);

    const ev = receipt.logs.map((l) => vaultInterface.parseLog(l)).find((p) => p?.name === 'RoyaltyClaimed');
    assert.ok(ev);
    assert.deepEqual([...ev.args], [root, 7n, BigInt(claim.publicSignals[4]), alice.address, amount]);
    assert.deepEqual(await epochState(vaultAs(bob), root, 7n), { pot, paid: amount, frozen: true });
    assert.equal(await vaultAs(bob).nullifierUsed(root, BigInt(claim.publicSignals[4])), true);
  });

  test('the payout rounds down; the remainder stays in the vault', async () => {
    const root = await freshDataset(7n, 1n, 10n);
    const { amount } = await claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 3n, 1n));
    assert.equal(amount, 4n); // floor(10 · 3 / 7)
  });

  test('a reused nullifier reverts NullifierUsed', async () => {
    const root = await freshDataset(100n);
    const claim = fakeClaim(root, alice.address, 10n, 1n);
    await claimRoyalty(vaultAs(bob), claim);
    await assertReverts(claimRoyalty(vaultAs(bob), claim), 'NullifierUsed');
    // Same nullifier, other epoch: still used (nullifiers are tracked per root).
    await fundEpoch(vaultAs(owner), root, 2n, 1000n);
    await assertReverts(
      claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 10n, 2n, BigInt(claim.publicSignals[4]))),
      'NullifierUsed',
    );
  });

  test('an unknown root reverts UnknownRoot, for claims and for funding', async () => {
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(999_999n, alice.address, 1n, 1n)), 'UnknownRoot');
    await assertReverts(fundEpoch(vaultAs(bob), 999_999n, 1n, 1n), 'UnknownRoot');
  });

  test('a proof the verifier rejects reverts InvalidProof and uses nothing up', async () => {
    const root = await freshDataset(100n);
    const claim = fakeClaim(root, alice.address, 10n, 1n);
    await (await mock.setResult(false)).wait();
    try {
      await assertReverts(claimRoyalty(vaultAs(bob), claim), 'InvalidProof');
    } finally {
      await (await mock.setResult(true)).wait();
    }
    assert.equal((await epochState(vaultAs(bob), root, 1n)).frozen, false);
    await claimRoyalty(vaultAs(bob), claim); // the nullifier was not consumed
  });

  test('a claim on an unfunded epoch reverts EmptyEpoch', async () => {
    const root = await freshDataset(100n, 1n, 0n);
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 10n, 1n)), 'EmptyEpoch');
  });

  test('funding an epoch after its first claim reverts EpochClosed; other epochs stay open', async () => {
    const root = await freshDataset(100n, 1n, 1000n);
    await fundEpoch(vaultAs(bob), root, 1n, 1000n); // before any claim: fine
    await claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 10n, 1n));
    await assertReverts(fundEpoch(vaultAs(bob), root, 1n, 1000n), 'EpochClosed');
    await fundEpoch(vaultAs(bob), root, 2n, 1000n);
    // Later claims of the closed epoch are paid from the frozen pot.
    const { amount } = await claimRoyalty(vaultAs(bob), fakeClaim(root, bob.address, 25n, 1n));
    assert.equal(amount, 500n);
  });

  test('weight above the total weight reverts WeightExceedsTotal', async () => {
    const root = await freshDataset(100n);
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 101n, 1n)), 'WeightExceedsTotal');
  });

  test('claims beyond the pot (weights over-declared) revert PotExhausted', async () => {
    const root = await freshDataset(10n, 1n, 1000n);
    await claimRoyalty(vaultAs(bob), fakeClaim(root, alice.address, 6n, 1n));
    await assertReverts(claimRoyalty(vaultAs(bob), fakeClaim(root, bob.address, 6n, 1n)), 'PotExhausted');
  });

  test('registration rejects duplicates, zero or oversized weight, and roots outside the field', async () => {
    const root = await freshDataset(100n, 1n, 0n);
    await assertReverts(registerDataset(vaultAs(alice), root, 100n), 'DatasetExists');
    await assertReverts(registerDataset(vaultAs(alice), nextRoot++, 0n), 'InvalidTotalWeight');
    await assertReverts(registerDataset(vaultAs(alice), nextRoot++, 1n << 128n), 'InvalidTotalWeight');
    await assertReverts(registerDataset(vaultAs(alice), R, 1n), 'RootOutOfField');
    const [datasetOwner, totalWeight] = await vaultAs(alice).datasets(root);
    assert.equal(datasetOwner, owner.address);
    assert.equal(totalWeight, 100n);
  });

  test('funding checks: zero value reverts ZeroFunding, an epoch outside the field EpochOutOfField', async () => {
    const root = await freshDataset(100n, 1n, 0n);
    await assertReverts(fundEpoch(vaultAs(bob), root, 1n, 0n), 'ZeroFunding');
    await assertReverts(fundEpoch(vaultAs(bob), root, R, 1n), 'EpochOutOfField');
  });

  test('withdraw sends the whole balance, emits Withdrawn, and then has nothing left', async () => {
    const carol = new Wallet(chain.accounts[3], provider);
    const root = await freshDataset(4n, 1n, parseEther('2'));
    const { amount } = await claimRoyalty(vaultAs(bob), fakeClaim(root, carol.address, 1n, 1n));
    assert.equal(amount, parseEther('0.5'));
    const ethBefore = await provider.getBalance(carol.address);
    const vaultEthBefore = await provider.getBalance(vaultAddress);
    const res = await withdraw(vaultAs(carol));
    assert.equal(res.amount, amount);
    assert.equal(await provider.getBalance(carol.address), ethBefore + amount - res.receipt.fee);
    assert.equal(await provider.getBalance(vaultAddress), vaultEthBefore - amount);
    assert.equal(await balanceOf(vaultAs(carol), carol.address), 0n);
    const ev = res.receipt.logs.map((l) => vaultInterface.parseLog(l)).find((p) => p?.name === 'Withdrawn');
    assert.deepEqual([...(ev?.args ?? [])], [carol.address, amount]);
    await assertReverts(withdraw(vaultAs(carol)), 'NothingToWithdraw');
  });

  test('a payee re-entering withdraw from its receive() is refused: WithdrawFailed, balance intact', async () => {
    const reentrantAddress = await deployContract(owner, 'ReentrantWithdrawer');
    const reentrant = new Contract(reentrantAddress, (await loadArtifact('ReentrantWithdrawer')).abi, bob);
    const root = await freshDataset(2n, 1n, 1000n);
    await claimRoyalty(vaultAs(bob), fakeClaim(root, reentrantAddress, 1n, 1n));
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
    const pub = ['1', '2', '3', '4', '5'];
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

  test('claim arguments: bad bundles are refused before touching the chain', () => {
    const good = fakeClaim(1n, '0x00000000000000000000000000000000000000aa', 1n, 1n);
    assert.equal(String(claimArguments(good)[4]).toLowerCase(), '0x00000000000000000000000000000000000000aa');
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
      c.publicSignals[1] = String(1n << 160n); // not an address
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
