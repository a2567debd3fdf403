import { ZkaiError } from '../../common/errors.ts';
import { packClaimant } from '../membership.ts';
import { type Dataset, membershipInput, parseEpoch } from './dataset.ts';

/** Inputs of the batch membership circuit (names match circuits/lib/membership-batch.circom), decimal strings. */
export interface MembershipBatchInput {
  root: string;
  total: string;
  epoch: string;
  claimant: string[];
  nullifier: string[];
  used: string[];
  recordId: string[];
  contributor: string[];
  contentHi: string[];
  contentLo: string[];
  weight: string[];
  pathElements: string[][];
  pathSums: string[][];
  pathIndices: string[][];
}

/**
 * Circuit inputs proving that the records `recordIds` (1..slots of them, distinct) are in the dataset, for royalty
 * `epoch`: slot i holds recordIds[i], the slots after them are unused (flag 0, every other input 0, so their public
 * claimant and nullifier are 0, as the vault fills them). Each used slot is built by membershipInput, the
 * single-record builder, so it carries the same nullifier as a single claim of that record.
 */
export async function membershipBatchInput(
  dataset: Dataset,
  recordIds: readonly string[],
  epoch: bigint | number | string,
  slots: number,
): Promise<MembershipBatchInput> {
  if (recordIds.length < 1 || recordIds.length > slots) {
    throw new ZkaiError('BAD_INPUT', `a batch of ${slots} slots proves 1..${slots} records, not ${recordIds.length}`);
  }
  const seen = new Set<string>();
  for (const id of recordIds) {
    // The vault would refuse the batch (one nullifier twice); refusing here saves a proof that cannot be used.
    if (seen.has(id)) throw new ZkaiError('BAD_INPUT', `record ${JSON.stringify(id)} is named twice in the batch`);
    seen.add(id);
  }
  const e = typeof epoch === 'bigint' ? epoch : parseEpoch(epoch);
  const depth = dataset.manifest.depth;
  const zeros = (n: number) => Array.from({ length: n }, () => '0');
  const input: MembershipBatchInput = {
    root: dataset.tree.root.toString(),
    total: dataset.tree.total.toString(),
    epoch: e.toString(),
    claimant: zeros(slots),
    nullifier: zeros(slots),
    used: zeros(slots),
    recordId: zeros(slots),
    contributor: zeros(slots),
    contentHi: zeros(slots),
    contentLo: zeros(slots),
    weight: zeros(slots),
    pathElements: Array.from({ length: slots }, () => zeros(depth)),
    pathSums: Array.from({ length: slots }, () => zeros(depth)),
    pathIndices: Array.from({ length: slots }, () => zeros(depth)),
  };
  for (const [s, id] of recordIds.entries()) {
    const one = await membershipInput(dataset, id, e);
    input.claimant[s] = packClaimant(BigInt(one.contributor), BigInt(one.weight)).toString();
    input.nullifier[s] = one.nullifier;
    input.used[s] = '1';
    input.recordId[s] = one.recordId;
    input.contributor[s] = one.contributor;
    input.contentHi[s] = one.contentHi;
    input.contentLo[s] = one.contentLo;
    input.weight[s] = one.weight;
    input.pathElements[s] = one.pathElements;
    input.pathSums[s] = one.pathSums;
    input.pathIndices[s] = one.pathIndices;
  }
  return input;
}
