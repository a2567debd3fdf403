import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A suffix no other writer uses, for temporary files renamed into place: concurrent writers in one process
 * (same pid, same millisecond) must not share a temporary file.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${randomUUID()}`;
}

/** Write a file so that readers never see a half-written one (write to temp, then rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${uniqueSuffix()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
