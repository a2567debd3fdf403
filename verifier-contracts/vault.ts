import { Contract, type ContractRunner, getAddress, type TransactionReceipt, toBeHex } from 'ethers';
import { MEMBERSHIP_PUBLIC_SIGNALS } from '../circuits/membership.ts';
import { ZkaiError } from '../common/errors.ts';
import { type SnarkjsProof, toSolidityCalldata } from './calldata.ts';
import { call, findEvent, send } from './tx.ts';

export { type Groth16Calldata, type SnarkjsProof, toSolidityCalldata } from './calldata.ts';

/**
 * RoyaltyVault's ABI, written out so these bindings work against any deployed vault without local artifacts.
 * A test checks it against the compiled contract's ABI.
 */
export const ROYALTY_VAULT_ABI = [
  'constructor(address verifier_, uint64 fundingPeriod_, uint64 claimPeriod_, address batchVerifier_, uint256 batchSlots_)',
  'function SNARK_SCALAR_FIELD() view returns (uint256)',
  'function MAX_BATCH_SLOTS() view returns (uint256)',
  'function verifier() view returns (address)',
  'function batchVerifier() view returns (address)',
  'function batchSlots() view returns (uint256)',
  'function batchVerifySelector() view returns (bytes4)',
  'function fundingPeriod() view returns (uint64)',
  'function claimPeriod() view returns (uint64)',
  'function epochs(uint256 root, uint256 epoch) view returns (uint128 pot, uint128 paid, uint64 fundingEnds, uint64 claimsEnd, uint128 reclaimedFunding, uint128 refunded)',
  'function funded(uint256 root, uint256 epoch, address funder) view returns (uint256)',
  'function nullifierUsed(uint256 root, uint256 nullifier) view returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
  'function fundEpoch(uint256 root, uint256 epoch) payable',
  'function claim(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256 root, uint256 total, address contributor, uint256 weight, uint256 epoch, uint256 nullifier) returns (uint256 amount)',
  'function claimBatch(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256 root, uint256 total, uint256 epoch, tuple(address contributor, uint64 weight, uint256 nullifier)[] claims) returns (uint256 amount)',
  'function reclaim(uint256 root, uint256 epoch) returns (uint256 amount)',
  'function withdraw() returns (uint256 amount)',
  'function depositRoyalty(uint256 root) payable returns (uint256 epoch)',
  'function rollOver(uint256 root, uint256 epoch) returns (uint256 amount)',
  'function rolling(uint256 root, uint256 epoch) view returns (uint256)',
  'function royaltyEpochIndex(uint256 root) view returns (uint256)',
  'function royaltyEpochLabel(uint256 root, uint256 index) pure returns (uint256)',
  'event RoyaltyDeposited(uint256 indexed root, uint256 indexed epoch, address indexed depositor, uint256 amount, uint256 pot)',
  'event RoyaltyRolledOver(uint256 indexed root, uint256 indexed fromEpoch, uint256 indexed toEpoch, uint256 amount)',
  'error NothingToRollOver(uint256 root, uint256 epoch)',
  'event EpochOpened(uint256 indexed root, uint256 indexed epoch, uint64 fundingEnds, uint64 claimsEnd)',
  'event EpochFunded(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount, uint256 pot)',
  'event RoyaltyClaimed(uint256 indexed root, uint256 indexed epoch, uint256 nullifier, address indexed contributor, uint256 amount)',
  'event FundingReclaimed(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount)',
  'event Withdrawn(address indexed account, uint256 amount)',
  'error ZeroVerifier()',
  'error InvalidPeriods(uint64 fundingPeriod, uint64 claimPeriod)',
  'error RootOutOfField(uint256 root)',
  'error EpochOutOfField(uint256 epoch)',
  'error ZeroFunding()',
  'error PotOverflow(uint256 root, uint256 epoch)',
  'error FundingClosed(uint256 root, uint256 epoch, uint64 fundingEnds)',
  'error EmptyEpoch(uint256 root, uint256 epoch)',
  'error ClaimsNotOpen(uint256 root, uint256 epoch, uint64 opensAt)',
  'error ClaimsClosed(uint256 root, uint256 epoch, uint64 closedAt)',
  'error WeightExceedsTotal(uint256 weight, uint256 total)',
  'error NullifierUsed(uint256 root, uint256 nullifier)',
  'error InvalidProof()',
  'error ZeroPayout(uint256 root, uint256 epoch)',
  'error PotExhausted(uint256 root, uint256 epoch, uint256 amount, uint256 remaining)',
  'error InvalidBatchSlots(uint256 slots)',
  'error BatchClaimsDisabled()',
  'error BadBatchSize(uint256 count, uint256 slots)',
  'error ReclaimNotOpen(uint256 root, uint256 epoch, uint64 opensAt)',
  'error NothingToReclaim(uint256 root, uint256 epoch, address funder)',
  'error NothingToWithdraw(address account)',
  'error WithdrawFailed(address account, uint256 amount)',
  'error ReentrancyGuardReentrantCall()',
] as const;

/** Schedule of a vault's epochs: seconds of funding after an epoch's first funding, then seconds of claims. */
export interface VaultPeriods {
  fundingSeconds: number;
  claimSeconds: number;
}

