// `zkai gpu selftest`: prints the adapter and agrees with the CPU engine (exit 0) where an adapter exists
// (lavapipe in CI); exit 2 with the reason where none does; a bad option is a usage error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';

const bin = path.join(REPO_ROOT, 'cli', 'bin.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'gpu', ...args], { encoding: 'utf8', timeout: 300_000 });

describe('zkai gpu', () => {
  test('selftest --max-log 6 compares MSM and NTT with the CPU engine', () => {
    const r = run('selftest', '--max-log', '6');
    if (r.status === 2) {
      assert.match(r.stdout, /no WebGPU adapter/);
      console.log(`# no adapter here: ${r.stdout.trim()}`);
      return;
    }
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^adapter: .*\((software|hardware)\)$/m);
    assert.match(r.stdout, /^ok {3}MSM G1 n=64 /m);
    assert.match(r.stdout, /^ok {3}NTT 2\^4 \{"inverse":true,"coset":true\}/m);
    assert.match(r.stdout, /all GPU results equal the CPU engine/);
  });

  test('usage errors exit 2', () => {
    assert.equal(run('selftest', '--max-log', 'x').status, 2);
    assert.equal(run('frobnicate').status, 2);
  });
});
