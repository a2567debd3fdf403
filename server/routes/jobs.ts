import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import { FINAL_STATES, type Job, type JobState, phaseOf } from '../../jobs/jobs.ts';
import type { JobQueueApi } from '../../jobs/queue/types.ts';
import { errorResponses, limitQuery, listResponse, parseLimit, UUID_PATTERN } from '../schemas.ts';

export interface JobRoutesOptions {
  /** The job queue: the embedded JobStore or the Redis one (answers may be promises). */
  store: JobQueueApi;
  /** How often the event stream looks at the store for changes (default 200 ms). */
  eventPollMs?: number;
}

/** Where a proof job and its bundle can be fetched (its event stream and cancel action are at `<job>/events` and `<job>/cancel`). */
export function jobLinks(id: string): { job: string; bundle: string } {
  return { job: `/v1/jobs/${id}`, bundle: `/v1/jobs/${id}/bundle` };
}

/** A job's links: proof jobs have a bundle, a model-compile job points at its model. */
function linksOf(job: Job): Record<string, string> {
  if (job.kind === 'dataset-commit') {
    const rootHex = job.state === 'succeeded' ? job.result?.rootHex : undefined;
    return { job: `/v1/jobs/${job.id}`, ...(typeof rootHex === 'string' ? { dataset: `/v1/datasets/${rootHex}` } : {}) };
  }
  if (job.kind !== 'model-compile') return jobLinks(job.id);
  return { job: `/v1/jobs/${job.id}`, model: `/v1/models/${String(job.request.modelId)}` };
}

/** The parts of a job's request the API shows (an inference input stays private: it may be the secret the proof hides). */
function requestView(job: Job): Record<string, unknown> {
  const { root, recordId, epoch, modelId } = job.request;
  return Object.fromEntries(Object.entries({ root, recordId, epoch, modelId }).filter(([, v]) => v !== undefined));
}

/** The same error for an unknown job and another tenant's: which ids exist is nobody else's business. */
function unknownJob(id: string): ZkaiError {
  return new ZkaiError('UNKNOWN_JOB', `no job ${id}`);
}

/**
 * Answer 429 QUEUE_FULL (with Retry-After) when `maxQueue` jobs are queued; true if it did. Better a quick
 * 429 the client can back off from than a job that waits for hours (or a queue that grows without bound).
 */
export async function refuseWhenQueueFull(
  store: Pick<JobQueueApi, 'queuedCount'>,
  maxQueue: number,
  reply: { code(n: number): { header(k: string, v: string): { send(body: unknown): unknown } } },
): Promise<boolean> {
  const queued = await store.queuedCount();
  if (queued < maxQueue) return false;
  const message = `the proof queue is full (${queued} jobs queued, limit ${maxQueue}); retry later`;
  reply
    .code(429)
    .header('retry-after', String(QUEUE_FULL_RETRY_AFTER_S))
    .send({ error: { code: 'QUEUE_FULL', message } });
  return true;
}

/** Seconds a client is told to wait after QUEUE_FULL (roughly a few proofs' time). */
const QUEUE_FULL_RETRY_AFTER_S = 30;

