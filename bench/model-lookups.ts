/**
 * A model circuit with and without LogUp range checks (codegen option `lookups: 'logup'`; docs/lookups.md), on the
 * same quantized model and input, proved in this process on the same kernels (native when built):
 *
 *   node --import tsx bench/model-lookups.ts '{"onnx":"circuits/model/fixtures/lenet5_28.onnx",
 *     "csv":"circuits/model/fixtures/digits28_test.csv","weights":"public-constants","runs":3}'
 *
 * Prints, for both: constraints, public signals, the Groth16 domain (constraints + public signals + 1, rounded up to a
 * power of two: committed limbs are public signals, so each adds a row) and the median prove time including the
 * witness (LogUp: both witness passes, D and its proof of knowledge, the proof). Every LogUp proof is verified. `"prove": false` stops after the constraint counts (no setup).
 */
import { readFile } from 'node:fs/promises';
import { buildModelCircuit, type CodegenOptions, generateCircom, modelCircuitInput } from '../circuits/model/codegen.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeInput } from '../circuits/model/int-exec.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { processProvingEngine } from '../prover/engine.ts';
import { bigIntToLe } from '../prover/groth16/points.ts';
import { proveGroth16 } from '../prover/groth16/prove.ts';
import { parseZkey } from '../prover/groth16/zkey.ts';
import { readCalibrationCsv } from '../prover/inference.ts';
import { lookupWitness, proveWithLookups } from '../prover/lookup/prove.ts';
import { ensureLookupSetup } from '../prover/lookup/setup.ts';
import { verifyLookupProof } from '../prover/lookup/verify.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

interface Args {
  onnx: string;
  csv: string;
  weights?: CodegenOptions['weights'];
  calibrationRows?: number;
  runs?: number;
  prove?: boolean;
}
const args: Args = JSON.parse(process.argv[2] ?? '{}');
if (!args.onnx || !args.csv) throw new Error('usage: bench/model-lookups.ts \'{"onnx":…,"csv":…}\'');
const log = (m: string) => process.stderr.write(`${m}\n`);
const domain = (rows: number) => 2 ** Math.ceil(Math.log2(rows));
const runs = args.runs ?? 3;

const ir = importOnnx(args.onnx);
const rows = (
  await readCalibrationCsv(
    args.csv,
    ir.inputShape.reduce((a, b) => a * b, 1),
  )
).slice(0, args.calibrationRows ?? 100);
const qm = quantizeModel(
  ir,
  rows.map((r) => r.input),
);
const opts: CodegenOptions = { name: 'bench-lookups', weights: args.weights ?? 'public-constants', input: 'private-hashed' };
const plain = generateCircom(qm, opts);
const logup = generateCircom(qm, { ...opts, lookups: 'logup' });
const counts = (g: typeof plain) => ({
  constraints: g.totalConstraints,
  publicSignals: g.publicSignals.length,
  domain: domain(g.totalConstraints + g.publicSignals.length + 1),
});
const report: Record<string, unknown> = {
  model: args.onnx,
  weights: opts.weights,
  bitDecomposition: counts(plain),
  logup: counts(logup),
  constraintRatio: Number((plain.totalConstraints / logup.totalConstraints).toFixed(2)),
};

if (args.prove !== false) {
  const kernels = (await processProvingEngine()).kernels;
  if (!kernels) throw new Error('needs zkai kernels (ZKAI_ENGINE other than snarkjs)');
  const input = quantizeInput(qm, rows[0]!.input);
  const witnessInput = modelCircuitInput(qm, input, opts);
  const bits = await buildModelCircuit(qm, opts, log);
  const lk = await buildModelCircuit(qm, { ...opts, lookups: 'logup' }, log);
  const setup = await ensureCircuitSetup(bits.circuit, { log });
  const ls = await ensureLookupSetup(lk.circuit, { log });
  const zkey = parseZkey(new Uint8Array(await readFile(setup.zkeyPath)));
  const bitsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms } = await timeIt(async () => {
      const w = await lookupWitness(bits.circuit.wasmPath, witnessInput);
      const bytes = new Uint8Array(w.length * 32);
      for (const [j, v] of w.entries()) bigIntToLe(v, bytes, j * 32);
      return proveGroth16(zkey, bytes, kernels, { oneShot: true });
    });
    bitsMs.push(ms);
  }
  const logupMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value } = await timeIt(() => proveWithLookups(ls, witnessInput));
    if (!verifyLookupProof(ls.statementKey, value).ok) throw new Error('LogUp proof did not verify');
    logupMs.push(ms);
  }
  report.engine = kernels.name;
  report.runs = runs;
  report.proveMedianMs = { bitDecomposition: Math.round(median(bitsMs)), logup: Math.round(median(logupMs)) };
  await releaseVerifierResources();
}
console.log(JSON.stringify(report, null, 2));
