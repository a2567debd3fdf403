/**
 * Hostile models shared by the tests of the size limits (cost.test.ts: the library; server/models.test.ts: over
 * HTTP), built with encodeOnnx so no file needs committing.
 */
import { encodeOnnx } from './onnx.ts';

/**
 * A 128×128 input, a 1×1 conv to 64 channels (1M activations, each with its Requantize), ReLU, and one max pool over
 * the whole image (64 windows of 16,384 cells): over 19 million constraints, in a file of well under 1 KB.
 */
export function tinyHugeOnnx(): Uint8Array {
  return encodeOnnx({
    inputs: [{ name: 'x', shape: [1, 1, 128, 128] }],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'w', dims: [64, 1, 1, 1], floats: Array.from({ length: 64 }, (_, i) => (i % 7) - 3 + 0.5) },
      { name: 'b', dims: [64], floats: Array(64).fill(0) },
    ],
    nodes: [
      { name: 'conv', opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], ints: { kernel_shape: [1, 1] } },
      { name: 'relu', opType: 'Relu', input: ['c'], output: ['r'] },
      { name: 'pool', opType: 'MaxPool', input: ['r'], output: ['p'], ints: { kernel_shape: [128, 128] } },
      { name: 'flat', opType: 'Flatten', input: ['p'], output: ['y'] },
    ],
  });
}
