/**
 * The HTTP side of a `zkai worker` that fetches its artifacts from an API node (ZKAI_API_URL, ZKAI_WORKER_TOKEN):
 * JSON records and streamed files of the /v1/worker/… routes (server/routes/worker-artifacts.ts). It hashes what it
 * streams and stops at a byte limit; deciding whether a hash is the right one is jobs/worker-artifacts.ts's job.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ZkaiError } from '../common/errors.ts';
import type { workerCircuitSchema, workerModelSchema } from '../server/schemas.ts';
import type { FromSchema } from './from-schema.ts';

/** GET /v1/worker/circuits/:circuitId. */
export type WorkerCircuitListing = FromSchema<typeof workerCircuitSchema>;

/** GET /v1/worker/models/:modelId. */
export type WorkerModelListing = FromSchema<typeof workerModelSchema>;

/** Where a worker's missing artifacts come from (an API node; a test may stand in). */
export interface ArtifactSource {
  /** For messages: the API node's URL. */
  readonly origin: string;
  /** GET a JSON document of at most `maxBytes`. */
  json<T>(route: string, maxBytes?: number): Promise<T>;
  /** Stream GET `route` into `dest` (created), refusing more than `maxBytes`; the sha256 and size of what was written. */
  download(route: string, dest: string, maxBytes: number): Promise<{ sha256: string; bytes: number }>;
}

/** Largest JSON record a worker route answers (a setup.json with its contributions, a verification key, a manifest). */
export const MAX_WORKER_JSON_BYTES = 4 * 1024 * 1024;

/** The API node at `baseUrl`, asked with the worker token. */
export function httpArtifactSource(baseUrl: string, token: string): ArtifactSource {
  const origin = baseUrl.replace(/\/+$/, '');
  const get = async (route: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${origin}${route}`, { headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      // Unreachable is transient: a plain error, so the job is retried rather than failed for good.
      throw new Error(`cannot reach the API node ${origin} for ${route}: ${(err as Error).message}`);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error) detail = `${body.error.code}: ${body.error.message}`;
    } catch {}
    // A 5xx may pass; a 4xx (no such artifact, the token refused) will not.
    if (res.status >= 500) throw new Error(`the API node ${origin} answered ${res.status} for ${route}: ${detail}`);
    throw new ZkaiError('ARTIFACT_UNAVAILABLE', `the API node ${origin} answered ${res.status} for ${route}: ${detail}`, {
      status: res.status,
    });
  };
  const tooLarge = (route: string, maxBytes: number) =>
    new ZkaiError('ARTIFACT_MISMATCH', `${origin}${route} is larger than the ${maxBytes} bytes expected of it`);
  return {
    origin,
    async json<T>(route: string, maxBytes = MAX_WORKER_JSON_BYTES): Promise<T> {
      const res = await get(route);
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > maxBytes) throw tooLarge(route, maxBytes);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) throw tooLarge(route, maxBytes);
        chunks.push(chunk as Buffer);
      }
      try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
      } catch {
        throw new ZkaiError('ARTIFACT_MISMATCH', `${origin}${route} is not JSON`);
      }
    },
    async download(route: string, dest: string, maxBytes: number) {
      const res = await get(route);
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw tooLarge(route, maxBytes);
      }
      const hash = createHash('sha256');
      let bytes = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > maxBytes) return done(tooLarge(route, maxBytes));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), meter, createWriteStream(dest, { flags: 'wx' }));
      return { sha256: hash.digest('hex'), bytes };
    },
  };
}