/** What deployments use unless told otherwise: a week of funding, then four weeks of claims, then reclaims. */
export const DEFAULT_VAULT_PERIODS: VaultPeriods = { fundingSeconds: 7 * 24 * 3600, claimSeconds: 28 * 24 * 3600 };

/**
 * What a membership claim needs: a snarkjs proof and its public signals [root, total, contributor, weight, epoch,
 * nullifier].
 * A proof bundle fits as is. `proof` is typed loosely because it usually comes from JSON; it is checked at run time
 * (BAD_BUNDLE) to have the SnarkjsProof shape.
 */
export interface MembershipClaim {
  proof: SnarkjsProof | object;
  publicSignals: readonly string[];
}

/** Handle on a deployed RoyaltyVault; send transactions by passing a Signer as runner. */
export function royaltyVaultAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ROYALTY_VAULT_ABI, runner);
}

/** The arguments of RoyaltyVault.claim for a membership proof, in order. */
export function claimArguments(claim: MembershipClaim) {
  const n = MEMBERSHIP_PUBLIC_SIGNALS.length;
  if (!Array.isArray(claim.publicSignals) || claim.publicSignals.length !== n) {
    throw new ZkaiError(
      'BAD_BUNDLE',
      `a membership proof has ${n} public signals [${MEMBERSHIP_PUBLIC_SIGNALS.join(', ')}], got ${claim.publicSignals?.length}`,
    );
  }
  const { a, b, c, pubSignals } = toSolidityCalldata(claim.proof, claim.publicSignals);
  const [root, total, contributorSignal, weight, epoch, nullifier] = pubSignals as [bigint, bigint, bigint, bigint, bigint, bigint];
  return [a, b, c, root, total, signalToAddress(contributorSignal), weight, epoch, nullifier] as const;
}

/** The contributor public signal as an address; the contract rebuilds the signal as uint160(contributor). */
export function signalToAddress(signal: bigint): string {
  if (signal >= 1n << 160n) throw new ZkaiError('BAD_BUNDLE', `contributor signal ${signal} is not an address (>= 2^160)`);
  return getAddress(toBeHex(signal, 20));
}

/**
 * Adds `amountWei` to the pot of (root, epoch); no registration is needed. The first funding opens the epoch and fixes
 * its schedule; reverts (CONTRACT_REVERTED FundingClosed) once its funding period is over.
 */
export async function fundEpoch(vault: Contract, root: bigint, epoch: bigint, amountWei: bigint): Promise<TransactionReceipt> {
  return send(vault, 'RoyaltyVault', 'fundEpoch', [root, epoch], amountWei);
}

/**
 * Submits a membership proof (between the epoch's fundingEnds and claimsEnd); the contract credits the contributor
 * named in the proof (not the sender) pot × weight / total, total being the one the proof binds to the root.
 * Returns the credited amount (from the RoyaltyClaimed event) and the receipt.
 */
export async function claimRoyalty(
  vault: Contract,
  claim: MembershipClaim,
): Promise<{ amount: bigint; contributor: string; receipt: TransactionReceipt }> {
  const receipt = await send(vault, 'RoyaltyVault', 'claim', [...claimArguments(claim)]);
  const ev = findEvent(vault, receipt, 'RoyaltyClaimed');
  return { amount: ev.args.amount as bigint, contributor: ev.args.contributor as string, receipt };
}

/** After the epoch's claimsEnd, credits the signer (a funder) its pro-rata share of what the epoch left unclaimed. */
export async function reclaimFunding(
  vault: Contract,
  root: bigint,
  epoch: bigint,
): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const receipt = await send(vault, 'RoyaltyVault', 'reclaim', [root, epoch]);
  return { amount: findEvent(vault, receipt, 'FundingReclaimed').args.amount as bigint, receipt };
}

/** ETH credited to `account` in the vault and not yet withdrawn. */
export async function balanceOf(vault: Contract, account: string): Promise<bigint> {
  return call(vault, 'RoyaltyVault', 'balanceOf', [account]) as Promise<bigint>;
}

/** Withdraws the signer's whole credited balance. */
export async function withdraw(vault: Contract): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const receipt = await send(vault, 'RoyaltyVault', 'withdraw', []);
  return { amount: findEvent(vault, receipt, 'Withdrawn').args.amount as bigint, receipt };
}

export interface EpochState {
  pot: bigint;
  paid: bigint;
  /** Unix seconds; 0 while the epoch has never been funded. */
  fundingEnds: bigint;
  claimsEnd: bigint;
  reclaimedFunding: bigint;
  refunded: bigint;
}

/** Pot, payouts, schedule and reclaims of an epoch. */
export async function epochState(vault: Contract, root: bigint, epoch: bigint): Promise<EpochState> {
  const r = (await call(vault, 'RoyaltyVault', 'epochs', [root, epoch])) as bigint[];
  return { pot: r[0]!, paid: r[1]!, fundingEnds: r[2]!, claimsEnd: r[3]!, reclaimedFunding: r[4]!, refunded: r[5]! };
}

export { decodeContractError } from './tx.ts';
