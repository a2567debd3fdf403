/**
 * Which verification keys the service trusts for a circuit id, for POST /v1/verify: its membership circuit's current
 * key, and for any other circuit the keys this ZKAI_HOME set up itself (every model the service compiled; for a
 * committed-input model, its statement key with κ·G2) and, with PostgreSQL, those of the models of record. A bundle's own key is never trusted: see prover/verify.ts.
 */
import type { MembershipCircuit } from '../prover/membership.ts';
import { knownVkeyHashes } from '../prover/setup/index.ts';

/** How long a circuit's answer is reused: a public route should not read setup files on every request. */
const CACHE_MS = 5_000;
/** Circuit ids remembered at most (the ids come from requests: bounded, so they cannot fill memory). */
const CACHE_ENTRIES = 1_000;

export function serviceTrustedKeys(
  membership: Pick<MembershipCircuit, 'circuit' | 'setup'>,
  /**
   * The statement keys of models compiled on any API node (jobs/model-files.ts vkeyHashes: with PostgreSQL, the
   * manifests of record), so that a node verifies a model's bundle before it has made that model's files itself.
   */
  compiledElsewhere?: (circuitId: string) => Promise<string[]>,
): (circuitId: string) => Promise<string[]> {
  const cache = new Map<string, { hashes: string[]; at: number }>();
  return async (circuitId) => {
    // Only the setup the service proves with, not older setups of the same circuit left in the cache.
    if (circuitId === membership.circuit.id) return [membership.setup.vkeyHash];
    const hit = cache.get(circuitId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.hashes;
    const hashes = [...new Set([...(await knownVkeyHashes(circuitId)), ...((await compiledElsewhere?.(circuitId)) ?? [])])];
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(circuitId, { hashes, at: Date.now() });
    return hashes;
  };
}
