/**
 * A setup contribution to the circuit of compiled models moves those models to the new keys: each is loaded again with
 * the contributed setup, its manifest gets the new statement key (vkeyHash) and, with Pedersen weights, the commitment's
 * new proof of knowledge K = κ·W (W does not change: the weights and the blind are the same), and model.json is
 * rewritten. Without that, a model's manifest names a key nobody trusts any more, and its proofs carry another.
 *
 * Two callers, one rule (rekeyModel):
 *   - contributeToLocalModels, below: the embedded store (no ZKAI_DB), whose models are this data directory's folders;
 *   - pg-contribute.ts contributeOfRecord: models of record in PostgreSQL, published to every node.
 * An inference job names its model's manifest by hash (InferenceRequest.manifestSha256), so a job accepted under the
 * old keys is refused at its start (MODEL_KEYS_CHANGED, model-jobs.ts) rather than proved under a superseded key.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltCircuit } from '../circuits/build.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import type { CompiledModel } from '../prover/inference.ts';
import type { ContributeOptions, ContributeResult } from '../prover/setup/phase2.ts';
import { modelPaths } from './models.ts';

export interface ContributedModels {
  contribution: ContributeResult;
  /** The models moved to the new keys, with their new statement key. */
  models: { id: string; vkeyHash: string }[];
}

/**
 * The manifest of `loaded` (a model loaded again after a contribution to its setup) under its new keys, written to its
 * model.json. `base`: the manifest to start from (the store of record's; default the one loaded).
 */
export async function rekeyModel(
  loaded: CompiledModel,
  base: Record<string, unknown> = loaded.manifest as unknown as Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const manifest = {
    ...base,
    vkeyHash: sha256Hex(canonicalJson(loaded.vkey)),
    ...(loaded.pedersen ? { commitment: loaded.pedersen.commitment } : {}),
  };
  // Atomic: a job starting meanwhile reads the old manifest or the new one, never half of one.
  await writeFileAtomic(path.join(loaded.dir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The ids of the compiled models in `modelsDir` whose manifest names circuit `circuitId`. */
async function modelsOn(modelsDir: string, circuitId: string): Promise<string[]> {
  if (!existsSync(modelsDir)) return [];
  const ids: string[] = [];
  for (const id of (await readdir(modelsDir)).sort()) {
    const file = path.join(modelPaths(modelsDir, id).compiled, 'model.json');
    try {
      if ((JSON.parse(await readFile(file, 'utf8')) as { circuitId?: unknown }).circuitId === circuitId) ids.push(id);
    } catch {
      // Not a compiled model (still compiling, failed, or not a model folder): nothing proves with its keys.
    }
  }
  return ids;
}

/**
 * `zkai setup contribute <circuit>` without ZKAI_DB: contribute to the circuit's setup (the one its models load, the
 * default ptau's), then move every model of `modelsDir` compiled on it to the new keys. A model that does not load
 * (a folder left half-written) is logged and left as it was: the contribution, made, is not undone for it.
 */
export async function contributeToLocalModels(
  modelsDir: string,
  circuit: BuiltCircuit,
  opts: ContributeOptions = {},
): Promise<ContributedModels> {
  const log = opts.log;
  const [{ contributePhase2 }, { loadCompiledModel }] = await Promise.all([
    import('../prover/setup/phase2.ts'),
    import('../prover/inference.ts'),
  ]);
  const contribution = await contributePhase2(circuit, opts);
  const models: ContributedModels['models'] = [];
  for (const id of await modelsOn(modelsDir, circuit.id)) {
    try {
      const manifest = await rekeyModel(await loadCompiledModel(modelPaths(modelsDir, id).compiled, log));
      models.push({ id, vkeyHash: manifest.vkeyHash as string });
      log?.(`model ${id}: now proves under the new keys (statement key ${(manifest.vkeyHash as string).slice(0, 12)}…)`);
    } catch (err) {
      log?.(`model ${id}: not moved to the new keys: ${(err as Error).message}`);
    }
  }
  return { contribution, models };
}