/** A job as the API shows it: its state and links, not its (possibly large) result. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    phase: phaseOf(job.state, job.progress),
    ...(job.progress && job.state === 'running' ? { progress: job.progress } : {}),
    ...(job.cancelRequested && job.state === 'running' ? { cancelRequested: true } : {}),
    request: requestView(job),
    attempts: job.attempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.error ? { error: job.error } : {}),
    links: linksOf(job),
  };
}

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: UUID_PATTERN, description: 'Job id (a UUID)' } },
} as const;

const JOB_STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** Jobs: list and poll a tenant's jobs, cancel one, fetch its proof bundle once it has succeeded. Another tenant's job is a 404. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, { store, eventPollMs = 200 }) => {
  // Event streams still open; ended when the server closes, which would otherwise wait for their jobs to finish.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of [...openStreams]) stop();
  });

  async function find(id: string, tenant: string): Promise<Job> {
    const job = await store.get(id.toLowerCase());
    if (!job || job.tenant !== tenant) throw unknownJob(id);
    return job;
  }

  app.get<{ Querystring: { state?: JobState; limit?: string } }>(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: "List this tenant's jobs",
        description: 'Newest first, at most `limit` (default 100).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: JOB_STATES }, limit: limitQuery },
        },
        response: {
          200: listResponse('jobs', 'Job', 'The jobs'),
          ...errorResponses(400, 401, 500),
        },
      },
    },
    async (request) => {
      const jobs = await store.list({ tenant: request.tenant, state: request.query.state, limit: parseLimit(request.query.limit) });
      return { jobs: jobs.map(jobView) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Read a job',
        params: idParams,
        response: { 200: { description: 'The job', $ref: 'Job#' }, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (request) => jobView(await find(request.params.id, request.tenant)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A queued job is cancelled at once (200) and never runs. A running proof cannot be interrupted (snarkjs has no abort): ' +
          'the job is marked `cancelRequested` (202) and becomes `cancelled` when its proof returns, the result discarded. ' +
          'A finished job answers 409 JOB_FINISHED.',
        params: idParams,
        response: {
          200: { description: 'Cancelled', $ref: 'Job#' },
          202: { description: 'Cancel requested: the job ends cancelled when its running proof returns', $ref: 'Job#' },
          ...errorResponses(400, 401, 404, 409, 500),
        },
      },
    },
    async (request, reply) => {
      const id = (await find(request.params.id, request.tenant)).id;
      const done = await store.cancel(id);
      if (!done) throw unknownJob(request.params.id);
      if (done.outcome === 'finished') throw new ZkaiError('JOB_FINISHED', `job ${id} has already ${done.job.state}`);
      request.log.info({ jobId: id, kind: done.job.kind, outcome: done.outcome }, 'job cancel');
      return reply.code(done.outcome === 'cancelled' ? 200 : 202).send(jobView(done.job));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id/events',
    {
      schema: {
        tags: ['jobs'],
        summary: "Stream a job's state changes (server-sent events)",
        description:
          'text/event-stream: one `job` event (data: the job as GET /v1/jobs/:id shows it) now and at each change of state, phase, ' +
          'step or progress percent (a dataset commit reports its percent within `leaves` and `tree`, a model compile within its ' +
          'setup’s `contribution` step, at most once a second); the stream ends after the job reaches succeeded, failed or cancelled. ' +
          'Phases: queued; while running, the phase its worker reports (proofs: witness, quotient, msm with zkai’s prover, witness, ' +
          'proving with snarkjs; model compiles: import, quantize, circuit, setup with its steps, commitment, store, ending at ' +
          'percent 100; dataset commits: leaves, tree; `running` before the first report); done. `progress.percent` is a rough ' +
          'estimate from fixed per-phase weights (the Job schema says which).',
        params: idParams,
        response: {
          200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses(400, 401, 404, 500),
        },
      },
    },
    async (request, reply) => {
      const job = await find(request.params.id, request.tenant);
      const stream = new PassThrough();
      let last = '';
      const emit = (j: Job): boolean => {
        // A step or a percent within a phase is news too: a large dataset commit spends a minute in `leaves` and `tree`,
        // a compile minutes in its setup's steps, whose percent their handlers report (at most once a second,
        // prover/progress.ts); a proof's phases carry one each.
        const running = j.state === 'running' ? `${j.progress?.step ?? ''}/${j.progress?.percent ?? ''}` : '';
        const key = `${j.state}/${phaseOf(j.state, j.progress)}/${running}/${j.cancelRequested}`;
        if (key !== last) {
          last = key;
          stream.write(`event: job\nid: ${j.updatedAt}\ndata: ${JSON.stringify(jobView(j))}\n\n`);
        }
        return FINAL_STATES.includes(j.state);
      };
      // Polling the store (not an in-process emitter) sees changes from any runner, including after a restart.
      const timer = setInterval(async () => {
        const now = await Promise.resolve(store.get(job.id)).catch(() => job);
        if (!now || emit(now)) stop();
      }, eventPollMs);
      // An in-process store also says when progress is written, so phases shorter than the poll interval are not missed.
      const unwatch = store.onProgress?.((id) => {
        if (id !== job.id) return;
        const now = store.get(id);
        if (now && !(now instanceof Promise) && emit(now)) stop();
      });
      const stop = () => {
        clearInterval(timer);
        unwatch?.();
        openStreams.delete(stop);
        stream.end();
      };
      openStreams.add(stop);
      reply.raw.on('close', () => {
        // The client went away (or the stream ended).
        clearInterval(timer);
        unwatch?.();
        openStreams.delete(stop);
      });
      if (emit(job)) stop();
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id/bundle',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Fetch the proof bundle of a job',
        description: '409 JOB_NOT_FINISHED while the job is queued or running; 422 with the job error code if it failed.',
        params: idParams,
        response: {
          200: { description: 'The proof bundle', $ref: 'ProofBundle#' },
          ...errorResponses(400, 401, 404, 409, 422, 500),
        },
      },
    },
    async (request, reply) => {
      const job = await find(request.params.id, request.tenant);
      if (job.kind === 'model-compile') {
        throw new ZkaiError(
          'NOT_FOUND',
          `job ${job.id} compiles a model and makes no proof bundle; see /v1/models/${String(job.request.modelId)}`,
        );
      }
      if (job.kind === 'dataset-commit')
        throw new ZkaiError('NOT_FOUND', `job ${job.id} commits a dataset and makes no proof bundle; see its links.dataset`);
      if (job.state === 'failed') {
        const error = job.error ?? { code: 'INTERNAL', message: 'the job failed without an error record' };
        return reply.code(422).send({ error: { code: error.code, message: `job ${job.id} failed: ${error.message}` } });
      }
      if (job.state !== 'succeeded' || !job.result) {
        throw new ZkaiError('JOB_NOT_FINISHED', `job ${job.id} is ${job.state}; poll ${jobLinks(job.id).job}`);
      }
      // Sent pre-serialised: the bundle is stored exactly as the prover made it, and passing it
      // through a response serializer could drop a field the schema does not list.
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(job.result));
    },
  );
};
