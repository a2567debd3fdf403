/**
 * How V8 compiles circom's witness calculators (WebAssembly) in a long-lived proving process: ZKAI_WITNESS_COMPILE.
 *
 * By default V8 compiles WebAssembly with its baseline compiler (Liftoff) and optimizes functions only once they are
 * hot; a circom witness calculator runs many functions a few times each per witness, so most of it stays baseline
 * code. Measured on the depth-20 membership circuit (2026-12-07, one process, five witnesses in a row): baseline
 * 141 ms for the first witness and 30–58 ms after; optimized (`--no-liftoff --no-wasm-lazy-compilation`: every
 * function compiled by TurboFan when the module is) 13–20 ms from the first, for 0.8–1.0 s more at load. LeNet-5's
 * 10 MB calculator takes 3.8 s to compile so (0.1 s baseline) and ~300 MiB more while compiling.
 *
 * So the service and `zkai worker`, which load a circuit once and prove with it many times, compile optimized
 * (`optimized`, the default); `baseline` keeps V8's default. V8 reads these flags when it compiles, and they hold
 * for the whole process (every worker thread included), so the entry points apply them before any circuit is loaded.
 * Tests and one-shot commands keep the default: they load circuits far more often than they prove with each.
 */
import v8 from 'node:v8';
import { ZkaiError } from '../common/errors.ts';

export type WitnessCompile = 'optimized' | 'baseline';

export const WITNESS_COMPILE_FLAGS = ['--no-liftoff', '--no-wasm-lazy-compilation'] as const;

/** The mode ZKAI_WITNESS_COMPILE names (default optimized); anything else is BAD_INPUT. */
export function witnessCompileFrom(env: NodeJS.ProcessEnv = process.env): WitnessCompile {
  const value = (env.ZKAI_WITNESS_COMPILE ?? '').trim().toLowerCase() || 'optimized';
  if (value === 'optimized' || value === 'baseline') return value;
  throw new ZkaiError('BAD_INPUT', `ZKAI_WITNESS_COMPILE must be optimized or baseline, got ${JSON.stringify(env.ZKAI_WITNESS_COMPILE)}`);
}

/** Applies the mode to this process (before any witness calculator is compiled); returns the flags it set. */
export function applyWitnessCompile(mode: WitnessCompile, setFlags: (flags: string) => void = v8.setFlagsFromString): string[] {
  if (mode === 'baseline') return [];
  for (const flag of WITNESS_COMPILE_FLAGS) setFlags(flag);
  return [...WITNESS_COMPILE_FLAGS];
}
