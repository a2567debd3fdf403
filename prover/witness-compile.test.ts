// ZKAI_WITNESS_COMPILE: the mode's parsing, the flags each mode sets, and that a process applying them on this Node
// still compiles and runs WebAssembly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isZkaiError } from '../common/errors.ts';
import { applyWitnessCompile, WITNESS_COMPILE_FLAGS, witnessCompileFrom } from './witness-compile.ts';

describe('ZKAI_WITNESS_COMPILE (prover/witness-compile.ts)', () => {
  it('defaults to optimized; baseline and optimized in any case; anything else is BAD_INPUT', () => {
    assert.equal(witnessCompileFrom({}), 'optimized');
    assert.equal(witnessCompileFrom({ ZKAI_WITNESS_COMPILE: ' Baseline ' }), 'baseline');
    assert.equal(witnessCompileFrom({ ZKAI_WITNESS_COMPILE: 'OPTIMIZED' }), 'optimized');
    assert.throws(
      () => witnessCompileFrom({ ZKAI_WITNESS_COMPILE: 'turbo' }),
      (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /optimized or baseline/.test(e.message),
    );
  });

  it('optimized sets the two V8 flags, baseline none', () => {
    const set: string[] = [];
    assert.deepEqual(
      applyWitnessCompile('optimized', (f) => set.push(f)),
      [...WITNESS_COMPILE_FLAGS],
    );
    assert.deepEqual(set, ['--no-liftoff', '--no-wasm-lazy-compilation']);
    assert.deepEqual(
      applyWitnessCompile('baseline', (f) => set.push(f)),
      [],
    );
    assert.equal(set.length, 2);
  });

  it('this Node accepts the flags at run time: a process that applies them still compiles and runs WebAssembly', () => {
    // A module exporting add(a, b): compiled and run after the flags are set (V8 rejects unknown flags silently, so
    // the check is that nothing breaks; the speed-up is measured, not asserted, per the house rules).
    const script = `
      const v8 = require('node:v8');
      for (const f of ${JSON.stringify(WITNESS_COMPILE_FLAGS)}) v8.setFlagsFromString(f);
      const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
      const m = new WebAssembly.Module(bytes);
      process.stdout.write(String(new WebAssembly.Instance(m).exports.add(20, 22)));`;
    assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), '42');
  });
});
