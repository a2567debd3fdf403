/**
 * Job handlers for uploaded models: `model-compile` (in a child process, see model-compile-child.ts; capped in number
 * and killed at the job's timeout, see child-process.ts) and
 * `inference` (on the warm prover pool). Both find the model's files from its id under the models folder. Compiles run
 * only on API nodes (jobs/queue/redis-transport.ts API_NODE_KINDS); an inference runs on any node that has the folder,
 * or on a `zkai worker` that fetches the compiled model from an API node (fetch-model.ts, the `fetchModel` dep).
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { type CompiledModel, loadCompiledModel, type ModelManifest, parseModelInput, proveInference } from '../prover/inference.ts';
import type { ProverPool } from '../prover/pool.ts';
import { COMPILE_PERCENT, COMPILE_PHASES, type CompileProgress, type ProvePhase, SETUP_STEPS } from '../prover/progress.ts';
import { runChild } from './children/child-process.ts';
import type { Job, JobContext, JobHandler } from './jobs.ts';
import { LocalModelFiles, type ModelFilesApi } from './model-files.ts';
import { type InferenceRequest, type ModelCompileRequest, modelPaths } from './models.ts';

export interface ModelCompileDeps {
  modelsDir: string;
  /**
   * Where the upload comes from and the compiled model goes beyond this node (model-files.ts): with PostgreSQL, the
   * store of record, so that any API node compiles an upload any other took, and proves what any other compiled.
   * Default: this node's folders only.
   */
  files?: ModelFilesApi;
  /** Refuse circuits larger than this (before their setup). */
  maxConstraints?: number;
}

