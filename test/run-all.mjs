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
// The slowest files first, longest first, the rest in name order: with two lanes, a long file started last leaves
// the other lane idle at the end. Seconds from a cold fresh-clone run on 2 loaded cores (2026-12-07, about twice
// CI's times); only the order matters. (Before run-files.mjs, `node --test` re-sorted the files by name and this
// order was lost: test/e2e-fixtures and test/economy-cli ran last, together, for minutes.)
const SLOW_FIRST = [
  ['cli/model-chain.test.ts', 769],
  ['circuits/model/model-circuit.test.ts', 550],
  ['test/economy-cli.test.ts', 497],
  ['test/e2e-fixtures.test.ts', 289],
  ['cli/cli.test.ts', 243],
  ['circuits/model/lookups.test.ts', 242],
  ['cli/setup-cli.test.ts', 194],
  ['cli/model-cli.test.ts', 171],
  ['circuits/model/graph-ops.test.ts', 163],
  ['cli/remote-jobs.test.ts', 161],
  ['test/api-nodes-postgres.test.ts', 155],
  ['prover/setup/ceremony.test.ts', 141],
  ['prover/setup/zkey-new.test.ts', 134],
  ['test/queue-durability.test.ts', 134],
  ['gpu/webgpu/msm.test.ts', 123],
  ['jobs/fetch-model.test.ts', 106],
  ['cli/prove-cli.test.ts', 100],
  ['circuits/lib/quant.test.ts', 86],
  ['cli/serve-cli.test.ts', 84],
  ['test/distributed.test.ts', 80],
];
const rank = new Map(SLOW_FIRST.map(([f], i) => [path.normalize(f), i]));
const ordered = [...selected].sort((a, b) => {
  const [ra, rb] = [rank.get(path.normalize(a)) ?? Infinity, rank.get(path.normalize(b)) ?? Infinity];
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
});
// Tests share one artifact cache in the repository (circuits and keys are built once per checkout), never the
// user's ~/.zkai, unless ZKAI_HOME says otherwise.
// Warm circuits build no fixed-base tables in tests unless asked (ZKAI_FIXED_BASE_MIB): tests load circuits far more
// often than they prove with each, and prover/groth16/fixed-tables.test.ts proves over tables with its own budget.
const env = {
  ...process.env,
  ZKAI_HOME: process.env.ZKAI_HOME || path.join(import.meta.dirname, '..', '.zkai'),
  ZKAI_FIXED_BASE_MIB: process.env.ZKAI_FIXED_BASE_MIB ?? '0',
};
// Two files at a time by default (Node's default on 2 cores is one): the files share only the content-addressed
// artifact cache (atomic renames) and the contracts' artifacts (a cross-process compile lock), and most files wait
// on a child (circom, a chain, a browser, a server) part of the time, so a second file fills the idle core.
// Measured on 2 idle cores with warm caches: 782 tests in 16.6 min against 23.5 min one at a time.
// ZKAI_TEST_CONCURRENCY=1 runs them one at a time (e.g. to read one file's timings undisturbed).
const concurrency = Number(process.env.ZKAI_TEST_CONCURRENCY || 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`ZKAI_TEST_CONCURRENCY must be a positive integer, got ${process.env.ZKAI_TEST_CONCURRENCY}`);
  process.exit(2);
}
// run-files.mjs keeps this order (`node --test <files>` would sort it by name).
const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'run-files.mjs'), ...ordered], {
  stdio: 'inherit',
  env: { ...env, ZKAI_TEST_CONCURRENCY: String(concurrency) },
});
process.exit(res.status ?? 1);
