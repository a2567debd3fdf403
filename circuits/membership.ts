import { ZkaiError } from '../common/errors.ts';
import type { CircuitSpec } from './build.ts';

export const DEFAULT_TREE_DEPTH = 20;
export const MAX_TREE_DEPTH = 32;
/** Record weights are below 2^WEIGHT_BITS; the circuit range-checks them (and every subtree sum) against this. */
export const WEIGHT_BITS = 64;

/**
 * Public signals of the membership circuit, in order. RoyaltyVault rebuilds them in this order from its claim
 * arguments (IMembershipVerifier takes uint[6]); `total` is the root's sum, the proven total weight.
 */
export const MEMBERSHIP_PUBLIC_SIGNALS = ['root', 'total', 'contributor', 'weight', 'epoch', 'nullifier'] as const;

export function membershipCircuitSpec(depth: number = DEFAULT_TREE_DEPTH): CircuitSpec {
  return {
    name: `membership-d${depth}`,
    include: 'membership.circom',
    instance: `DatasetMembership(${depth}, ${WEIGHT_BITS})`,
    publicInputs: [...MEMBERSHIP_PUBLIC_SIGNALS],
  };
}

/** Most slots a batch circuit may have (the vault checks the count again; 64 slots at depth 20 is ~530k constraints). */
export const MAX_BATCH_SLOTS = 64;

/**
 * Public signals of the batch membership circuit with `slots` slots, in order: root, total, epoch, then one claimant
 * per slot (contributor * 2^WEIGHT_BITS + weight, 0 for an unused slot), then one nullifier per slot (0 if unused).
 * RoyaltyVault.claimBatch rebuilds them in this order.
 */
export function membershipBatchSignalNames(slots: number): string[] {
  checkSlots(slots);
  const each = (name: string) => Array.from({ length: slots }, (_, i) => `${name}[${i}]`);
  return ['root', 'total', 'epoch', ...each('claimant'), ...each('nullifier')];
}

/** The claimant signal of a used slot: the recipient and the weight in one field element (an integer below 2^224). */
export function packClaimant(contributor: bigint, weight: bigint): bigint {
  if (contributor < 0n || contributor >= 1n << 160n) throw new ZkaiError('BAD_INPUT', 'contributor is not a 160-bit address');
  if (weight < 0n || weight >= 1n << BigInt(WEIGHT_BITS)) throw new ZkaiError('BAD_INPUT', `weight is not below 2^${WEIGHT_BITS}`);
  return (contributor << BigInt(WEIGHT_BITS)) | weight;
}

/** The batch circuit: `slots` records of one tree of `depth`, one epoch (circuits/lib/membership-batch.circom). */
export function membershipBatchCircuitSpec(slots: number, depth: number = DEFAULT_TREE_DEPTH): CircuitSpec {
  checkSlots(slots);
  return {
    name: `membership-batch${slots}-d${depth}`,
    include: 'membership-batch.circom',
    instance: `DatasetMembershipBatch(${slots}, ${depth}, ${WEIGHT_BITS})`,
    publicInputs: ['root', 'total', 'epoch', 'claimant', 'nullifier'],
  };
}

function checkSlots(slots: number): void {
  if (!Number.isSafeInteger(slots) || slots < 1 || slots > MAX_BATCH_SLOTS) {
    throw new ZkaiError('BAD_INPUT', `a batch has 1..${MAX_BATCH_SLOTS} slots, not ${slots}`);
  }
}
