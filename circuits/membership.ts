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
