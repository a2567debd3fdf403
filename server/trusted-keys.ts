/**
 * Which verification keys the service trusts for a circuit id, for POST /v1/verify: its membership circuit's current
 * key, and for any other circuit the keys this ZKAI_HOME set up itself (every model the service compiled; for a
 * committed-input model, its statement key with κ·G2) or, for a circuit with models of record (PostgreSQL), their keys of
 * record only (a key a contribution superseded is not trusted). A bundle's own key is never trusted: see prover/verify.ts.
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
    // A circuit with models of record is trusted under their keys of record only, asked at each request (one indexed
    // query): once a setup contribution moved them to new keys, a superseded key is not trusted from that moment on,
    // although this node's circuit cache may still hold it until its next use of the model.
    const ofRecord = (await compiledElsewhere?.(circuitId)) ?? [];
    if (ofRecord.length > 0) return [...new Set(ofRecord)];
    const hit = cache.get(circuitId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.hashes;
    const hashes = await knownVkeyHashes(circuitId);
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(circuitId, { hashes, at: Date.now() });
    return hashes;
  };
}
