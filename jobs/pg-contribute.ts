/**
 * `zkai setup contribute <circuit>` on a node whose data is in PostgreSQL (ZKAI_DB): a contribution to the circuit of
 * models of record is a contribution to every node's keys of those models, not to this node's copy alone.
 *
 *   1. The compiled rows of the circuit (zkai_model_files, pg-model-files.ts) are read: they are the base. This node's
 *      copy of their files is made the current one of record first (stale files replaced from their blobs), so the
 *      contribution is always made on top of the keys of record, never on this node's older ones.
 *   2. The contribution is made here (prover/setup/phase2.ts) to the setup folder the rows name: a new zkey, vkey and
 *      verifier, κ of the commitment key and of a LogUp circuit's lookup key re-randomised.
 *   3. Each model is loaded again with the new keys and moved to them (contribute-models.ts rekeyModel, the same rule as
 *      without PostgreSQL): the new statement key (vkeyHash), with Pedersen weights the new K = κ·W; model.json rewritten.
 *   4. The new files go in as blobs, then one transaction moves every row of the circuit to its new record, only if
 *      the rows are still the base (compare and swap under a row lock): the ceremony is a chain, so a contribution made
 *      on a base another node has moved on from is refused (SETUP_STALE), never a second branch of it. This node's
 *      copy is then put back to the keys of record; contribute again to contribute on top of them.
 *   5. The blobs no row references any more (the superseded keys) are collected: marked now, deleted after
 *      ZKAI_BLOB_GRACE_HOURS (pg-blobs.ts collect), since a node may be reading them right now.
 * Every node and worker follows at its next use of the model (pg-model-files.ts replaces stale files by sha256;
 * worker-models.ts reloads a model whose row changed; an inference job names its manifest, so a job accepted under the
 * old keys is refused at its start, MODEL_KEYS_CHANGED, rather than proved under a superseded key).
 */
import { ZkaiError } from '../common/errors.ts';
import type { ContributeOptions } from '../prover/setup/phase2.ts';
import { type ContributedModels, rekeyModel } from './contribute-models.ts';
import { localPath } from './model-files.ts';
import { type CompiledRecord, compiledFiles, type SharedModelFiles } from './pg-model-files.ts';
import { inTransaction } from './pg-pool.ts';

/** The contribution, and the models of record moved to the new keys. */
export type PublishedContribution = ContributedModels;

type Rows = Map<string, string>;

async function compiledRows(files: SharedModelFiles, circuitId: string): Promise<Rows> {
  const { rows } = await files.pool.query<{ model_id: string; record: string }>(
    "SELECT model_id, record FROM zkai_model_files WHERE stage = 'compiled' AND circuit_id = $1 ORDER BY model_id",
    [circuitId],
  );
  return new Map(rows.map((r) => [r.model_id, r.record]));
}

/** The one setup folder the rows prove with (the same stored setup.json), or a clear refusal. */
function commonSetup(circuitId: string, rows: Rows): string {
  const setups = new Set<string>();
  let setupDir = '';
  for (const text of rows.values()) {
    const r = JSON.parse(text) as CompiledRecord;
    setupDir = r.setupDir;
    const meta = r.files.find((f) => f.path === `${r.setupDir}/setup.json`);
    setups.add(`${r.setupDir} ${meta?.sha256 ?? 'none'}`);
  }
  if (setups.size !== 1)
    throw new ZkaiError(
      'ARTIFACT_MISMATCH',
      `the models of record of circuit ${circuitId} prove with different setups (${[...setups].join('; ')}): not contributing to one of them`,
    );
  return setupDir;
}

/** Make this node's copy of every row's files the current one of record. */
async function follow(files: SharedModelFiles, rows: Rows, log?: (msg: string) => void): Promise<void> {
  for (const text of rows.values()) await files.materialise((JSON.parse(text) as CompiledRecord).files, log);
}

