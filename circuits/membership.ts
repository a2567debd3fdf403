import type { CircuitSpec } from './build.ts';

export const DEFAULT_TREE_DEPTH = 20;
export const MAX_TREE_DEPTH = 32;

/** Public signals of the membership circuit, in order. The vault contract relies on this order. */
export const MEMBERSHIP_PUBLIC_SIGNALS = ['root', 'contributor', 'weight', 'epoch', 'nullifier'] as const;

export function membershipCircuitSpec(depth: number = DEFAULT_TREE_DEPTH): CircuitSpec {
  return {
    name: `membership-d${depth}`,
    include: 'membership.circom',
    instance: `DatasetMembership(${depth})`,
    publicInputs: [...MEMBERSHIP_PUBLIC_SIGNALS],
  };
}
