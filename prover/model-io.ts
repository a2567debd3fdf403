/**
 * Reading what a model is given: calibration rows (CSV), an inference input (JSON), and a model directory's
 * quantized.json (its integers as tagged strings). Used by compile and prove (inference.ts), the routes and the CLI.
 */
import { readFile } from 'node:fs/promises';
import { shapeSize } from '../circuits/model/ir.ts';
import { withChainInputs } from '../circuits/model/qir.ts';
import type { QuantizedModel } from '../circuits/model/quantize.ts';
import { ZkaiError } from '../common/errors.ts';

/** Calibration / evaluation rows from a CSV with a header; a `label` column, if present, is the class. */
export async function readCalibrationCsv(file: string, inputSize: number): Promise<{ input: number[]; label?: number }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read calibration file ${file}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new ZkaiError('BAD_INPUT', `${file}: needs a header row and at least one data row`);
  const header = lines[0]!.split(',').map((h) => h.trim().toLowerCase());
  const labelCol = header.indexOf('label');
  const inputCols = header.map((_, i) => i).filter((i) => i !== labelCol);
  if (inputCols.length !== inputSize) {
    throw new ZkaiError('BAD_INPUT', `${file}: ${inputCols.length} input columns, the model takes ${inputSize} values`);
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',').map((c) => Number(c.trim()));
    if (cells.length !== header.length || cells.some((c) => !Number.isFinite(c))) {
      throw new ZkaiError('BAD_INPUT', `${file}:${i + 2}: expected ${header.length} numbers`);
    }
    return { input: inputCols.map((c) => cells[c]!), ...(labelCol >= 0 ? { label: cells[labelCol]! } : {}) };
  });
}

const BIGINT_TAG = '$bigint';

export function serialise(qm: QuantizedModel): string {
  return JSON.stringify(qm, (_k, v) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v));
}

/** Parses a model directory's quantized.json (exported for `zkai inference request`, which hashes an input with it). */
export function deserialise(text: string): QuantizedModel {
  // A model directory written before the graph IR has chain layers without `inputs`: withChainInputs names them.
  return withChainInputs(
    JSON.parse(text, (_k, v) => (v && typeof v === 'object' && BIGINT_TAG in v ? BigInt(v[BIGINT_TAG]) : v)) as QuantizedModel,
  );
}

/** Parse an inference input: a JSON array of numbers, or `{ "input": [...] }`, of the model's input size. */
export function parseModelInput(json: unknown, manifest: { inputShape: number[] }): number[] {
  const arr = Array.isArray(json) ? json : (json as { input?: unknown })?.input;
  const n = shapeSize(manifest.inputShape);
  if (!Array.isArray(arr) || arr.length !== n || arr.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new ZkaiError(
      'BAD_INPUT',
      `the input must be an array of ${n} finite numbers (or {"input": [...]}), shape [${manifest.inputShape}]`,
    );
  }
  return arr as number[];
}
