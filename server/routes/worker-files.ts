/** What the worker-only routes (worker-artifacts.ts, worker-models.ts) share: file digests and streamed files. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import { sha256File } from '../../common/hash.ts';

export type FileDigest = { sha256: string; bytes: number };

/**
 * sha256 and size of a file, once per process (or the sha256 a record already holds): for immutable files only (a
 * new content id is a new folder). A file that can be rewritten in place (a commitment key) is digested each time.
 */
export function fileDigests(): (file: string, recorded?: string) => Promise<FileDigest> {
  const digests = new Map<string, Promise<FileDigest>>();
  return (file, recorded) => {
    let hit = digests.get(file);
    if (!hit) {
      hit = (async () => ({ sha256: recorded ?? (await sha256File(file)), bytes: (await stat(file)).size }))();
      hit.catch(() => digests.delete(file));
      digests.set(file, hit);
    }
    return hit;
  };
}

/** sha256 and size of a file that may be rewritten in place. */
export async function digestNow(file: string): Promise<FileDigest> {
  return { sha256: await sha256File(file), bytes: (await stat(file)).size };
}

/** Stream `file` as the answer, never buffered. */
export function streamFile(reply: FastifyReply, file: string, bytes: number, type: string): FastifyReply {
  return reply.header('content-length', bytes).type(type).send(createReadStream(file));
}

export const binary = (description: string) => ({ description, type: 'string', format: 'binary' }) as const;
