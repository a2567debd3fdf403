import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Root of the repository (this file lives in <root>/common). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** Where the data directory came from (`zkai config` and the start-up banner say it). */
export type HomeSource = 'ZKAI_HOME' | 'project' | 'user';

/**
 * The data directory: generated and cached artifacts (circuits, ptau, zkeys), datasets, models, the job store, API
 * keys. Never in git. First match wins:
 * 1. `ZKAI_HOME`;
 * 2. the nearest `.zkai` directory in the current directory or one of its parents (a project that keeps its own);
 * 3. `~/.zkai`, the user's store.
 * Never a new `.zkai` in whatever directory a command happens to run from: `zkai admin key create` run elsewhere
 * must find the same keys as the service.
 */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { path: string; source: HomeSource } {
  if (env.ZKAI_HOME) return { path: path.resolve(cwd, env.ZKAI_HOME), source: 'ZKAI_HOME' };
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (isDirectory(path.join(dir, '.zkai'))) return { path: path.join(dir, '.zkai'), source: 'project' };
    if (path.dirname(dir) === dir) break;
  }
  return { path: path.join(env.HOME || os.homedir(), '.zkai'), source: 'user' };
}

export function zkaiHome(): string {
  return resolveHome().path;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function cacheDir(...parts: string[]): string {
  return path.join(zkaiHome(), ...parts);
}
