/**
 * One model, end to end, in a process of its own (so its peak RSS is its own): compile + setup from a cold circuit
 * and key cache (a fresh ZKAI_HOME; only the universal dev powers of tau are shared, linked from the parent's
 * cache), then warm proofs on a one-thread pool, each verified against the pinned key. Spawned by
 * bench/model-fixtures.ts; prints one line `RESULT <json>` on stdout.
 *
 * `node --import tsx bench/model-run.ts '<json: {onnx, csv, calibrationRows, runs, ptauDir}>'`
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { shapeSize } from '../circuits/model/ir.ts';
import { decodeOnnx } from '../circuits/model/onnx.ts';
import { compileModel, proveInference, readCalibrationCsv } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources, verifyBundle } from '../prover/verify.ts';
import { median } from './stats.ts';

export interface ModelRunArgs {
  onnx: string;
  /** Calibration CSV (its first `calibrationRows` rows) and the source of the proved inputs (the rows after). */
  csv: string;
  calibrationRows: number;
  runs: number;
  /** The parent's dev ptau folder, linked into the fresh ZKAI_HOME. */
  ptauDir: string;
}

export interface ModelRunResult {
  onnxOps: string[];
  parameters: number;
  constraints: number;
  agreement: number;
  compileAndSetupMs: number;
  /** Where compile + setup went: each compile log line with the ms since the previous one. */
  phases: { ms: number; step: string }[];
  circomSeconds?: number;
  largestWasmFunctionBytes?: number;
  firstProofMs: number;
  warmProofMedianMs: number;
  warmProofRunsMs: number[];
  witnessMedianMs: number;
  verifyMedianMs: number;
  peakRssMiB: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as ModelRunArgs;
  const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-model-'));
  process.env.ZKAI_HOME = home;
  await symlink(args.ptauDir, path.join(home, 'ptau'));
  const pool = new ProverPool({ threads: 1 });
  try {
    const onnx = decodeOnnx(new Uint8Array(await readFile(args.onnx)));
    const onnxOps = [...new Set(onnx.graph.node.map((n) => n.opType))];
    const parameters = onnx.graph.initializer.reduce((a, t) => a + shapeSize(t.dims.map(Number)), 0);
    const csvLines = (await readFile(args.csv, 'utf8')).trim().split('\n');
    const calibration = path.join(home, 'calibration.csv');
    await writeFile(calibration, csvLines.slice(0, args.calibrationRows + 1).join('\n'));

    const phases: { ms: number; step: string }[] = [];
    let last = performance.now();
    const t0 = last;
    const compiled = await compileModel(args.onnx, calibration, {
      outDir: path.join(home, 'model'),
      log: (step) => {
        const now = performance.now();
        phases.push({ ms: Math.round(now - last), step: step.slice(0, 160) });
        last = now;
      },
    });
    const compileAndSetupMs = performance.now() - t0;

    const n = shapeSize(compiled.qm.inputShape);
    const rows = (await readCalibrationCsv(args.csv, n)).slice(args.calibrationRows);
    const t1 = performance.now();
    await proveInference(pool, compiled, rows[0]!.input); // loads the keys and the witness calculator
    const firstProofMs = performance.now() - t1;
    const prove: number[] = [];
    const witness: number[] = [];
    const verify: number[] = [];
    for (let i = 0; i < args.runs; i++) {
      const t = performance.now();
      const bundle = await proveInference(pool, compiled, rows[1 + (i % (rows.length - 1))]!.input);
      prove.push(performance.now() - t);
      witness.push(Number(bundle.metadata.witnessMs));
      const tv = performance.now();
      const report = await verifyBundle(bundle, { expectedVkeyHash: compiled.manifest.vkeyHash });
      verify.push(performance.now() - tv);
      if (!report.valid) throw new Error(`${path.basename(args.onnx)}: an invalid proof (${report.reason})`);
    }
    const result: ModelRunResult = {
      onnxOps,
      parameters,
      constraints: compiled.manifest.constraints.total,
      agreement: compiled.manifest.agreement.agreement,
      compileAndSetupMs: Math.round(compileAndSetupMs),
      phases,
      ...(compiled.model.circuit.compileSeconds === undefined ? {} : { circomSeconds: compiled.model.circuit.compileSeconds }),
      ...(compiled.model.circuit.largestWasmFunction === undefined
        ? {}
        : { largestWasmFunctionBytes: compiled.model.circuit.largestWasmFunction }),
      firstProofMs: Math.round(firstProofMs),
      warmProofMedianMs: Math.round(median(prove)),
      warmProofRunsMs: prove.map(Math.round),
      witnessMedianMs: Math.round(median(witness)),
      verifyMedianMs: Math.round(median(verify)),
      // maxRSS is in KiB and covers the whole process, the pool's worker thread included.
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await pool.close();
    await releaseVerifierResources();
    await rm(home, { recursive: true, force: true });
  }
}

await main();
