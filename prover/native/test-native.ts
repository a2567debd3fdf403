/**
 * Tests' helpers for the native engine (not a test itself): a test that needs the engine is skipped only where
 * ZKAI_NATIVE=off asks for it; anywhere else a missing or broken addon fails the test with its reason, never passes it.
 */
import assert from 'node:assert/strict';
import type { NativeEngine } from './api.ts';
import { loadNativeEngine, nativeEngineStatus } from './index.ts';

/** The options of a `describe` of native-engine tests. */
export const NATIVE_TESTS = { skip: process.env.ZKAI_NATIVE === 'off' ? 'ZKAI_NATIVE=off' : false } as const;

/** The native engine, or an assertion failure that says why it is unavailable. */
export function requireNativeEngine(): NativeEngine {
  const engine = loadNativeEngine();
  assert.ok(engine, `native engine unavailable: ${nativeEngineStatus().reason}`);
  return engine;
}
