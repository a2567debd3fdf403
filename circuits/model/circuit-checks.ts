/**
 * What stands between an uploaded ONNX file and a backdoored model circuit (issue 13, docs/security.md):
 * - `sourceSafeModel`: the code generator reads a copy of the quantized model whose layer names are their indices and
 *   whose every interpolated value is checked to be a number of the right kind (node inputs: earlier tensors), and
 *   whose kinds are all in the op registry; no string from the file is in it.
 * - `CIRCOM_GUARD` (common/source-guard.ts): the generated text itself is checked before it is written.
 * - `checkCompiledCounts`: after circom, the compiled R1CS must have exactly the constraints, public signals and
 *   private inputs the generator predicted. Source that does something the generator did not write (a free private
 *   input wired over an output, a range check commented out) changes one of these counts, so a compile that differs
 *   fails instead of being set up and served.
 */
import { ZkaiError } from '../../common/errors.ts';
import type { SourceGuard } from '../../common/source-guard.ts';
import type { R1csHeader } from '../r1cs.ts';
import { checkGraph } from './ir.ts';
import { QUANT_KINDS } from './ops/registry.ts';
import type { QuantizedModel } from './qir.ts';

/**
 * What a generated circom line may hold: identifiers, numbers, operators and the generator's own comment words; no
 * quote but in the include lines, and no control character, so not even a newline from some future careless
 * interpolation could end a `//` comment and start code.
 */
export const CIRCOM_GUARD: SourceGuard = {
  what: 'generated circom',
  chars: /^[A-Za-z0-9_ ;:,.()[\]{}<=>+\-*/^]*$/,
  lines: [/^include "[a-z][a-z-]*\.circom";$/],
};

/**
 * A copy of `qm` fit to generate source from: each layer's name replaced by `layer <index>` (names live in the manifest
 * only), and every value the generator interpolates checked to be what its type says (a safe integer, a bigint, a
 * known kind), since quantized.json is read back from a model directory and a string there could carry code.
 */
export function sourceSafeModel(qm: QuantizedModel): QuantizedModel {
  const bad = (what: string): never => {
    throw new ZkaiError('BAD_INPUT', `quantized model: ${what} is not what the circuit generator accepts`);
  };
  const int = (v: unknown, what: string): void => {
    if (!Number.isSafeInteger(v)) bad(what);
  };
  const ints = (v: unknown, what: string): void => {
    if (!Array.isArray(v)) bad(what);
    else for (const [i, x] of v.entries()) int(x, `${what}[${i}]`);
  };
  for (const k of ['weightBits', 'activationBits', 'inputBits', 'inputFracBits', 'outputBits', 'outputFracBits'] as const) int(qm[k], k);
  ints(qm.inputShape, 'inputShape');
  ints(qm.outputShape, 'outputShape');
  if (!Array.isArray(qm.layers)) bad('layers');
  const layers = qm.layers.map((layer, li) => {
    const at = `layer ${li}`;
    if (!QUANT_KINDS.has(layer?.kind)) bad(`${at} kind`);
    for (const [k, v] of Object.entries(layer)) {
      if (k === 'name' || k === 'kind') continue;
      if (k === 'bias') {
        if (!Array.isArray(v) || !v.every((b) => typeof b === 'bigint')) bad(`${at} bias`);
      } else if (k === 'countIncludePad') {
        if (typeof v !== 'boolean') bad(`${at} countIncludePad`);
      } else if (Array.isArray(v)) ints(v, `${at} ${k}`);
      else int(v, `${at} ${k}`);
    }
    return { ...layer, name: `layer ${li}` };
  });
  // Every node reads earlier tensors only (the generator walks them in order).
  checkGraph(layers, bad);
  return { ...qm, layers };
}

/** The generator's prediction of what circom will compile (GeneratedCircuit's counts). */
export interface PredictedCounts {
  totalConstraints: number;
  publicSignals: readonly string[];
  privateInputCount: number;
}

/** Predicted and measured constraint totals, as the model manifest records them. */
export interface ConstraintCounts {
  predicted: number;
  measured: number;
}

/**
 * Fails with CIRCUIT_COMPILE_FAILED, naming both numbers, unless the compiled R1CS (its header) has exactly the
 * predicted constraints, public signals (outputs and public inputs) and private inputs.
 */
export function checkCompiledCounts(predicted: PredictedCounts, r1cs: R1csHeader, what = 'model circuit'): ConstraintCounts {
  const rows: [string, number, number][] = [
    ['constraints', predicted.totalConstraints, r1cs.nConstraints],
    ['public signals', predicted.publicSignals.length, r1cs.nPubOut + r1cs.nPubIn],
    ['private inputs', predicted.privateInputCount, r1cs.nPrvIn],
  ];
  const off = rows.filter(([, p, m]) => p !== m);
  if (off.length) {
    throw new ZkaiError(
      'CIRCUIT_COMPILE_FAILED',
      `${what}: circom compiled ${off.map(([k, p, m]) => `${m} ${k} where the code generator predicted ${p}`).join(', ')}; refusing a circuit that is not the one generated`,
      Object.fromEntries(off.map(([k, p, m]) => [k, { predicted: p, measured: m }])),
    );
  }
  return { predicted: predicted.totalConstraints, measured: r1cs.nConstraints };
}
