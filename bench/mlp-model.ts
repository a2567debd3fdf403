/**
 * Writes a dense MLP (default 784-256-128-10, the issue-14 size) as ONNX with seeded random weights, a calibration CSV
 * and one input, into a folder: a model large enough that its Pedersen commitment's cost shows (about 20,000
 * committed elements). Nothing is downloaded and nothing is committed: the files are regenerated on demand.
 * `node --import tsx bench/mlp-model.ts <dir> [784,256,128,10]`
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeOnnx } from '../circuits/model/onnx.ts';

/** A small deterministic PRNG (xorshift32), so two runs write the same model. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export async function writeMlpModel(
  dir: string,
  widths: number[] = [784, 256, 128, 10],
  rows = 40,
  /** `relu: false` leaves the hidden layers linear; `weightScale` multiplies every weight (tests of small ranges). */
  opts: { relu?: boolean; weightScale?: number } = {},
): Promise<{ onnx: string; csv: string; input: string }> {
  const rand = prng(14);
  const initializers: Parameters<typeof encodeOnnx>[0]['initializers'] = [];
  const nodes: Parameters<typeof encodeOnnx>[0]['nodes'] = [];
  let x = 'x';
  for (let l = 0; l + 1 < widths.length; l++) {
    const [nIn, nOut] = [widths[l]!, widths[l + 1]!];
    // He-style scale keeps activations in range layer after layer.
    const scale = Math.sqrt(2 / nIn);
    initializers.push({
      name: `w${l}`,
      dims: [nOut, nIn],
      floats: Array.from({ length: nIn * nOut }, () => (rand() * 2 - 1) * scale * 1.7 * (opts.weightScale ?? 1)),
    });
    initializers.push({ name: `b${l}`, dims: [nOut], floats: Array.from({ length: nOut }, () => (rand() * 2 - 1) * 0.05) });
    const y = l + 2 < widths.length ? `h${l}` : 'y';
    const pre = l + 2 < widths.length && opts.relu !== false ? `g${l}` : y;
    nodes.push({ name: `fc${l}`, opType: 'Gemm', input: [x, `w${l}`, `b${l}`], output: [pre], int: { transB: 1 } });
    if (pre !== y) nodes.push({ name: `relu${l}`, opType: 'Relu', input: [pre], output: [y] });
    x = y;
  }
  const onnx = encodeOnnx({ inputs: [{ name: 'x', shape: [1, widths[0]!] }], outputs: [{ name: 'y' }], initializers, nodes });
  await mkdir(dir, { recursive: true });
  const files = { onnx: path.join(dir, 'mlp.onnx'), csv: path.join(dir, 'calibration.csv'), input: path.join(dir, 'input.json') };
  const sample = () => Array.from({ length: widths[0]! }, () => Math.round(rand() * 1000) / 1000);
  const lines = [Array.from({ length: widths[0]! }, (_, i) => `x${i}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(sample().join(','));
  await writeFile(files.onnx, onnx);
  await writeFile(files.csv, `${lines.join('\n')}\n`);
  await writeFile(files.input, `${JSON.stringify(sample())}\n`);
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: bench/mlp-model.ts <dir> [widths, e.g. 784,256,128,10]');
  const widths = process.argv[3]?.split(',').map(Number);
  console.log(JSON.stringify(await writeMlpModel(dir, widths)));
}
