/**
 * Bindings for RoyaltyVault.claimBatch: one proof of the batch membership circuit (circuits/lib/membership-batch.circom)
 * pays up to `batchSlots` records of one root and epoch. See docs/membership.md, "Batch claims".
 */
import type { Contract, TransactionReceipt } from 'ethers';
import { WEIGHT_BITS } from '../circuits/membership.ts';
import { ZkaiError } from '../common/errors.ts';
import { call, send } from './tx.ts';
import { type MembershipClaim, signalToAddress, toSolidityCalldata } from './vault.ts';

/** One record of a batch claim, as RoyaltyVault's BatchClaim struct. */
export interface BatchClaimSlot {
  contributor: string;
  weight: bigint;
  nullifier: bigint;
}

/**
 * The arguments of RoyaltyVault.claimBatch for a batch proof whose public signals are [root, total, epoch,
 * claimant[k], nullifier[k]]: the used slots (claimant ≠ 0) must come first; each claimant splits into its
 * contributor (the upper 160 bits) and weight (the lower WEIGHT_BITS). Bad bundles are refused (BAD_BUNDLE) before
 * touching the chain.
 */
export function batchClaimArguments(claim: MembershipClaim) {
  const n = claim.publicSignals?.length ?? 0;
  if (!Array.isArray(claim.publicSignals) || n < 5 || (n - 3) % 2 !== 0) {
    throw new ZkaiError('BAD_BUNDLE', `a batch proof has 3 + 2k public signals [root, total, epoch, claimant[k], nullifier[k]], got ${n}`);
  }
  const { a, b, c, pubSignals } = toSolidityCalldata(claim.proof, claim.publicSignals);
  const slots = (n - 3) / 2;
  const [root, total, epoch] = pubSignals as [bigint, bigint, bigint];
  const claims: BatchClaimSlot[] = [];
  const mask = (1n << BigInt(WEIGHT_BITS)) - 1n;
  for (let i = 0; i < slots; i++) {
    const claimant = pubSignals[3 + i]!;
    const nullifier = pubSignals[3 + slots + i]!;
    if (claimant === 0n && nullifier === 0n) {
      // The vault fills the slots after the last claim with zeros: an unused slot in the middle cannot be submitted.
      for (let j = i; j < slots; j++) {
        if (pubSignals[3 + j] !== 0n || pubSignals[3 + slots + j] !== 0n) {
          throw new ZkaiError('BAD_BUNDLE', `batch slot ${i} is unused but slot ${j} after it is not: used slots come first`);
        }
      }
      break;
    }
    claims.push({ contributor: signalToAddress(claimant >> BigInt(WEIGHT_BITS)), weight: claimant & mask, nullifier });
  }
  if (claims.length === 0) throw new ZkaiError('BAD_BUNDLE', 'the batch proof has no used slot');
  return [a, b, c, root, total, epoch, claims] as const;
}

/** What a user does when a vault takes no batch claims: where to get one that does, or how to claim without. */
export const BATCH_CLAIMS_HOWTO =
  "on the service's dev chain, start it with ZKAI_BATCH_SLOTS=16 (a fresh dev chain deploys the batch verifier; the first " +
  'start sets its circuit up, minutes, cached after); on another chain, deploy with `zkai chain deploy --rpc <url> ' +
  '--batch-slots 16`; or claim each record on its own (`zkai dataset prove --record <id>`)';

/**
 * Submits a batch proof (between the epoch's fundingEnds and claimsEnd); each record's contributor is credited
 * pot × weight / total, as by a single claim. Returns the total credited and the receipt.
 * Before sending, the vault's batch verifier is asked for: a vault deployed without one (BatchClaimsDisabled on chain)
 * is BATCH_CLAIMS_DISABLED saying how to get one, and a proof of another slot count than the vault's verifier takes
 * (InvalidProof on chain) is BAD_BUNDLE naming the count to prove with.
 */
export async function claimRoyaltyBatch(vault: Contract, claim: MembershipClaim): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const args = batchClaimArguments(claim);
  const vaultSlots = Number((await call(vault, 'RoyaltyVault', 'batchSlots', [])) as bigint);
  if (vaultSlots === 0)
    throw new ZkaiError(
      'BATCH_CLAIMS_DISABLED',
      `RoyaltyVault ${String(vault.target)} was deployed without a batch verifier, so it takes no claimBatch: ${BATCH_CLAIMS_HOWTO}`,
      {
        vault: String(vault.target),
      },
    );
  const proofSlots = (claim.publicSignals.length - 3) / 2;
  if (proofSlots !== vaultSlots)
    throw new ZkaiError(
      'BAD_BUNDLE',
      `the batch proof has ${proofSlots} slots, RoyaltyVault ${String(vault.target)}'s batch verifier takes ${vaultSlots}: prove again with --slots ${vaultSlots}`,
    );
  const receipt = await send(vault, 'RoyaltyVault', 'claimBatch', [...args]);
  let amount = 0n;
  for (const log of receipt.logs) {
    const parsed = vault.interface.parseLog(log);
    if (parsed?.name === 'RoyaltyClaimed') amount += parsed.args.amount as bigint;
  }
  return { amount, receipt };
}
