/**
 * The long remote commands (`zkai --server <url> dataset commit | prove | model compile | model prove`): each asks
 * the service for a job through zkai/client, follows the job's event stream to its end with the same progress display
 * as the local command (cli/progress.ts: a line on a terminal, plain lines otherwise, JSON events with --json), and
 * prints the result as JSON in the local command's shape, plus the service's ids (jobId, modelId).
 *
 * A job id is shown as soon as the job exists, so an interrupted command loses nothing: the job runs on, and
 * `zkai --server <url> bundle <jobId>` fetches its proof later.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatOf } from '../circuits/dataset/records.ts';
import type { CommitDatasetRequest, Job, JobAccepted, ProofBundle, ZkaiClient } from '../client/index.ts';
import { ZkaiApiError } from '../client/index.ts';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { COMPILE_PHASES, type CompilePhase } from '../prover/progress.ts';
import { compileStep, createProgress, logConstraintTable, type Progress, progressMode } from './progress.ts';
import type { RemoteFlags } from './remote.ts';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** A job's progress line: the phase the service reports, named as the local command names it. */
function stepOf(job: Job): string {
  if (job.state === 'queued') return 'queued on the service';
  const phase = job.phase === undefined || job.phase === 'running' ? 'starting' : job.phase;
  if (job.kind === 'model-compile') {
    // The local command's lines (cli/progress.ts), the setup's step included: the service sends the same closed sets.
    if (!(COMPILE_PHASES as readonly string[]).includes(phase)) return `compile: ${phase}`;
    return compileStep(phase as CompilePhase, job.progress?.step);
  }
  if (job.kind === 'dataset-commit') return `commit: ${phase}`;
  return `prove: ${phase}`;
}

/**
 * Follow a job to its end (GET /v1/jobs/:id/events, which says each change of state, phase and percent), showing each
 * step; the finished job, or its failure as the job's own typed error.
 */