/**
 * Contribute to circuit `circuitId` and publish the result to its models of record (above). Undefined when no model of
 * record uses the circuit: the caller contributes to this node's setup alone, as without PostgreSQL.
 */
export async function contributeOfRecord(
  files: SharedModelFiles,
  circuitId: string,
  opts: ContributeOptions & {
    /** Runs after the new files are stored, before the rows move (tests: another node's contribution lands first). */
    beforePublish?: () => Promise<void>;
    /**
     * Then collect the blobs no row references (ZKAI_BLOB_GRACE_HOURS, in ms; absent: none): the superseded keys are
     * found unreferenced from now, and deleted by a later collection once the grace has passed (pg-blobs.ts).
     */
    blobGraceMs?: number;
  } = {},
): Promise<PublishedContribution | undefined> {
  const log = opts.log;
  const base = await compiledRows(files, circuitId);
  if (base.size === 0) return undefined;
  const setupDir = commonSetup(circuitId, base);
  log?.(`circuit ${circuitId}: ${base.size} model(s) of record; making this node's keys the current ones of record first`);
  await follow(files, base, log);
  const [{ loadCircuit }, { contributePhase2 }] = await Promise.all([import('../circuits/build.ts'), import('../prover/setup/phase2.ts')]);
  const circuit = await loadCircuit(circuitId);
  const contribution = await contributePhase2(circuit, {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.entropy !== undefined ? { entropy: opts.entropy } : {}),
    ...(log ? { log } : {}),
    setupDir: localPath(files.roots, setupDir),
  });
  try {
    const next = new Map<string, string>();
    const models: PublishedContribution['models'] = [];
    for (const [id, text] of base) {
      const record = JSON.parse(text) as CompiledRecord;
      const loaded = await files.loadAsRecorded(id, record, log);
      const manifest = await rekeyModel(loaded, record.manifest);
      const moved: CompiledRecord = { ...record, manifest, files: await files.putFiles(await compiledFiles(loaded)) };
      next.set(id, JSON.stringify(moved));
      models.push({ id, vkeyHash: manifest.vkeyHash as string });
    }
    await opts.beforePublish?.();
    await inTransaction(files.pool, async (c) => {
      const { rows } = await c.query<{ model_id: string; record: string }>(
        "SELECT model_id, record FROM zkai_model_files WHERE stage = 'compiled' AND circuit_id = $1 ORDER BY model_id FOR UPDATE",
        [circuitId],
      );
      const now = new Map(rows.map((r) => [r.model_id, r.record]));
      const moved = [...base].some(([id, text]) => now.get(id) !== text) || now.size !== base.size;
      if (moved)
        throw new ZkaiError(
          'SETUP_STALE',
          `the keys of circuit ${circuitId} changed in the store of record while this contribution was made (another node's ` +
            'contribution, or a model compiled on it, came first): this contribution is discarded, and this node has the ' +
            `current keys again. Run zkai setup contribute ${circuitId} again to contribute on top of them`,
        );
      for (const [id, text] of next)
        await c.query("UPDATE zkai_model_files SET record = $2 WHERE model_id = $1 AND stage = 'compiled'", [id, text]);
    });
    log?.(`published to the store of record: ${models.length} model(s) now prove under the new keys`);
    if (opts.blobGraceMs !== undefined)
      await files
        .collectBlobs(opts.blobGraceMs)
        .then(({ marked, deleted }) => log?.(`model files: ${marked} blob(s) no longer referenced, ${deleted.length} deleted`))
        // Published: a failed collection is retried by the API nodes' hourly one.
        .catch((e: Error) => log?.(`model file collection failed (the API nodes' hourly one retries it): ${e.message}`));
    return { contribution, models };
  } catch (err) {
    // Nothing was published: this node goes back to the keys of record, so it never serves a contribution of its own.
    await follow(files, await compiledRows(files, circuitId), log).catch((e: Error) =>
      log?.(`could not put this node's keys back to the ones of record (${e.message}): they are replaced at the next use`),
    );
    throw err;
  }
}
