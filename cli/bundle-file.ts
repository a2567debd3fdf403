import { readFile } from 'node:fs/promises';
import { ZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type ProofBundle, parseBundle } from '../prover/bundle.ts';
import { knownVkeyHashes } from '../prover/setup/index.ts';

/** Exit code of `zkai verify` for a proof that holds only against the bundle's own key, which nobody pinned. */
export const EXIT_UNPINNED_KEY = 3;

async function readJsonFile(file: string, code: 'BAD_INPUT' | 'BAD_BUNDLE'): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ZkaiError(code, `${file} is not valid JSON`);
  }
}

/**
 * Reads and parses a proof bundle file for a CLI command: BAD_INPUT when it cannot be read, BAD_BUNDLE when it is
 * not JSON or not a valid bundle (parseBundle names the field).
 */
export async function readBundleFile(file: string): Promise<ProofBundle> {
  return parseBundle(await readJsonFile(file, 'BAD_BUNDLE'));
}

/**
 * The hash a `--vkey` file pins: a snarkjs verification key JSON (for a model with Pedersen weights, its statement key,
 * as bundles carry it), or a model's manifest (`model.json` of `zkai model compile`), whose `vkeyHash` names that key.
 */
async function keyFileHash(file: string): Promise<string> {
  const json = (await readJsonFile(file, 'BAD_INPUT')) as { protocol?: unknown; format?: unknown; vkeyHash?: unknown } | null;
  if (json?.format === 'zkai-model' && typeof json.vkeyHash === 'string' && /^[0-9a-f]{64}$/.test(json.vkeyHash)) return json.vkeyHash;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || json.protocol !== 'groth16') {
    throw new ZkaiError('BAD_INPUT', `${file} is neither a Groth16 verification key (snarkjs vkey JSON) nor a zkai model.json`);
  }
  return sha256Hex(canonicalJson(json));
}

export interface PinnedKeys {
  /** The vkey hashes the bundle's key must be one of (empty: nothing pinned). */
  hashes: string[];
  /** Where they come from: given on the command line, set up in this ZKAI_HOME for the bundle's circuit, or none. */
  source: 'explicit' | 'local' | 'none';
}

/**
 * The keys a CLI check trusts for `bundle`: `--vkey <file>` (a verification key JSON, hashed as bundles hash theirs:
 * sha256 of its canonical JSON, zkai_commitment's κ·G2 included; or a model.json) and/or `--vkey-hash <hex>`; without
 * either, every key this ZKAI_HOME set up itself for the bundle's circuit (an auditor working in the provider's own
 * directory); else none. Never the bundle's own key.
 */
export async function pinnedKeys(bundle: ProofBundle, opts: { vkeyFile?: string; vkeyHash?: string }): Promise<PinnedKeys> {
  const explicit: string[] = [];
  if (opts.vkeyHash !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.vkeyHash)) throw new ZkaiError('BAD_INPUT', '--vkey-hash must be 64 hex digits (a sha256)');
    explicit.push(opts.vkeyHash.toLowerCase());
  }
  if (opts.vkeyFile !== undefined) explicit.push(await keyFileHash(opts.vkeyFile));
  if (explicit.length > 0) return { hashes: explicit, source: 'explicit' };
  const local = await knownVkeyHashes(bundle.circuitId);
  return local.length > 0 ? { hashes: local, source: 'local' } : { hashes: [], source: 'none' };
}
