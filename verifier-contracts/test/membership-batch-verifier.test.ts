// Batch claims with real proofs: the snarkjs-exported verifier of a small batch circuit (2 slots, depth 4, dev ptau:
// seconds, cached under .zkai/) installed by deployMembership next to the single-record verifier; the vault is bound
// to both. Records claimed in a batch and singly share one nullifier set; a proof cannot be redirected or moved to
// another epoch.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Interface, type JsonRpcProvider, Wallet } from 'ethers';
import { commitDataset, type Dataset } from '../../circuits/dataset/index.ts';
import { packClaimant } from '../../circuits/membership.ts';
import { type ProofBundle, parseBundle } from '../../prover/bundle.ts';
import { type MembershipCircuit, prepareMembershipCircuit, proveMembership } from '../../prover/membership.ts';
import { type MembershipBatchCircuit, prepareMembershipBatchCircuit, proveMembershipBatch } from '../../prover/membership-batch.ts';
import { ProverPool } from '../../prover/pool.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../chain.ts';
import { deployMembership, type MembershipContracts, readDeployment, writeDeployment } from '../deploy.ts';
import { balanceOf, claimRoyalty, fundEpoch, ROYALTY_VAULT_ABI, royaltyVaultAt } from '../vault.ts';
import { claimRoyaltyBatch } from '../vault-batch.ts';
import { assertReverts as assertRevertsWith } from './helpers.ts';

const SLOTS = 2;
const DEPTH = 4;
const EPOCH = 5n;
const FUNDING = 100;
const CLAIMS = 1_000;
const POT = 1_000_003n;
const assertReverts = (promise: Promise<unknown>, name: string) => assertRevertsWith(new Interface(ROYALTY_VAULT_ABI), promise, name);

let chain: DevChain;
let provider: JsonRpcProvider;
let signer: Wallet;
let deployed: MembershipContracts;
let single: MembershipCircuit;
let batch: MembershipBatchCircuit;
let pool: ProverPool;
let dataset: Dataset;
let tmp: string;
// Contributor 0 owns two records (rec-0, rec-2).
const contributors = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
const owners = [0, 1, 0, 2];
const vault = () => royaltyVaultAt(deployed.RoyaltyVault, signer);
const share = (i: number) => (POT * dataset.records[i]!.weight) / BigInt(dataset.manifest.totalWeight);

before(async () => {
  single = await prepareMembershipCircuit(DEPTH);
  batch = await prepareMembershipBatchCircuit(SLOTS, DEPTH);
  pool = new ProverPool({ threads: 1 });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-batch-verifier-'));
  const records = owners.map((o, i) => ({
    id: `rec-${i}`,
    contributor: contributors[o]!.address.toLowerCase(),
    contentHash: `0x${String(i + 1).padStart(64, '0')}`,
    weight: BigInt(10 * (i + 1)),
  }));
  dataset = await commitDataset(records, path.join(tmp, 'dataset.json'), { depth: DEPTH });
  chain = await startDevChain({ port: await freePort() });
  provider = localProvider(chain.url);
  signer = new Wallet(chain.accounts[0], provider);
  deployed = await deployMembership({
    signer,
    verifierSolidity: await readFile(single.setup.solidityVerifierPath, 'utf8'),
    batch: { verifierSolidity: await readFile(batch.setup.solidityVerifierPath, 'utf8'), slots: SLOTS },
    periods: { fundingSeconds: FUNDING, claimSeconds: CLAIMS },
  });
  const root = BigInt(dataset.manifest.root);
  for (const epoch of [EPOCH, EPOCH + 1n]) await fundEpoch(vault(), root, epoch, POT);
  await provider.send('evm_increaseTime', [FUNDING]);
  await provider.send('evm_mine', []);
});

after(async () => {
  await pool?.close();
  provider?.destroy();
  await chain?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  await releaseVerifierResources();
});

/** The bundle with public signal `i` replaced (as a redirecting relayer would). */
function tampered(bundle: ProofBundle, i: number, value: bigint) {
  const publicSignals = [...bundle.publicSignals];
  publicSignals[i] = String(value);
  return { proof: bundle.proof, publicSignals };
}

