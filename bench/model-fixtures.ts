/**
 * `npm run bench -- models` (issue 14, "Must show"): every issue-14 fixture, and the largest model proved here,
 * each end to end in a process of its own (bench/model-run.ts): ONNX ops, parameters, constraints, compile + setup
 * from a cold circuit/key cache, first and warm proof, verify, peak RSS, and where compile + setup went.
 *
 * The universal dev powers of tau are made once, before any timing, and shared (they are per machine, not per
 * model). A fixture the compiler cannot yet handle is reported with its error instead of figures.
 * The largest model: ZKAI_BENCH_LARGEST (MLP widths, default 784-2048-2048-1280-10 ≈ 1.0M constraints with Pedersen
 * weights, the default); ZKAI_BENCH_LARGEST=off skips it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { ensureDevPtau } from '../prover/setup/index.ts';
import { writeMlpModel } from './mlp-model.ts';
import type { ModelRunArgs, ModelRunResult } from './model-run.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const RUNS = Number(process.env.ZKAI_BENCH_MODEL_RUNS ?? 3);
const DEFAULT_LARGEST = [784, 2048, 2048, 1280, 10];

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
  for (const [key, m] of Object.entries(meta.models)) {
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
  const widths =
    process.env.ZKAI_BENCH_LARGEST === 'off' ? undefined : (process.env.ZKAI_BENCH_LARGEST?.split('-').map(Number) ?? DEFAULT_LARGEST);
  if (widths) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-bench-largest-'));
    try {
      const mlp = await writeMlpModel(dir, widths, 40);
      await ensureDevPtau(20, { log });
      log(`  largest: MLP ${widths.join('-')} …`);
      const r = await runChild({ onnx: mlp.onnx, csv: mlp.csv, calibrationRows: 30, runs: RUNS, ptauDir }, log);
      out.largest = { model: `MLP ${widths.join('-')} (seeded random weights, Pedersen-committed)`, ...r };
      log(
        `    ${r.constraints} constraints; compile+setup ${(r.compileAndSetupMs / 1000).toFixed(1)} s; warm proof ${r.warmProofMedianMs} ms; peak RSS ${r.peakRssMiB} MiB`,
      );
      for (const p of [...r.phases].sort((a, b) => b.ms - a.ms).slice(0, 6)) log(`      ${(p.ms / 1000).toFixed(1)} s before: ${p.step}`);
    } catch (err) {
      out.largest = { widths, error: (err as Error).message.slice(0, 300) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}
