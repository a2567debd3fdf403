import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');

/**
 * Runs the `zkai` command in a child process, as a user would (tests). By default it shares the repository's
 * artifact cache, so circuits and their setups are built once per machine; pass `home` for an isolated one, or null
 * for none (ZKAI_HOME unset: the command finds its data directory itself).
 */
export function runZkai(args: string[], cwd: string, home: string | null = path.join(REPO_ROOT, '.zkai')) {
  const env: NodeJS.ProcessEnv = { ...process.env, ZKAI_HOME: home ?? '' };
  if (home === null) delete env.ZKAI_HOME;
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