/** The handler for kind 'model-compile': its result is the model manifest (public: no weights). */
export function modelCompileJobHandler(deps: ModelCompileDeps): JobHandler {
  return async (job: Job, ctx?: JobContext) => {
    const req = job.request as Partial<ModelCompileRequest>;
    if (typeof req.modelId !== 'string' || typeof req.name !== 'string' || !req.weights || !req.input) {
      throw new ZkaiError('BAD_INPUT', `job ${job.id} has a malformed model-compile request`);
    }
    const p = modelPaths(deps.modelsDir, req.modelId);
    const files = deps.files ?? new LocalModelFiles(deps.modelsDir);
    // The upload may have been taken by another API node: its files come from the store of record.
    await files.fetchUpload(req.modelId);
    // Each attempt compiles into a folder of its own, renamed into place when done. An attempt that lost its job
    // (its node lost the queue's lock and another attempt took over) may still finish: the first to finish wins, and a
    // later one returns the manifest of the folder in place, so the manifest recorded is always the folder's (the
    // blind is random: two compiles of one upload differ). Across nodes, the store of record decides (keepCompiled).
    const outDir = `${p.compiled}.attempt-${randomUUID()}`;
    try {
      await compileInChild(
        {
          onnxPath: p.onnx,
          calibrationPath: p.calibration,
          options: {
            outDir,
            name: req.name,
            weights: req.weights,
            input: req.input,
            ...(req.lookups === 'logup' ? { lookups: 'logup' as const } : {}),
            maxConstraints: deps.maxConstraints,
          },
        },
        ctx,
      );
      try {
        await rename(outDir, p.compiled);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      }
      // The manifest of the folder in place (another attempt's, when it finished first) or, with PostgreSQL, of the
      // first compile any node kept: the one every node proves with.
      const manifest = await files.keepCompiled(req.modelId);
      // The compile's work is done (the job's record says succeeded next): its last progress is 100.
      ctx?.progress({ phase: 'store', percent: COMPILE_PERCENT.store[1] });
      return manifest;
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  };
}

const ATTEMPT_FOLDER = /^compiled\.attempt-[0-9a-f-]{36}$/;

/**
 * Remove the folders compile attempts of a process that died left behind (models/<id>/compiled.attempt-<uuid>/). Only
 * at start, while this node holds the data directory: no attempt of it is running yet.
 */
export async function removeAttemptFolders(modelsDir: string): Promise<void> {
  let models: string[];
  try {
    models = await readdir(modelsDir);
  } catch {
    return; // no models folder yet
  }
  for (const id of models) {
    const entries = await readdir(path.join(modelsDir, id)).catch(() => [] as string[]);
    for (const name of entries.filter((n) => ATTEMPT_FOLDER.test(n)))
      await rm(path.join(modelsDir, id, name), { recursive: true, force: true });
  }
}

/** The sha256 an inference job names for its model's manifest (InferenceRequest.manifestSha256): of its canonical JSON. */
export function manifestHash(manifest: unknown): string {
  return sha256Hex(canonicalJson(manifest));
}

/** MODEL_KEYS_CHANGED: the job names manifest `want`, the model's is now `current` (a setup contribution came between). */
export function modelKeysChanged(modelId: string, want: unknown, current: unknown): ZkaiError {
  return new ZkaiError(
    'MODEL_KEYS_CHANGED',
    `model ${modelId}'s keys changed (a setup contribution) after this job was accepted: it names manifest ${String(want).slice(0, 12)}…, ` +
      `the model's is now ${manifestHash(current).slice(0, 12)}…; not proved under the superseded key, ask for the proof again`,
  );
}

/**
 * The check at each job's start on a node that proves from the models folder (the embedded store, or a worker that
 * shares the folder): the job's manifest must still be the folder's model.json, which a `zkai setup contribute` moves
 * to the new keys (contribute-models.ts). A job of a store older than manifestSha256 names none: proved as it is now.
 */
export function folderModelCheck(modelsDir: string): (modelId: string, manifestSha256: unknown) => Promise<void> {
  return async (modelId, want) => {
    if (want === undefined) return;
    let current: unknown;
    try {
      current = JSON.parse(await readFile(path.join(modelPaths(modelsDir, modelId).compiled, 'model.json'), 'utf8'));
    } catch {
      throw new ZkaiError('UNKNOWN_MODEL', `this node has no compiled model ${modelId}`);
    }
    if (manifestHash(current) !== want) throw modelKeysChanged(modelId, want, current);
  };
}

export interface InferenceJobDeps {
  pool: ProverPool;
  modelsDir: string;
  /**
   * A worker without the models folder: the compiled model from the API node, checked against the manifest hash the
   * job names (fetch-model.ts). Default: read from `modelsDir`.
   */
  fetchModel?: (modelId: string, manifestSha256: unknown) => Promise<CompiledModel>;
  /**
   * At each job's start, before a loaded model is used: the manifest the job names must still be the model's
   * (MODEL_KEYS_CHANGED after a setup contribution superseded its keys). Default: with fetchModel none (the caller
   * gives fetch-model.ts currentModelCheck), else folderModelCheck on `modelsDir`.
   */
  checkModel?: (modelId: string, manifestSha256: unknown) => Promise<void>;
  /** Told how long each successful proof took (ServiceMetrics.observeProof). */
  observeProof?: (circuit: string, engine: string, seconds: number) => void;
  /** Compiled models kept loaded (least recently used dropped first). Default 4. */
  maxCached?: number;
}

/** The handler for kind 'inference': prove the model on the input; the result is the proof bundle. */
export function inferenceJobHandler(deps: InferenceJobDeps): JobHandler {
  const cache = new Map<string, Promise<CompiledModel>>();
  const maxCached = deps.maxCached ?? 4;
  const checkModel = deps.checkModel ?? (deps.fetchModel ? undefined : folderModelCheck(deps.modelsDir));
  const load = (modelId: string, manifestSha256: unknown): Promise<CompiledModel> => {
    // Kept by manifest: a job that names another one (a contribution moved the model to new keys) loads it afresh.
    const key = `${modelId}:${String(manifestSha256)}`;
    let hit = cache.get(key);
    if (hit) cache.delete(key);
    else {
      hit = deps.fetchModel ? deps.fetchModel(modelId, manifestSha256) : loadCompiledModel(modelPaths(deps.modelsDir, modelId).compiled);
      hit.catch(() => cache.delete(key));
    }
    cache.set(key, hit);
    while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    return hit;
  };
  return async (job: Job, ctx?: JobContext) => {
    const req = job.request as Partial<InferenceRequest>;
    if (typeof req.modelId !== 'string' || !Array.isArray(req.input)) {
      throw new ZkaiError('BAD_INPUT', `job ${job.id} has a malformed inference request`);
    }
    await checkModel?.(req.modelId, req.manifestSha256);
    const compiled = await load(req.modelId, req.manifestSha256);
    const input = parseModelInput(req.input, compiled.manifest);
    const started = performance.now();
    const onPhase = ctx && ((phase: ProvePhase) => ctx.progress({ phase }));
    if (req.owner !== undefined && (typeof req.owner !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(req.owner))) {
      throw new ZkaiError('BAD_INPUT', `job ${job.id} has a malformed owner`);
    }
    // Unbound (0) without an owner: the proof verifies, but InferenceAttestor attests it under no model.
    const binding = req.owner === undefined ? 0n : BigInt(req.owner);
    const bundle = await proveInference(deps.pool, compiled, input, { onPhase, binding });
    deps.observeProof?.(compiled.manifest.circuitId, String(bundle.metadata.engine), (performance.now() - started) / 1000);
    return bundle as unknown as Record<string, unknown>;
  };
}

/** Both model handlers, to spread into a JobRunner's (or a queue worker's) handlers. */
export function modelJobHandlers(deps: ModelCompileDeps & InferenceJobDeps): { 'model-compile': JobHandler; inference: JobHandler } {
  return { 'model-compile': modelCompileJobHandler(deps), inference: inferenceJobHandler(deps) };
}

/** A compile child's progress message, if it is one of prover/progress.ts's phases and steps with a percent. */
export function compileProgressOf(p: unknown): CompileProgress | undefined {
  const { phase, step, percent } = (p ?? {}) as Record<string, unknown>;
  if (!(COMPILE_PHASES as readonly unknown[]).includes(phase)) return undefined;
  if (step !== undefined && !(SETUP_STEPS as readonly unknown[]).includes(step)) return undefined;
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) return undefined;
  return { phase, ...(step === undefined ? {} : { step }), percent } as CompileProgress;
}

