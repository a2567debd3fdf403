/**
 * Is a circom witness calculator loadable? circom compiles each template instance into a WebAssembly function, and V8
 * refuses a module with one function body over 7,654,321 bytes (`kV8MaxWasmFunctionSize`): before this check such a
 * circuit compiled and set up fine and failed only at `prove` (issue 14, LeNet-5 on 28×28). buildCircuit runs this
 * right after circom, so an unprovable artifact is a compile error that names its cause, never a prove-time surprise.
 */
import { ZkaiError } from '../common/errors.ts';

/** V8's limit on one wasm function body, in bytes (src/wasm/wasm-limits.h). */
export const V8_MAX_WASM_FUNCTION_SIZE = 7_654_321;

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new ZkaiError('CIRCUIT_COMPILE_FAILED', 'witness calculator wasm is truncated');
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, at];
  }
}

/** Body sizes (bytes) of the functions defined in a wasm module (its code section), in order. */
export function wasmFunctionSizes(bytes: Uint8Array): number[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    throw new ZkaiError('CIRCUIT_COMPILE_FAILED', 'witness calculator is not a wasm module');
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, start] = readLeb(bytes, at + 1);
    if (id === 10) {
      const sizes: number[] = [];
      let [count, p] = readLeb(bytes, start);
      for (; count > 0; count--) {
        const [len, body] = readLeb(bytes, p);
        sizes.push(len);
        p = body + len;
      }
      return sizes;
    }
    at = start + size;
  }
  return [];
}

/**
 * Throws CIRCUIT_COMPILE_FAILED when the witness calculator would not load: a function over V8's size limit (named
 * with its size, and how to fix it), or any other reason WebAssembly.compile gives. `what` names the circuit.
 */
export async function assertWitnessCalculatorLoadable(bytes: Uint8Array, what: string): Promise<{ largestFunction: number }> {
  const sizes = wasmFunctionSizes(bytes);
  const largest = sizes.reduce((a, b) => Math.max(a, b), 0);
  if (largest > V8_MAX_WASM_FUNCTION_SIZE)
    throw new ZkaiError(
      'CIRCUIT_COMPILE_FAILED',
      `${what}: the witness calculator would not load: one of its functions is ${largest} bytes, over V8's limit of ` +
        `${V8_MAX_WASM_FUNCTION_SIZE} (circom makes one function per template instance: the circuit needs smaller templates)`,
    );
  try {
    await WebAssembly.compile(new Uint8Array(bytes));
  } catch (err) {
    throw new ZkaiError('CIRCUIT_COMPILE_FAILED', `${what}: the witness calculator would not load: ${(err as Error).message}`);
  }
  return { largestFunction: largest };
}
