import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertWitnessCalculatorLoadable, V8_MAX_WASM_FUNCTION_SIZE, wasmFunctionSizes } from './wasm-check.ts';

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};

/** A module with one `() -> ()` function whose body is `bodySize` bytes (no locals, nops, end). */
function moduleWithFunction(bodySize: number): Uint8Array {
  const body = new Uint8Array(bodySize).fill(0x01);
  body[0] = 0x00; // no local declarations
  body[bodySize - 1] = 0x0b; // end
  const code = [...leb(1), ...leb(bodySize)];
  const head = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00];
  const sectionHead = [0x0a, ...leb(code.length + bodySize), ...code];
  const bytes = new Uint8Array(head.length + sectionHead.length + bodySize);
  bytes.set(head, 0);
  bytes.set(sectionHead, head.length);
  bytes.set(body, head.length + sectionHead.length);
  return bytes;
}

describe('witness calculator loadability (issue 14: a 9.2 MB function failed only at prove)', () => {
  it('reads function sizes and accepts a loadable module', async () => {
    const small = moduleWithFunction(100);
    assert.deepEqual(wasmFunctionSizes(small), [100]);
    assert.deepEqual(await assertWitnessCalculatorLoadable(small, 'test'), { largestFunction: 100 });
  });

  it('a function over V8 limit is CIRCUIT_COMPILE_FAILED naming the size and the limit', async () => {
    const big = moduleWithFunction(V8_MAX_WASM_FUNCTION_SIZE + 1);
    await assert.rejects(assertWitnessCalculatorLoadable(big, 'circuit x'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CIRCUIT_COMPILE_FAILED');
      assert.match(err.message, /circuit x: the witness calculator would not load: .*7654322 bytes, over V8's limit of 7654321/);
      return true;
    });
    // The size check agrees with V8 itself.
    await assert.rejects(WebAssembly.compile(new Uint8Array(big)), /size|function/i);
  });

  it('any other reason V8 refuses the module is CIRCUIT_COMPILE_FAILED too', async () => {
    const broken = moduleWithFunction(100);
    broken[broken.length - 1] = 0x01; // the body no longer ends with `end`
    await assert.rejects(assertWitnessCalculatorLoadable(broken, 'circuit y'), { code: 'CIRCUIT_COMPILE_FAILED' });
    await assert.rejects(assertWitnessCalculatorLoadable(new Uint8Array([1, 2, 3]), 'circuit z'), { code: 'CIRCUIT_COMPILE_FAILED' });
  });
});
