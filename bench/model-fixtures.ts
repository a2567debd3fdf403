/**
 * `npm run bench -- models` (issue 14, "Must show"): every issue-14 fixture, and the largest model proved here,
 * each end to end in a process of its own (bench/model-run.ts): ONNX ops, parameters, constraints, compile + setup
 * from a cold circuit/key cache, first and warm proof, verify, peak RSS, and where compile + setup went.
 *
 * The universal dev powers of tau are made once, before any timing, and shared (they are per machine, not per
 * model). A fixture the compiler cannot yet handle is reported with its error instead of figures.
 * The largest model: a wider LeNet-5 on 28×28 (conv channels c and 2c, dense 128-84-10; seeded random weights,
 * Pedersen-committed), the widest whose circuit still fits the largest dev powers of tau (2^20: constraints plus
 * public inputs, the committed weight elements among them), by the generator's exact count. An MLP of a million
 * constraints would commit ~850,000 weight elements (public inputs of the circuit), which do not fit.
 * ZKAI_BENCH_LARGEST=off skips it; ZKAI_BENCH_FIXTURES=off skips the fixtures.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateCircom } from '../circuits/model/codegen.ts';
import { estimateConstraints } from '../circuits/model/cost.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { readCalibrationCsv } from '../prover/inference.ts';
import { ensureDevPtau, MAX_DEV_POWER, powerFor } from '../prover/setup/index.ts';
import { type LenetShape, writeLenetModel } from './lenet-model.ts';
import type { ModelRunArgs, ModelRunResult } from './model-run.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const RUNS = Number(process.env.ZKAI_BENCH_MODEL_RUNS ?? 3);

interface Fixture14 {
  file: string;
  csv: string;
}

/** Runs one model in a child process (node + tsx), so its peak RSS and its page faults are its own. */
function runChild(args: ModelRunArgs, log: (m: string) => void): Promise<ModelRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'model-run.ts'), JSON.stringify(args)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) return resolve(JSON.parse(line.slice('RESULT '.length)) as ModelRunResult);
      const why = err.trim().split('\n').slice(-3).join(' | ');
      log(`    failed (exit ${code}): ${why}`);
      reject(new Error(why || `exit ${code}`));
    });
  });
}

export async function benchModelFixtures(log: (m: string) => void): Promise<Record<string, unknown>> {
  const meta: { models: Record<string, Fixture14> } = JSON.parse(await readFile(path.join(FIXTURES, 'fixtures14.json'), 'utf8'));
  // Every power up to 2^18 (LeNet's) made before timing: a cold model cache, not a cold machine.
  const t = performance.now();
  await ensureDevPtau(18, { log });
  log(`  dev ptau up to 2^18 ready (${((performance.now() - t) / 1000).toFixed(1)} s, once per machine)`);
  const ptauDir = cacheDir('ptau');

  const fixtures: Record<string, unknown> = {};
  for (const [key, m] of process.env.ZKAI_BENCH_FIXTURES === 'off' ? [] : Object.entries(meta.models)) {
    log(`  ${m.file} …`);
    try {
      const r = await runChild(
        { onnx: path.join(FIXTURES, m.file), csv: path.join(FIXTURES, m.csv), calibrationRows: 100, runs: RUNS, ptauDir },
        log,
      );
      fixtures[key] = r;
      log(
        `    ${r.onnxOps.join(',')}; ${r.parameters} params; ${r.constraints} constraints; compile+setup ${(r.compileAndSetupMs / 1000).toFixed(1)} s; ` +
          `warm proof ${r.warmProofMedianMs} ms (median of ${RUNS}; first ${r.firstProofMs} ms); verify ${r.verifyMedianMs} ms; peak RSS ${r.peakRssMiB} MiB; agreement ${r.agreement}`,
      );
    } catch (err) {
      fixtures[key] = { file: m.file, error: (err as Error).message.slice(0, 300) };
    }
  }

  const out: Record<string, unknown> = { fixtures, runs: RUNS };
  if (process.env.ZKAI_BENCH_LARGEST !== 'off') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-largest-'));
    try {
      // The widest LeNet whose circuit fits 2^20: the generator's exact count (quantized on the calibration rows,
      // circom source generated but not compiled) plus its public signals, as the setup will size its domain.
      let shape: LenetShape | undefined;
      let estimated = 0;
      for (let c = 40; c >= 6 && !shape; c--) {
        const candidate: LenetShape = { side: 28, c1: c, c2: 2 * c, hidden: [128, 84] };
        const files = await writeLenetModel(path.join(dir, `c${c}`), candidate, 26);
        const ir = importOnnx(files.onnx);
        if (estimateConstraints(ir, { weights: 'private-pedersen', input: 'private-hashed' }).total > 2 ** MAX_DEV_POWER) continue;
        const rows = (await readCalibrationCsv(files.csv, 28 * 28)).slice(0, 20).map((r) => r.input);
        const generated = generateCircom(quantizeModel(ir, rows), {
          name: 'largest',
          weights: 'private-pedersen',
          input: 'private-hashed',
        });
        estimated = generated.totalConstraints;
        if (powerFor(generated.totalConstraints, generated.publicSignals.length) <= MAX_DEV_POWER) shape = candidate;
      }
      if (!shape) throw new Error('no LeNet width fits the largest dev ptau');
      const files = await writeLenetModel(path.join(dir, 'largest'), shape, 26);
      const t1 = performance.now();
      await ensureDevPtau(MAX_DEV_POWER, { log });
      log(`  dev ptau 2^${MAX_DEV_POWER} ready (${((performance.now() - t1) / 1000).toFixed(1)} s, once per machine)`);
      const label = `LeNet-5 28×28 widened: conv ${shape.c1} and ${shape.c2} channels, dense ${shape.hidden.join('-')}-10`;
      log(`  largest: ${label} (${estimated} constraints predicted) …`);
      const r = await runChild({ onnx: files.onnx, csv: files.csv, calibrationRows: 20, runs: RUNS, ptauDir }, log);
      out.largest = { model: `${label} (seeded random weights, Pedersen-committed)`, shape, ...r };
      log(
        `    ${r.constraints} constraints; compile+setup ${(r.compileAndSetupMs / 1000).toFixed(1)} s; warm proof ${r.warmProofMedianMs} ms (witness ${r.witnessMedianMs} ms); peak RSS ${r.peakRssMiB} MiB`,
      );
      for (const p of [...r.phases].sort((a, b) => b.ms - a.ms).slice(0, 8)) log(`      ${(p.ms / 1000).toFixed(1)} s up to: ${p.step}`);
    } catch (err) {
      out.largest = { error: (err as Error).message.slice(0, 300) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}
