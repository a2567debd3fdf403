/**
 * Writes LeNet-5 on 28×28 as ONNX with seeded random weights (conv 5×5 pad 2 → 6, ReLU, MaxPool 2, conv 5×5 → 16, ReLU,
 * MaxPool 2, 400-120-84-10), a calibration CSV and one input: the issue-14 model whose unrolled circuit had a 9.2 MB
 * witness-calculator function. Regenerated on demand, never committed. `widths` scales it down for tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeOnnx } from '../circuits/model/onnx.ts';
import { prng } from './mlp-model.ts';

export interface LenetShape {
  /** Input side (28 for LeNet-5) and the channels of the two convolutions (6, 16). */
  side: number;
  c1: number;
  c2: number;
  /** Hidden dense widths (120, 84). */
  hidden: number[];
}

export const LENET5: LenetShape = { side: 28, c1: 6, c2: 16, hidden: [120, 84] };

export async function writeLenetModel(
  dir: string,
  shape: LenetShape = LENET5,
  rows = 20,
): Promise<{ onnx: string; csv: string; input: string }> {
  const rand = prng(5);
  const initializers: Parameters<typeof encodeOnnx>[0]['initializers'] = [];
  const nodes: Parameters<typeof encodeOnnx>[0]['nodes'] = [];
  const param = (name: string, dims: number[], fanIn: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = Math.sqrt(2 / fanIn) * 1.7;
    initializers.push({ name, dims, floats: Array.from({ length: n }, () => (rand() * 2 - 1) * scale) });
  };
  const bias = (name: string, n: number) =>
    initializers.push({ name, dims: [n], floats: Array.from({ length: n }, () => (rand() * 2 - 1) * 0.05) });
  param('c1w', [shape.c1, 1, 5, 5], 25);
  bias('c1b', shape.c1);
  param('c2w', [shape.c2, shape.c1, 5, 5], 25 * shape.c1);
  bias('c2b', shape.c2);
  nodes.push({
    name: 'conv1',
    opType: 'Conv',
    input: ['x', 'c1w', 'c1b'],
    output: ['a1'],
    ints: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] },
  });
  nodes.push({ name: 'relu1', opType: 'Relu', input: ['a1'], output: ['r1'] });
  nodes.push({ name: 'pool1', opType: 'MaxPool', input: ['r1'], output: ['p1'], ints: { kernel_shape: [2, 2], strides: [2, 2] } });
  nodes.push({ name: 'conv2', opType: 'Conv', input: ['p1', 'c2w', 'c2b'], output: ['a2'], ints: { kernel_shape: [5, 5] } });
  nodes.push({ name: 'relu2', opType: 'Relu', input: ['a2'], output: ['r2'] });
  nodes.push({ name: 'pool2', opType: 'MaxPool', input: ['r2'], output: ['p2'], ints: { kernel_shape: [2, 2], strides: [2, 2] } });
  nodes.push({ name: 'flat', opType: 'Flatten', input: ['p2'], output: ['f'], int: { axis: 1 } });
  const side2 = Math.floor((shape.side / 2 - 4) / 2);
  const widths = [shape.c2 * side2 * side2, ...shape.hidden, 10];
  let x = 'f';
  for (let l = 0; l + 1 < widths.length; l++) {
    param(`w${l}`, [widths[l + 1]!, widths[l]!], widths[l]!);
    bias(`b${l}`, widths[l + 1]!);
    const last = l + 2 === widths.length;
    nodes.push({ name: `fc${l}`, opType: 'Gemm', input: [x, `w${l}`, `b${l}`], output: [last ? 'y' : `g${l}`], int: { transB: 1 } });
    if (!last) nodes.push({ name: `relu_fc${l}`, opType: 'Relu', input: [`g${l}`], output: [`h${l}`] });
    x = `h${l}`;
  }
  const onnx = encodeOnnx({
    inputs: [{ name: 'x', shape: [1, 1, shape.side, shape.side] }],
    outputs: [{ name: 'y' }],
    initializers,
    nodes,
  });
  await mkdir(dir, { recursive: true });
  const files = { onnx: path.join(dir, 'lenet.onnx'), csv: path.join(dir, 'calibration.csv'), input: path.join(dir, 'input.json') };
  const n = shape.side * shape.side;
  const sample = () => Array.from({ length: n }, () => Math.round(rand() * 1000) / 1000);
  const lines = [Array.from({ length: n }, (_, i) => `x${i}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(sample().join(','));
  await writeFile(files.onnx, onnx);
  await writeFile(files.csv, `${lines.join('\n')}\n`);
  await writeFile(files.input, `${JSON.stringify(sample())}\n`);
  return files;
}
