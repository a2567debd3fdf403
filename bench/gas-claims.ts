/**
 * Gas of RoyaltyVault's claims with real proofs (part of `npm run bench -- gas`): the single claim (one depth-20
 * membership proof, snarkjs's verifier: the baseline) against claimBatch (one proof of the 16-slot depth-20 batch
 * circuit for up to 16 records, snarkjs's verifier of that circuit), per claimed record; and withdraw.
 *
 * Batch scenarios, all on one dataset and one chain:
 *  - one contributor's 16 records (its balance written once);
 *  - 16 records of 16 contributors with no balance yet (16 fresh balance slots: 16 × 20,000 gas more);
 *  - the same 16 contributors in the next epoch (their balances already non-zero);
 *  - 8 of one contributor's records in a 16-slot proof (unused slots cost their elliptic-curve multiplication).
 * Gas is deterministic for a given call; per record = the transaction's gasUsed (21,000 base and calldata included)
 * divided by the records it pays.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type JsonRpcProvider, Wallet } from 'ethers';
import { commitDataset, type DatasetRecord } from '../circuits/dataset/index.ts';
import { prepareMembershipCircuit, proveMembership } from '../prover/membership.ts';
import { DEFAULT_BATCH_SLOTS, prepareMembershipBatchCircuit, proveMembershipBatch } from '../prover/membership-batch.ts';
import type { ProverPool } from '../prover/pool.ts';
import { deployMembership } from '../verifier-contracts/deploy.ts';
import { claimRoyalty, fundEpoch, royaltyVaultAt, withdraw } from '../verifier-contracts/vault.ts';
import { claimRoyaltyBatch } from '../verifier-contracts/vault-batch.ts';

const DEPTH = 20;
const SLOTS = DEFAULT_BATCH_SLOTS;

export interface ClaimGas {
  claim: number[];
  claimBatch: Record<string, { records: number; gas: number; perRecord: number; ratioToSingle: number }>;
  withdraw: number;
  batchCircuit: { slots: number; depth: number; constraints: number; publicSignals: number; provingMs: number[] };
  /** The vault and dataset root used, for the paid-inference bench on the same chain (not written to results). */
  vault: string;
  datasetRoot: bigint;
}

export async function benchClaimGas(opts: {
  provider: JsonRpcProvider;
  /** Funded keys: [0] deploys and funds, [1] is the contributor owning 16 records (it withdraws). */
  accounts: readonly string[];
  pool: ProverPool;
  tmp: string;
  log: (m: string) => void;
}): Promise<ClaimGas> {
  const { provider, pool, log } = opts;
  const signer = new Wallet(opts.accounts[0]!, provider);
  const owner = new Wallet(opts.accounts[1]!, provider);
  const fresh = () => Wallet.createRandom().address.toLowerCase();
  // Records 0..15: one contributor; 16..31: one each; 32..34: the single-claim baseline (one each).
  const contributorOf = (i: number) => (i < SLOTS ? owner.address.toLowerCase() : fresh());
  const records: DatasetRecord[] = Array.from({ length: 2 * SLOTS + 3 }, (_, i) => ({
    id: `rec-${i}`,
    contributor: contributorOf(i),
    contentHash: `0x${(i + 1).toString(16).padStart(64, '0')}`,
    weight: BigInt(10 * (i + 1)),
  }));
  const dataset = await commitDataset(records, path.join(opts.tmp, 'claims-dataset.json'), { depth: DEPTH });
  const mc = await prepareMembershipCircuit(DEPTH, log);
  const mbc = await prepareMembershipBatchCircuit(SLOTS, DEPTH, log);
  const deployed = await deployMembership({
    signer,
    verifierSolidity: await readFile(mc.setup.solidityVerifierPath, 'utf8'),
    batch: { verifierSolidity: await readFile(mbc.setup.solidityVerifierPath, 'utf8'), slots: SLOTS },
    periods: { fundingSeconds: 60, claimSeconds: 3600 },
  });
  const vault = royaltyVaultAt(deployed.RoyaltyVault, signer);
  const root = BigInt(dataset.manifest.root);
  for (const epoch of [1n, 2n]) await fundEpoch(vault, root, epoch, 10n ** 18n);
  await provider.send('evm_increaseTime', [61]);
  await provider.send('evm_mine', []);

  const claim: number[] = [];
  for (const i of [32, 33, 34]) {
    const { receipt } = await claimRoyalty(vault, await proveMembership(pool, mc, dataset, `rec-${i}`, 1));
    claim.push(Number(receipt.gasUsed));
  }
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, k) => `rec-${from + k}`);
  const provingMs: number[] = [];
  const batch = async (recordIds: string[], epoch: number) => {
    const bundle = await proveMembershipBatch(pool, mbc, dataset, recordIds, epoch);
    provingMs.push(bundle.metadata.provingMs ?? 0);
    const gas = Number((await claimRoyaltyBatch(vault, bundle)).receipt.gasUsed);
    const perRecord = Math.round(gas / recordIds.length);
    return { records: recordIds.length, gas, perRecord, ratioToSingle: +(perRecord / claim[0]!).toFixed(3) };
  };
  const claimBatch = {
    oneContributor16: await batch(ids(0, SLOTS), 1),
    distinctNewContributors16: await batch(ids(SLOTS, SLOTS), 1),
    distinctFundedContributors16: await batch(ids(SLOTS, SLOTS), 2),
    oneContributor8of16: await batch(ids(0, SLOTS / 2), 2),
  };
  const withdrawn = await withdraw(royaltyVaultAt(deployed.RoyaltyVault, owner));
  log(`  claim gas (single, snarkjs verifier): ${claim.join(', ')}`);
  for (const [name, b] of Object.entries(claimBatch)) {
    log(`  claimBatch ${name}: ${b.gas} gas for ${b.records} records = ${b.perRecord} per record (${b.ratioToSingle} of a single claim)`);
  }
  log(`  withdraw gas: ${withdrawn.receipt.gasUsed}`);
  return {
    claim,
    claimBatch,
    withdraw: Number(withdrawn.receipt.gasUsed),
    batchCircuit: { slots: SLOTS, depth: DEPTH, constraints: mbc.circuit.nConstraints, publicSignals: mbc.circuit.nPublic, provingMs },
    // For the paid-inference bench on the same chain (its dataset's pot is this vault's).
    vault: deployed.RoyaltyVault,
    datasetRoot: BigInt(dataset.manifest.root),
  };
}