async function follow(client: ZkaiClient, jobId: string, progress: Progress): Promise<Job> {
  progress.note(`job ${jobId} on ${client.baseUrl}`);
  const job = await client.watchJob(jobId, (j) => {
    // The service's estimate of the whole job in percent (a dataset commit's moves within its phases too).
    const percent = j.state === 'running' ? j.progress?.percent : undefined;
    if (j.state === 'queued' || j.state === 'running') progress.update(stepOf(j), percent, percent === undefined ? undefined : 100);
  });
  progress.end();
  if (job.state === 'succeeded') return job;
  if (job.state === 'cancelled') throw new ZkaiError('JOB_FINISHED', `job ${jobId} was cancelled on the service`);
  const error = job.error ?? { code: 'INTERNAL', message: 'the job failed without an error record' };
  // The job's code (WITNESS_FAILED, JOB_TIMEOUT, MODEL_TOO_LARGE …): the service's contract, passed on as is.
  throw new ZkaiError(error.code as ZkaiErrorCode, `job ${jobId} failed: ${error.message}`);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The bundle to --out (or, without --out, on stdout as the result). */
async function deliver(bundle: ProofBundle, out: string | undefined, progress: Progress): Promise<boolean> {
  if (!out) {
    print(bundle);
    return false;
  }
  await writeFileAtomic(out, `${JSON.stringify(bundle, null, 2)}\n`);
  progress.note(`proof written to ${out} (${bundle.metadata.provingMs} ms on the service)`);
  return true;
}

/**
 * Upload the csv or jsonl text (its columns mapped by the service, the same --columns as locally) as a background
 * commit and follow it: leaves, then tree. A node whose jobs go to a shared queue cannot commit in the background; it
 * commits in the request instead (no progress until it answers).
 */
export async function remoteDatasetCommit(client: ZkaiClient, file: string, flags: RemoteFlags): Promise<number> {
  const format = formatOf(file);
  const progress = createProgress(progressMode(flags.json));
  const body: CommitDatasetRequest = {
    [format]: await readText(file, 'records file'),
    name: flags.name ?? path.basename(file),
    ...(flags.columns !== undefined ? { columns: flags.columns } : {}),
  };
  progress.update(`upload ${file}`);
  let accepted: JobAccepted | undefined;
  try {
    accepted = await client.startDatasetCommit(body);
  } catch (err) {
    if (!(err instanceof ZkaiApiError && err.status === 400 && /background commits/.test(err.detail))) throw err;
  }
  let rootHex: string;
  if (accepted) {
    progress.end();
    const job = await follow(client, accepted.jobId, progress);
    const link = job.links.dataset;
    if (!link) throw new ZkaiError('INTERNAL', `job ${job.id} succeeded but names no dataset`);
    rootHex = decodeURIComponent(link.slice(link.lastIndexOf('/') + 1));
  } else {
    progress.update('commit (in the request: this service runs no background commits)');
    rootHex = (await client.commitDataset(body)).rootHex;
    progress.end();
  }
  const m = await client.dataset(rootHex);
  progress.note(`committed ${m.leafCount} records`);
  print({
    rootHex: m.rootHex,
    root: m.root,
    depth: m.depth,
    leafCount: m.leafCount,
    totalWeight: m.totalWeight,
    ...(accepted ? { jobId: accepted.jobId } : {}),
    ...(m.source ? { source: m.source } : {}),
  });
  return 0;
}

/** A membership proof of one record for a royalty epoch: the job, its progress, its bundle. */
export async function remoteMembershipProve(client: ZkaiClient, rootHex: string, recordId: string, flags: RemoteFlags): Promise<number> {
  // Sent as text: a royalty epoch label is a field element, above 2^53 (the service checks it is below r).
  if (flags.epoch === undefined || !/^\d{1,78}$/.test(flags.epoch))
    throw new ZkaiError('BAD_INPUT', 'prove needs --epoch <n>, a decimal integer (the royalty epoch)');
  const progress = createProgress(progressMode(flags.json));
  progress.update('ask for the proof');
  const accepted = await client.proveMembership(rootHex, { recordId, epoch: flags.epoch });
  progress.end();
  const job = await follow(client, accepted.jobId, progress);
  const bundle = await client.bundle(job.id);
  if (await deliver(bundle, flags.out, progress)) print({ out: flags.out, jobId: job.id, public: bundle.public });
  return 0;
}

const WEIGHTS = ['pedersen', 'poseidon', 'public'] as const;

/** Upload an ONNX model and its calibration rows, follow the compile's phases, print the ready model. */
export async function remoteModelCompile(client: ZkaiClient, onnxFile: string, flags: RemoteFlags): Promise<number> {
  if (!flags.calibration) throw new ZkaiError('BAD_INPUT', 'model compile needs --calibration <inputs.csv>');
  const weights = flags.weights ?? 'pedersen';
  if (!(WEIGHTS as readonly string[]).includes(weights))
    throw new ZkaiError('BAD_INPUT', '--weights is pedersen (default), poseidon or public');
  let onnx: Buffer;
  try {
    onnx = await readFile(onnxFile);
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read the model ${onnxFile}: ${(err as Error).message}`);
  }
  const calibrationCsv = await readText(flags.calibration, 'calibration rows');
  const progress = createProgress(progressMode(flags.json));
  progress.update(`upload ${onnxFile} (${onnx.length.toLocaleString('en')} bytes)`);
  const uploaded = await client.uploadModel({
    onnx: onnx.toString('base64'),
    calibrationCsv,
    weights: weights as (typeof WEIGHTS)[number],
    ...(flags.name !== undefined ? { name: flags.name } : {}),
  });
  progress.end();
  progress.note(`model ${uploaded.id}`);
  await follow(client, uploaded.compileJob.id, progress);
  const m = await client.model(uploaded.id);
  if (m.state !== 'ready' || !m.constraints)
    throw new ZkaiError('INTERNAL', `model ${m.id} compiled but is ${m.state}${m.error ? ` (${m.error.code}: ${m.error.message})` : ''}`);
  if (progressMode(flags.json) !== 'json') logConstraintTable(m.constraints, (line) => process.stderr.write(`${line}\n`));
  print({
    modelId: m.id,
    name: m.name,
    circuitId: m.circuitId,
    constraints: m.constraints.total,
    agreement: m.agreement,
    weightCommitment: m.weightCommitment ?? null,
    ...(m.commitment ? { commitment: m.commitment } : {}),
    vkeyHash: m.vkeyHash,
    insecureSetup: m.insecureSetup,
  });
  return 0;
}

/** Prove one inference of a ready model; the input file as `zkai model prove` takes it (an array, or {"input": [...]}). */
export async function remoteModelProve(client: ZkaiClient, modelId: string, flags: RemoteFlags): Promise<number> {
  if (!flags.input) throw new ZkaiError('BAD_INPUT', 'model prove needs --input <input.json>');
  let json: unknown;
  try {
    json = JSON.parse(await readText(flags.input, 'input'));
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    throw new ZkaiError('BAD_INPUT', `cannot read ${flags.input} as JSON: ${(err as Error).message}`);
  }
  const input = Array.isArray(json) ? json : (json as { input?: unknown })?.input;
  // The service checks the length against the model's input shape; this only checks it is numbers at all.
  if (!Array.isArray(input) || input.some((v) => typeof v !== 'number'))
    throw new ZkaiError('BAD_INPUT', `${flags.input}: the input must be an array of numbers (or {"input": [...]})`);
  // The registrant the proof is bound to, as locally: --owner, else ZKAI_CHAIN_KEY's address, else none (a note).
  const bound = (await import('./model-binding.ts')).proofBinding(flags.owner);
  const progress = createProgress(progressMode(flags.json));
  if (bound.note) progress.note(bound.note);
  progress.update('ask for the proof');
  const accepted = await client.proveModel(modelId, { input, ...(bound.address ? { owner: bound.address } : {}) });
  progress.end();
  const job = await follow(client, accepted.jobId, progress);
  const bundle = await client.bundle(job.id);
  if (await deliver(bundle, flags.out, progress)) {
    const { signedOutputs } = await import('../prover/bundle.ts');
    const outputs = signedOutputs(bundle);
    print({ out: flags.out, jobId: job.id, label: bundle.public.label, logits: outputs?.logits, public: bundle.public });
  }
  return 0;
}
