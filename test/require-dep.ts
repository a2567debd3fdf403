// One rule for tests that need something outside Node (redis-server, PostgreSQL, Chromium, a WebGPU adapter).

/**
 * The `skip` option of a suite that needs `dep`. Present: false (run). Missing on a developer's machine: a reason to
 * skip. Missing under CI=true: throws, so the suite FAILS: a CI run must not go green by skipping what it was meant to
 * test (.ci/install-debian-packages.sh installs these).
 */
export function requireOrSkip(present: boolean, dep: string, env: NodeJS.ProcessEnv = process.env): false | string {
  if (present) return false;
  const reason = `${dep} is not available`;
  if (isCi(env)) throw new Error(`${reason}, and CI=true: a test that needs it fails instead of skipping`);
  return reason;
}

/** CI=true (or 1), as CI services set it. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}
