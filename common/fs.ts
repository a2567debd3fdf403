import { randomUUID } from 'node:crypto';
import { link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A suffix no other writer uses, for temporary files renamed into place: concurrent writers in one process
 * (same pid, same millisecond) must not share a temporary file.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${randomUUID()}`;
}

/**
 * Write a file so that readers never see a half-written one (write to temp, then rename). `data` may be a list of
 * buffers, written one after the other (no copy of a large file's bytes into one buffer first).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${uniqueSuffix()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/**
 * Put a finished temporary file in place unless another writer already did (theirs is kept: the first one wins), then
 * remove the temporary file. For content-addressed files that several processes may make at once.
 */
export async function publishOnce(tmp: string, file: string): Promise<void> {
  try {
    await link(tmp, file);
  } catch (err) {
    // Filesystems without hard links: a rename is atomic too, it just may replace a twin.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
