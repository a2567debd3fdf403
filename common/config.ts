import path from 'node:path';

/** Root of the repository (this file lives in <root>/common). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/**
 * Where generated and cached artifacts live (circuits, ptau, zkeys, datasets, job store).
 * Never in git. `ZKAI_HOME` overrides; default `.zkai/` in the current directory.
 */
export function zkaiHome(): string {
  return path.resolve(process.env.ZKAI_HOME ?? '.zkai');
}

export function cacheDir(...parts: string[]): string {
  return path.join(zkaiHome(), ...parts);
}
