#!/usr/bin/env node
// Builds zkai's native engine (prover/native/build/Release/zkai_native.node) with npm's bundled node-gyp
// against the local Node headers, so nothing is downloaded. Runs on `npm ci` (root "install" script):
// any failure only prints a warning and exits 0, because zkai falls back to the snarkjs engine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();

function warn(reason) {
  console.warn(`native engine not built: ${reason}; zkai will use the snarkjs engine`);
  process.exit(0);
}

/** npm's own node-gyp: npm exports its path while running scripts; otherwise look beside the npm install. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const npmDirs = [];
  if (process.env.npm_execpath) npmDirs.push(resolve(dirname(process.env.npm_execpath), '..'));
  npmDirs.push(resolve(dirname(process.execPath), '../lib/node_modules/npm'));
  for (const d of npmDirs) candidates.push(join(d, 'node_modules/node-gyp/bin/node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine
  }
  return candidates.find((c) => existsSync(c));
}

/** Local headers (Debian's nodejs package puts them under /usr/include/node); avoids a download. */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'include/node/node_api.h')));
}

if (process.env.ZKAI_NATIVE === 'off') warn('ZKAI_NATIVE=off');
try {
  createRequire(import.meta.url).resolve('node-addon-api');
} catch {
  warn('node-addon-api is not installed');
}
const gyp = findNodeGyp();
if (!gyp) warn('node-gyp was not found (looked for npm_config_node_gyp and npm/node_modules/node-gyp)');
const nodedir = findNodeDir();
if (!nodedir) warn('Node headers were not found locally (node_api.h)');

const jobs = process.env.JOBS ?? 'max';
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${jobs}`], {
  cwd: here,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.error) warn(result.error.message);
if (result.status !== 0) warn(`node-gyp exited with status ${result.status}`);
if (!existsSync(join(here, 'build/Release/zkai_native.node'))) warn('build finished but zkai_native.node is missing');
// -march=native ties the binary to this CPU's instruction set: record it, so that a build copied to a machine
// without (say) AVX-512 is refused with a reason instead of dying on an illegal instruction (index.ts).
try {
  const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/);
  if (flags) writeFileSync(join(here, 'build/Release/cpu-flags.json'), `${JSON.stringify({ flags })}\n`);
} catch {
  // no /proc/cpuinfo (not Linux): nothing to record, the loader skips the check
}
console.log(`native engine built in ${((Date.now() - started) / 1000).toFixed(1)} s: prover/native/build/Release/zkai_native.node`);
