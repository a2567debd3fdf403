// Bindings for RoyaltyVault's royalty epochs (IRoyaltyDeposits): the market's deposits into a root's current royalty
// epoch and the roll-over of what contributors left unclaimed. The hand-funded epochs' bindings are in vault.ts.
import type { Contract, TransactionReceipt } from 'ethers';
import { call, findEvent, send } from './tx.ts';

/** Deposits `amountWei` into the current royalty epoch of `root`; returns the epoch label it went to. */
export async function depositRoyalty(
  vault: Contract,
  root: bigint,
  amountWei: bigint,
): Promise<{ epoch: bigint; receipt: TransactionReceipt }> {
  const receipt = await send(vault, 'RoyaltyVault', 'depositRoyalty', [root], amountWei);
  return { epoch: findEvent(vault, receipt, 'RoyaltyDeposited').args.epoch as bigint, receipt };
}

/** After an epoch's claims closed, moves the deposits' share of what was unclaimed into the root's current royalty epoch. */
export async function rollOverRoyalty(
  vault: Contract,
  root: bigint,
  epoch: bigint,
): Promise<{ amount: bigint; toEpoch: bigint; receipt: TransactionReceipt }> {
  const receipt = await send(vault, 'RoyaltyVault', 'rollOver', [root, epoch]);
  const ev = findEvent(vault, receipt, 'RoyaltyRolledOver');
  return { amount: ev.args.amount as bigint, toEpoch: ev.args.toEpoch as bigint, receipt };
}

/** The label of the royalty epoch deposits to `root` currently go to (or last went to): what contributors prove for. */
export async function currentRoyaltyEpoch(vault: Contract, root: bigint): Promise<{ index: bigint; epoch: bigint }> {
  const index = (await call(vault, 'RoyaltyVault', 'royaltyEpochIndex', [root])) as bigint;
  const epoch = (await call(vault, 'RoyaltyVault', 'royaltyEpochLabel', [root, index])) as bigint;
  return { index, epoch };
}