type ChildAnswer = { ok: true; manifest: ModelManifest } | { ok: false; code: string; message: string };

/**
 * Run compileModel in a child process (one of the capped slots of child-process.ts) and return the manifest it
 * wrote. When `signal` aborts (the job's timeout) the child and its circom are killed.
 */
async function compileInChild(
  request: {
    onnxPath: string;
    calibrationPath: string;
    options: {
      outDir: string;
      name: string;
      weights: ModelCompileRequest['weights'];
      input: ModelCompileRequest['input'];
      maxConstraints?: number;
    };
  },
  ctx?: JobContext,
): Promise<ModelManifest> {
  const m = await runChild<ChildAnswer>({
    script: fileURLToPath(new URL('./children/model-compile-child.ts', import.meta.url)),
    request,
    what: 'model compile',
    ...(ctx?.signal ? { signal: ctx.signal } : {}),
    // The child's compile phases, setup steps and percent become the job's progress; only the closed sets of
    // prover/progress.ts pass (import → quantize → circuit → setup: ptau, zkey, contribution, keys → commitment → store).
    onProgress: (p) => {
      const u = compileProgressOf(p);
      if (u) ctx?.progress(u);
    },
  });
  if (m.ok) return m.manifest;
  // An unexpected failure stays a plain Error, so the runner retries it like one in-process.
  if (m.code === 'INTERNAL') throw new Error(`model compile failed: ${m.message}`);
  throw new ZkaiError(m.code as ZkaiErrorCode, m.message);
}
