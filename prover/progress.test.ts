/**
 * Job progress estimates (progress.ts): a compile's percent follows its phases and setup steps in order and never goes
 * back, the setup's steps tile its phase, and the reporter writes every change of phase or step and the final 100.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  COMPILE_PERCENT,
  COMPILE_PHASES,
  compilePercent,
  compileWeightsText,
  type JobProgress,
  progressReporter,
  SETUP_STEP_PERCENT,
  SETUP_STEPS,
} from './progress.ts';

describe('compile progress', () => {
  test('the phases tile 0–100 in order, and the setup steps tile the setup phase', () => {
    let at = 0;
    for (const phase of COMPILE_PHASES) {
      const [from, to] = COMPILE_PERCENT[phase];
      assert.equal(from, at, `${phase} starts where the phase before ends`);
      assert.ok(to > from, phase);
      at = to;
    }
    assert.equal(at, 100);
    at = COMPILE_PERCENT.setup[0];
    for (const step of SETUP_STEPS) {
      const [from, to] = SETUP_STEP_PERCENT[step];
      assert.equal(from, at, `${step} starts where the step before ends`);
      assert.ok(to > from, step);
      at = to;
    }
    assert.equal(at, COMPILE_PERCENT.setup[1]);
  });

  test('a whole compile, cold (every setup step, the contribution counted) and warm, never goes back', () => {
    const cold = [
      compilePercent('import'),
      compilePercent('quantize'),
      compilePercent('circuit'),
      compilePercent('setup', 'ptau'),
      compilePercent('setup', 'zkey'),
      ...[0, 1, 2, 3, 4].map((done) => compilePercent('setup', 'contribution', done, 4)),
      compilePercent('setup', 'keys'),
      compilePercent('commitment'),
      compilePercent('store'),
    ];
    assert.deepEqual(cold, [0, 1, 5, 45, 46, 70, 75, 81, 87, 93, 93, 95, 98]);
    assert.ok(cold.every((p) => Number.isInteger(p)));
    // A cached setup reports only its ptau step; the percent jumps ahead.
    assert.ok(compilePercent('setup', 'ptau') < compilePercent('commitment'));
    // Counts outside 0..total are clamped to the step.
    assert.equal(compilePercent('setup', 'contribution', 9, 4), 93);
    assert.equal(compilePercent('setup', 'contribution', 1, 0), 70);
  });

  test("the API's description is written from the tables", () => {
    assert.equal(
      compileWeightsText(),
      'import 0–1, quantize 1–5, circuit 5–45, setup 45–95 (ptau 45–46, zkey 46–70, contribution 70–93, keys 93–95), ' +
        'commitment 95–98, store 98–100',
    );
  });
});

describe('progressReporter', () => {
  test('writes each change of phase or step at once, skips a repeated percent, and always writes 100', () => {
    const written: JobProgress[] = [];
    const ctx = progressReporter((p) => written.push(p));
    ctx.progress({ phase: 'setup', step: 'ptau', percent: 45 });
    ctx.progress({ phase: 'setup', step: 'zkey', percent: 46 }); // same phase, new step: written
    ctx.progress({ phase: 'setup', step: 'zkey', percent: 46 }); // nothing new
    ctx.progress({ phase: 'setup', step: 'zkey' }); // no percent: nothing new
    ctx.progress({ phase: 'setup', step: 'contribution', percent: 70 });
    ctx.progress({ phase: 'store', percent: 98 });
    ctx.progress({ phase: 'store', percent: 100 }); // within the second, but the end
    ctx.progress({ phase: 'store', percent: 100 });
    assert.deepEqual(
      written.map((p) => [p.phase, p.step, p.percent]),
      [
        ['setup', 'ptau', 45],
        ['setup', 'zkey', 46],
        ['setup', 'contribution', 70],
        ['store', undefined, 98],
        ['store', undefined, 100],
      ],
    );
    assert.ok(written.every((p) => !Number.isNaN(Date.parse(p.updatedAt))));
    assert.equal('step' in written[3]!, false, 'no step key where the phase has none');
  });

  test('a phase without a percent gets its start from the fixed weights', () => {
    const written: JobProgress[] = [];
    const ctx = progressReporter((p) => written.push(p));
    ctx.progress({ phase: 'witness' });
    ctx.progress({ phase: 'msm' });
    ctx.progress({ phase: 'circuit' });
    assert.deepEqual(
      written.map((p) => p.percent),
      [0, 25, COMPILE_PERCENT.circuit[0]],
    );
  });
});
