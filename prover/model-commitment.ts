/**
 * A compiled model's Pedersen opening (prover/inference.ts, with `--weights pedersen`): the blind, the commitment W
 * to the packed weights and blind, and W's proof of knowledge K, kept in the model directory's `opening.json`.
 *
 * Why a cache. W and K are multi-scalar multiplications over every committed element (23,624 for a 784-256-128-10
 * MLP); recomputing them whenever a model directory is loaded made them most of a CLI proof. So opening.json keeps W
 * and K beside the blind, bound to what they were computed from:
 *   - `values`: sha256 of the committed values (the packed weights of quantized.json, then the blind);
 *   - `bases`: sha256 of the commitment key's bases (the setup's IC points of the committed signals).
 * W = Σ v_c·IC_c is a function of exactly those two, so a cached W is used only when both hashes match what is
 * loaded now; a changed weights file, blind or setup recomputes it. K = κ·W also depends on κ, which every
 * `zkai setup contribute` changes: a cached K is used only if it passes the verifiers' own check against the current
 * key, e(K, G2) = e(W, κ·G2) (one pairing), and is recomputed otherwise. Whatever was recomputed is written back.
 *
 * What the cache does not change: W still has to open to the commitment model.json names (the loader checks
 * commitmentId(W)), and every verifier checks K and the proof against W itself. A hand-edited cache with matching
 * hashes but a wrong W or K can only make the provider's own proofs fail verification, never make a forged one pass.
 * The hashes live in opening.json, which is private like the blind: they are hashes of the weights (with the uniform
 * blind mixed in, so they reveal nothing, but there is no reason to publish them).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { sha256Hex } from '../common/hash.ts';
import { type CommitmentKey, checkCommitmentKnowledge, type G1Json, g1Json, type PublicInputCommitment } from './commitment.ts';
import { g1MsmJson } from './commitment-msm.ts';
import { g1 } from './verify-noble.ts';

export const OPENING_FILE = 'opening.json';

/** opening.json: the blind (decimal) and, since W was cached, W and K with what they were computed from. */
interface OpeningFile {
  blind: string;
  cache?: { values: string; bases: string; point: G1Json; knowledge: G1Json };
}

/** sha256 of the committed values, 32 bytes big-endian each (a fixed-width encoding: no two vectors collide). */
export function valuesHash(values: readonly bigint[]): string {
  const buf = Buffer.alloc(32 * values.length);
  values.forEach((v, i) => {
    buf.write(v.toString(16).padStart(64, '0'), 32 * i, 'hex');
  });
  return sha256Hex(buf);
}

/** sha256 of the key's bases (JSON as the key file holds them). */
export function basesHash(key: CommitmentKey): string {
  return sha256Hex(JSON.stringify(key.bases));
}

/** The blind and the cache of a model directory's opening.json (BAD_INPUT when missing: nothing opens W without it). */
export async function readOpening(dir: string): Promise<{ blind: bigint; cache?: OpeningFile['cache'] }> {
  try {
    const file = JSON.parse(await readFile(path.join(dir, OPENING_FILE), 'utf8')) as OpeningFile;
    return { blind: BigInt(file.blind), ...(file.cache ? { cache: file.cache } : {}) };
  } catch (err) {
    throw new ZkaiError(
      'BAD_INPUT',
      `${dir}/${OPENING_FILE} (the Pedersen commitment's blind) is missing or unreadable: ${(err as Error).message}`,
    );
  }
}

export async function writeOpening(
  dir: string,
  blind: bigint,
  values: readonly bigint[],
  key: CommitmentKey,
  c: PublicInputCommitment,
): Promise<void> {
  const file: OpeningFile = {
    blind: blind.toString(),
    cache: { values: valuesHash(values), bases: basesHash(key), point: c.point, knowledge: c.knowledge },
  };
  await writeFileAtomic(path.join(dir, OPENING_FILE), `${JSON.stringify(file)}\n`);
}

export interface CachedCommitment {
  commitment: PublicInputCommitment;
  /** What had to be computed: nothing when the cache held W and a K that checks against the current κ. */
  recomputed: ('point' | 'knowledge')[];
}

/**
 * W and K for `values` under `key`, from the cache when it is bound to these values and bases (and K checks against
 * the key's κ·G2), else by MSM (prover/commitment-msm.ts: native engine when built).
 */
export async function cachedCommitment(
  key: CommitmentKey,
  values: readonly bigint[],
  cache: OpeningFile['cache'] | undefined,
): Promise<CachedCommitment> {
  const recomputed: CachedCommitment['recomputed'] = [];
  let point: G1Json | undefined;
  if (cache && cache.values === valuesHash(values) && cache.bases === basesHash(key)) {
    try {
      point = g1Json(g1(cache.point, 'opening cache point'));
    } catch {
      point = undefined; // not a valid point: recompute
    }
  }
  if (!point) {
    point = g1Json(await g1MsmJson(key.bases, values, 'bases'));
    recomputed.push('point');
  }
  let knowledge: G1Json | undefined;
  if (cache) {
    try {
      if (checkCommitmentKnowledge(key.kappa_2, { point, knowledge: cache.knowledge })) knowledge = cache.knowledge;
    } catch {
      knowledge = undefined; // not a valid point: recompute
    }
  }
  if (!knowledge) {
    knowledge = g1Json(await g1MsmJson(key.knowledgeBases, values, 'knowledgeBases'));
    recomputed.push('knowledge');
  }
  return { commitment: { point, knowledge }, recomputed };
}
