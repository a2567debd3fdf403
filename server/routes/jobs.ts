import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import type { Job, JobStore } from '../../prover/jobs.ts';
import { errorResponses, UUID_PATTERN } from '../schemas.ts';

export interface JobRoutesOptions {
  store: JobStore;
}

/** Where a job and its bundle can be fetched. */
export function jobLinks(id: string): { job: string; bundle: string } {
  return { job: `/v1/jobs/${id}`, bundle: `/v1/jobs/${id}/bundle` };
}

/** A job as the API shows it: its state and links, not its (possibly large) result. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    request: job.request,
    attempts: job.attempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.error ? { error: job.error } : {}),
    links: jobLinks(job.id),
  };
}

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: UUID_PATTERN, description: 'Job id (a UUID)' } },
} as const;

/** Jobs: poll a job, fetch its proof bundle once it has succeeded. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, { store }) => {
  function find(id: string): Job {
    const job = store.get(id.toLowerCase());
    if (!job) throw new ZkaiError('UNKNOWN_JOB', `no job ${id}`);
    return job;
  }

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Read a job',
        params: idParams,
        response: { 200: { description: 'The job', $ref: 'Job#' }, ...errorResponses(400, 404, 500) },
      },
    },
    async (request) => jobView(find(request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id/bundle',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Fetch the proof bundle of a job',
        description: '409 JOB_NOT_FINISHED while the job is queued or running; 422 with the job error code if it failed.',
        params: idParams,
        response: { 200: { description: 'The proof bundle', $ref: 'ProofBundle#' }, ...errorResponses(400, 404, 409, 422, 500) },
      },
    },
    async (request, reply) => {
      const job = find(request.params.id);
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
