import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPILE_PHASES, SETUP_STEPS } from '../prover/progress.ts';
import { compileStep, createProgress } from './progress.ts';
import { COMPILE_LINES, SETUP_LINES } from './test-progress.ts';

function capture(mode: 'tty' | 'plain' | 'json') {
  let out = '';
  const progress = createProgress(mode, (t) => {
    out += t;
  });
  progress.update('leaves', 0, 1000);
  for (let i = 1; i <= 1000; i++) progress.update('leaves', i, 1000);
  progress.note('a log line');
  progress.update('tree', 10, 10);
  progress.end();
  return out;
}

describe('CLI progress', () => {
  it('plain (a pipe, a CI log): one line when a step starts and one when it ends, nothing per update', () => {
    const lines = capture('plain').trimEnd().split('\n');
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.deepEqual(
      lines.map((l) => l.replace(/[\d.]+ s$/, 'T')),
      ['leaves...', 'a log line', 'leaves: done in T', 'tree...', 'tree: done in T'],
    );
  });

  it('json: one parseable event per line, the last update of a step always included', () => {
    const events = capture('json')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const leaves = events.filter((e) => e.event === 'progress' && e.step === 'leaves');
    assert.ok(leaves.length >= 2 && leaves.length < 50, `rate-limited, got ${leaves.length}`);
    assert.deepEqual([leaves.at(-1).done, leaves.at(-1).total], [1000, 1000]);
    assert.ok(events.some((e) => e.event === 'log' && e.message === 'a log line'));
    assert.deepEqual(
      events.filter((e) => e.event === 'step-done').map((e) => e.step),
      ['leaves', 'tree'],
    );
  });

  it('tty: the line is redrawn in place with a bar, and each step ends on its own line', () => {
    const out = capture('tty');
    const clear = '\r\u001b[2K';
    assert.ok(out.includes(`${clear}leaves [${'#'.repeat(24)}] 1,000/1,000`), JSON.stringify(out.slice(-300)));
    assert.ok(out.includes(`${clear}a log line\n`));
    assert.equal(out.split('\n').length - 1, 3, 'a log line and two finished steps');
  });

  it("a compile's lines: every phase numbered of six, the setup's step after its phase (the same locally and remotely)", () => {
    assert.deepEqual(
      COMPILE_PHASES.map((p) => compileStep(p)),
      COMPILE_LINES,
    );
    assert.deepEqual(
      SETUP_STEPS.map((s) => compileStep('setup', s)),
      SETUP_LINES.map((s) => `4/6 trusted setup (Groth16 keys): ${s}`),
    );
  });
});
