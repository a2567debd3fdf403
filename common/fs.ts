import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Write a file so that readers never see a half-written one (write to temp, then rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
