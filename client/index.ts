/**
 * zkai/client: a typed client of the zkai HTTP API for Node (≥ 20, global fetch) and the browser (the web console
 * uses it). Every type is computed from the JSON schemas the routes validate and serialise with (FromSchema), so a
 * schema change is a type change here; nothing is written twice. Errors are ZkaiApiError with the API's stable code.
 */
import type { ProofBundle } from '../prover/bundle.ts';
import type { ChainInfo } from '../server/routes/chain.ts';
import type { commitBodySchema, membershipProofBodySchema } from '../server/routes/datasets.ts';
import type { proveBodySchema, uploadBodySchema } from '../server/routes/models.ts';
import type { trustedKeysSchema, verifyReportSchema } from '../server/routes/verify.ts';
import type {
  datasetManifestSchema,
  datasetSummarySchema,
  jobAcceptedResponse,
  jobLinksSchema,
  jobSchema,
  modelSchema,
} from '../server/schemas.ts';
import type { FromSchema } from './from-schema.ts';

export type { FromSchema } from './from-schema.ts';
export type { ChainInfo, ProofBundle };

/** The shared schemas by $id, for `$ref: '<Id>#'`. */
type Refs = { JobLinks: typeof jobLinksSchema };

export type DatasetSummary = FromSchema<typeof datasetSummarySchema, Refs>;
export type DatasetManifest = FromSchema<typeof datasetManifestSchema, Refs>;
export type Job = FromSchema<typeof jobSchema, Refs>;
export type JobState = Job['state'];
export type Model = FromSchema<typeof modelSchema, Refs>;
export type JobAccepted = FromSchema<ReturnType<typeof jobAcceptedResponse>, Refs>;
export type VerifyReport = FromSchema<typeof verifyReportSchema, Refs>;
export type TrustedKeys = FromSchema<typeof trustedKeysSchema, Refs>;
export type UploadModelRequest = FromSchema<ReturnType<typeof uploadBodySchema>, Refs>;
export type ProveModelRequest = FromSchema<typeof proveBodySchema, Refs>;
export type MembershipProofRequest = FromSchema<typeof membershipProofBodySchema, Refs>;
/** POST /v1/datasets: the records in exactly one of records, csv or jsonl (`async` is set by the method called). */
export type CommitDatasetRequest = Omit<FromSchema<ReturnType<typeof commitBodySchema>, Refs>, 'async'>;

/** An error answer of the API: `{ error: { code, message } }` with its HTTP status. */
export class ZkaiApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The API's message alone (`message` is `<code>: <detail>`). */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ZkaiApiError';
  }
}

export interface ClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080 ('' in the browser: same origin). */
  baseUrl: string;
  /** An API key (zkai_…); public routes answer without one. */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export class ZkaiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) {
      const text = await res.text();
      let code = 'HTTP_ERROR';
      let message = `${res.status} ${res.statusText}`;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        if (parsed.error?.code) code = parsed.error.code;
        if (parsed.error?.message) message = parsed.error.message;
      } catch {
        // not the API's error body: keep the status line
      }
      throw new ZkaiApiError(res.status, code, message);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }

  health(): Promise<Record<string, unknown>> {
    return this.json('GET', '/health');
  }
  chain(): Promise<ChainInfo> {
    return this.json('GET', '/v1/chain');
  }
  async listDatasets(limit?: number): Promise<DatasetSummary[]> {
    return (await this.json<{ datasets: DatasetSummary[] }>('GET', `/v1/datasets${query({ limit })}`)).datasets;
  }
  dataset(rootHex: string): Promise<DatasetManifest> {
    return this.json('GET', `/v1/datasets/${encodeURIComponent(rootHex)}`);
  }
  /** Commit in one request (200: this tenant had the same root already, 201: new to it); the answer waits for the whole commit. */
  commitDataset(body: CommitDatasetRequest): Promise<DatasetSummary> {
    return this.json('POST', '/v1/datasets', body);
  }
  /**
   * Commit in the background: a dataset-commit job (phases leaves, then tree; follow it with watchJob), whose
   * links.dataset names the dataset once it has succeeded. Refused (BAD_INPUT) by a node whose jobs go to a shared queue.
   */
  startDatasetCommit(body: CommitDatasetRequest): Promise<JobAccepted> {
    return this.json('POST', '/v1/datasets', { ...body, async: true });
  }
  proveMembership(rootHex: string, body: MembershipProofRequest): Promise<JobAccepted> {
    return this.json('POST', `/v1/datasets/${encodeURIComponent(rootHex)}/proofs`, body);
  }
  async listModels(limit?: number): Promise<Model[]> {
    return (await this.json<{ models: Model[] }>('GET', `/v1/models${query({ limit })}`)).models;
  }
  model(id: string): Promise<Model> {
    return this.json('GET', `/v1/models/${encodeURIComponent(id)}`);
  }
  uploadModel(body: UploadModelRequest): Promise<Model> {
    return this.json('POST', '/v1/models', body);
  }
  proveModel(id: string, body: ProveModelRequest): Promise<JobAccepted> {
    return this.json('POST', `/v1/models/${encodeURIComponent(id)}/prove`, body);
  }
  async listJobs(opts: { state?: JobState; limit?: number } = {}): Promise<Job[]> {
    return (await this.json<{ jobs: Job[] }>('GET', `/v1/jobs${query(opts)}`)).jobs;
  }
  job(id: string): Promise<Job> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }
  cancelJob(id: string): Promise<Job> {
    return this.json('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }
  bundle(jobId: string): Promise<ProofBundle> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(jobId)}/bundle`);
  }
  /** The service's own check (snarkjs and @noble/curves) against the keys it trusts. */
  verify(bundle: unknown): Promise<VerifyReport> {
    return this.json('POST', '/v1/verify', bundle);
  }
  /** The verification-key hashes the service trusts for a circuit (what /v1/verify pins to). */
  trustedKeys(circuitId: string): Promise<TrustedKeys> {
    return this.json('GET', `/v1/circuits/${encodeURIComponent(circuitId)}/keys`);
  }

  /**
   * Follows a job's event stream (GET /v1/jobs/:id/events, read with fetch so the API key can be sent: EventSource
   * cannot send headers), calling `onJob` at each state or phase change; resolves with the job in its final state.
   */
  async watchJob(id: string, onJob: (job: Job) => void = () => {}, signal?: AbortSignal): Promise<Job> {
    const res = await this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/events`, undefined, signal);
    if (!res.body) throw new ZkaiApiError(res.status, 'HTTP_ERROR', 'the event stream has no body');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let last: Job | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (data) {
          last = JSON.parse(data.slice('data: '.length)) as Job;
          onJob(last);
        }
        end = buffer.indexOf('\n\n');
      }
      if (done) break;
    }
    if (!last || !FINAL_STATES.includes(last.state)) return this.job(id); // the stream ended early: ask once
    return last;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}