describe('generated batch verifier and RoyaltyVault.claimBatch with real proofs', () => {
  test('deployMembership binds the vault to the batch verifier; the bundle parses and names its slots', async () => {
    assert.equal(await vault().batchVerifier(), deployed.MembershipBatchVerifier);
    assert.equal(await vault().batchSlots(), BigInt(SLOTS));
    const bundle = await proveMembershipBatch(pool, batch, dataset, ['rec-3'], EPOCH);
    assert.equal(parseBundle(JSON.parse(JSON.stringify(bundle))).kind, 'membership-batch');
    assert.deepEqual(Object.keys(bundle.public), ['root', 'total', 'epoch', 'claimant[0]', 'claimant[1]', 'nullifier[0]', 'nullifier[1]']);
    assert.equal(bundle.public['claimant[1]'], '0');
    // The deployment record keeps the batch verifier's address.
    const file = path.join(tmp, 'deployment.json');
    const contracts = { MembershipVerifier: deployed.MembershipVerifier, RoyaltyVault: deployed.RoyaltyVault };
    await writeDeployment(file, {
      url: chain.url,
      chainId: deployed.chainId,
      contracts: { ...contracts, MembershipBatchVerifier: deployed.MembershipBatchVerifier! },
      deployedAt: 'now',
    });
    assert.equal((await readDeployment(file)).contracts.MembershipBatchVerifier, deployed.MembershipBatchVerifier);
    await writeDeployment(file, { url: chain.url, chainId: deployed.chainId, contracts, deployedAt: 'now' });
    assert.deepEqual((await readDeployment(file)).contracts, contracts);
  });

  test('a batch of one contributor’s two records pays both, once; a single claim of either is then NullifierUsed', async () => {
    const bundle = await proveMembershipBatch(pool, batch, dataset, ['rec-0', 'rec-2'], EPOCH);
    const who = contributors[0]!.address;
    const before = await balanceOf(vault(), who);
    const { amount } = await claimRoyaltyBatch(vault(), bundle);
    assert.equal(amount, share(0) + share(2));
    assert.equal(await balanceOf(vault(), who), before + amount);
    await assertReverts(claimRoyaltyBatch(vault(), bundle), 'NullifierUsed');
    const alone = await proveMembership(pool, single, dataset, 'rec-2', EPOCH);
    assert.equal(alone.public.nullifier, bundle.public['nullifier[1]'], 'one nullifier per record and epoch, whichever circuit');
    await assertReverts(claimRoyalty(vault(), alone), 'NullifierUsed');
  });

  test('a record claimed singly cannot be claimed again in a batch; the batch is refused whole', async () => {
    await claimRoyalty(vault(), await proveMembership(pool, single, dataset, 'rec-1', EPOCH));
    const bundle = await proveMembershipBatch(pool, batch, dataset, ['rec-3', 'rec-1'], EPOCH);
    await assertReverts(claimRoyaltyBatch(vault(), bundle), 'NullifierUsed');
    assert.equal(await vault().nullifierUsed(BigInt(dataset.manifest.root), BigInt(bundle.public['nullifier[0]']!)), false);
  });

  test('a tampered recipient or weight, another epoch or root, is InvalidProof; the honest proof then pays', async () => {
    const bundle = await proveMembershipBatch(pool, batch, dataset, ['rec-3'], EPOCH + 1n);
    const thief = BigInt(Wallet.createRandom().address);
    const w = dataset.records[3]!.weight;
    for (const forged of [
      tampered(bundle, 3, packClaimant(thief, w)),
      tampered(bundle, 3, packClaimant(BigInt(contributors[2]!.address), w + 1n)),
      tampered(bundle, 2, EPOCH),
      tampered(bundle, 0, 12345n),
    ]) {
      await assert.rejects(claimRoyaltyBatch(vault(), forged), (e: Error) => /reverted: (InvalidProof|EmptyEpoch)\(/.test(e.message));
    }
    await assertReverts(claimRoyaltyBatch(vault(), tampered(bundle, 2, EPOCH)), 'InvalidProof'); // a funded epoch
    const { amount } = await claimRoyaltyBatch(vault(), bundle);
    assert.equal(amount, share(3));
  });

  test('after the claim window a batch is ClaimsClosed', async () => {
    const bundle = await proveMembershipBatch(pool, batch, dataset, ['rec-0'], EPOCH + 1n);
    await provider.send('evm_increaseTime', [CLAIMS]);
    await provider.send('evm_mine', []);
    await assertReverts(claimRoyaltyBatch(vault(), bundle), 'ClaimsClosed');
  });
});
