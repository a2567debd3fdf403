#!/usr/bin/env node
// Runs every *.test.ts in the project with Node's built-in test runner (through tsx).
// Node 20's --test does not expand globs itself, so collect the files here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['client', 'console', 'common', 'circuits', 'prover', 'jobs', 'gpu', 'server', 'cli', 'verifier-contracts', 'test'];
const skip = new Set(['node_modules', 'artifacts', 'cache', '.zkai']);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
for (const r of roots) {
  try {
    walk(r);
  } catch {}
}
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
// Tests share one artifact cache in the repository (circuits and keys are built once per checkout), never the
// user's ~/.zkai, unless ZKAI_HOME says otherwise.
const env = { ...process.env, ZKAI_HOME: process.env.ZKAI_HOME || path.join(import.meta.dirname, '..', '.zkai') };
// ZKAI_TEST_CONCURRENCY=2 runs two files at a time (Node's default on 2 cores is one): the files share only the
// content-addressed artifact cache (atomic renames) and the contracts' artifacts (a cross-process compile lock).
// Measured on 2 idle cores with warm caches: 782 tests in 16.6 min (one at a time, the last warm run took 23.5 min
// with 722 tests); `npm test` stays one at a time until a cold run confirms it.
const concurrency = process.env.ZKAI_TEST_CONCURRENCY ? [`--test-concurrency=${Number(process.env.ZKAI_TEST_CONCURRENCY)}`] : [];
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...concurrency, '--test-timeout=1200000', ...selected.sort()], {
  stdio: 'inherit',
  env,
});
process.exit(res.status ?? 1);
