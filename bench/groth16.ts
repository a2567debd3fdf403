/**
 * Groth16 proving: zkai's own prover (prover/groth16) on the native engine and on the wasm backend, against
 * snarkjs's `groth16.prove` in the same process on the same zkey and witness, for synthetic circuits of about
 * 2^14, 2^16 and 2^17 constraints (ZKAI_BENCH_G16_SIZES=16000,65000 to change; setups are cached under .zkai,
 * the 2^17 one takes minutes the first time). Per circuit: median wall time of each (ZKAI_BENCH_G16_RUNS, default
 * 5; 3 at 2^17), the ratio snarkjs/zkai, and where zkai's time goes (witness, quotient, G1 MSMs, G2 MSM: from
 * runs with the phases run one after another). For the largest circuit, the peak RSS of one proof by each
 * engine in a fresh child process (its VmHWM), beside a baseline child that loads the
 * same files and modules but proves nothing.
 *
 * Run alone: `node --import tsx bench/groth16.ts` (prints the results JSON; ZKAI_BENCH_G16_ENGINES=native to skip wasm).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../circuits/bench/synthetic.ts';
import { buildCircuit } from '../circuits/build.ts';
import { REPO_ROOT } from '../common/config.ts';
import { loadNative } from '../prover/engine.ts';
import { buildFixedTables, fixedBaseBudgetFrom } from '../prover/groth16/fixed-tables.ts';
import { type Groth16Kernels, kernelsFrom, proveGroth16 } from '../prover/groth16/prove.ts';
import { computeQuotientWasm } from '../prover/groth16/quotient-wasm.ts';
import { createWasmBackend } from '../prover/groth16/wasm-backend.ts';
import { parseWtns } from '../prover/groth16/wtns.ts';
import { parseZkey } from '../prover/groth16/zkey.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { checkGroth16, parseGroth16 } from '../prover/verify-noble.ts';
import { type WasmWitnessCalculator, witnessBin } from '../prover/witness-bin.ts';
import { median } from './stats.ts';

const SIZES = (process.env.ZKAI_BENCH_G16_SIZES ?? '16000,65000,130000').split(',').map(Number);
const RUNS = Number(process.env.ZKAI_BENCH_G16_RUNS ?? 5);
/** zkai engines to measure (default: every one that loads); e.g. ZKAI_BENCH_G16_ENGINES=native skips the slow wasm reference. */
const ENGINES = process.env.ZKAI_BENCH_G16_ENGINES?.split(',').map((e) => e.trim());
const round = (ms: number) => Math.round(ms * 10) / 10;

/** zkai's kernels by engine name (all available ones, or just `only`: a child measuring memory loads nothing else). */
async function kernelsByName(only?: string): Promise<Map<string, Groth16Kernels>> {
  const out = new Map<string, Groth16Kernels>();
  const native = only === undefined || only === 'native' ? (await loadNative()).engine : null;
  if (native)
    out.set(
      'native',
      kernelsFrom(native, (c, n, w, d) => native.groth16Quotient(c, n, w, d)),
    );
  if (only === undefined || only === 'wasm') out.set('wasm', kernelsFrom(await createWasmBackend(), computeQuotientWasm));
  return out;
}

async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

/** Wall and CPU (this process, every thread) milliseconds of each run. */
async function timeRunsCpu(runs: number, fn: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

/** Peak RSS (MiB) of one proof in a fresh process: loads the zkey and wtns files, proves once, exits. */
function childPeakRss(engine: string, zkeyPath: string, wtnsPath: string): number {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'groth16.ts'), '--rss-child', engine, zkeyPath, wtnsPath],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  const line = out.trim().split('\n').at(-1)!;
  return (JSON.parse(line) as { maxRssKiB: number }).maxRssKiB / 1024;
}

/**
 * This process's peak RSS. Linux: VmHWM, the high-water mark of this very address space. Not getrusage's maxRSS,
 * which Linux carries across fork+exec: a child forked from a large parent (this benchmark) would report at
 * least the parent's size.
 */
function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

async function rssChild(engine: string, zkeyPath: string, wtnsPath: string): Promise<void> {
  const asBytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const zkeyBytes = asBytes(readFileSync(zkeyPath));
  const wtns = asBytes(readFileSync(wtnsPath));
  if (engine === 'baseline') {
    // Node, tsx, the imports and the two files, no proof: what every engine's figure includes.
  } else if (engine === 'snarkjs') {
    await snarkjs.groth16.prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtns });
  } else {
    const kernels = (await kernelsByName(engine)).get(engine);
    if (!kernels) throw new Error(`engine ${engine} is not available`);
    await proveGroth16(parseZkey(zkeyBytes), parseWtns(wtns).values, kernels);
  }
  process.stdout.write(`${JSON.stringify({ maxRssKiB: peakRssKiB() })}\n`);
  process.exit(0); // ffjavascript's and the engine's worker threads would keep the process alive
}

/**
 * A warm circuit's fixed-base tables (prover/groth16/fixed-tables.ts) at the default budget: which queries get one,
 * their build time and memory, and proofs over them against proofs without, interleaved (wall and CPU medians).
 */
async function withTables(
  zkey: ReturnType<typeof parseZkey>,
  witness: Uint8Array,
  k: Groth16Kernels,
  runs: number,
  snarkjsMs: number,
  vkey: unknown,
  label: string,
  log: (m: string) => void,
): Promise<Record<string, unknown>> {
  const budget = fixedBaseBudgetFrom();
  const t0 = performance.now();
  const tables = await buildFixedTables(zkey, k.fixedBase!, budget);
  const buildMs = performance.now() - t0;
  if (!tables) {
    log(`groth16: ${label}: no fixed-base table saves enough within ${budget / 2 ** 20} MiB`);
    return { tables: null, budgetMiB: budget / 2 ** 20 };
  }
  const queries = (['a', 'b1', 'c', 'h', 'b2'] as const).filter((q) => tables[q]);
  const check = await proveGroth16(zkey, witness, k, { tables });
  if (!checkGroth16(parseGroth16(vkey as never, check.proof, check.publicSignals))) throw new Error('proof over tables does not verify');
  const plain = { wall: [] as number[], cpu: [] as number[] };
  const over = { wall: [] as number[], cpu: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const a = await timeRunsCpu(1, () => proveGroth16(zkey, witness, k));
    const b = await timeRunsCpu(1, () => proveGroth16(zkey, witness, k, { tables }));
    plain.wall.push(...a.wall);
    plain.cpu.push(...a.cpu);
    over.wall.push(...b.wall);
    over.cpu.push(...b.cpu);
  }
  const ms = median(over.wall);
  const out = {
    queries,
    copies: tables.copies,
    tableMiB: round(tables.bytes / 2 ** 20),
    buildMs: Math.round(buildMs),
    medianMs: round(ms),
    cpuMs: round(median(over.cpu)),
    withoutTables: { medianMs: round(median(plain.wall)), cpuMs: round(median(plain.cpu)) },
    runs: over.wall.map(round),
    speedupVsSnarkjs: Math.round((snarkjsMs / ms) * 100) / 100,
  };
  log(
    `groth16: ${label}: tables for ${queries.join(', ')} (${out.tableMiB} MiB, built in ${out.buildMs} ms): ${out.medianMs} ms, ` +
      `${out.cpuMs} CPU-ms, against ${out.withoutTables.medianMs} ms, ${out.withoutTables.cpuMs} CPU-ms without`,
  );
  return out;
}

export async function benchGroth16(log: (m: string) => void): Promise<Record<string, unknown>> {
  const kernels = await kernelsByName();
  for (const name of kernels.keys()) if (ENGINES && !ENGINES.includes(name)) kernels.delete(name);
  log(`groth16: zkai engines ${[...kernels.keys()].join(', ')}; snarkjs ${RUNS} runs per circuit (fewer at 2^17)`);
  const circuits: Record<string, unknown>[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'zkai-bench-g16-'));
  try {
    for (const size of SIZES) {
      const circuit = await buildCircuit(syntheticCircuitSpec(size), { log });
      const setup = await ensureCircuitSetup(circuit, { log });
      const zkeyBytes = new Uint8Array(readFileSync(setup.zkeyPath));
      const zkey = parseZkey(zkeyBytes);
      const runs = zkey.domainSize >= 1 << 17 ? Math.min(RUNS, 3) : RUNS;
      const calculator = (await WitnessCalculatorBuilder(readFileSync(circuit.wasmPath))) as WasmWitnessCalculator;
      const input = syntheticInput(3);
      const witnessRuns = await timeRuns(runs, () => witnessBin(calculator, input));
      const wtns = await witnessBin(calculator, input);
      const witness = parseWtns(wtns).values;
      const label = `${circuit.nConstraints} constraints (domain 2^${zkey.power})`;
      log(`groth16: ${label}: witness ${round(median(witnessRuns))} ms`);

      await snarkjs.groth16.prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtns }); // warm the curve
      const snarkjsRuns = await timeRuns(runs, () => snarkjs.groth16.prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtns }));
      const snarkjsMs = median(snarkjsRuns);
      log(`groth16: ${label}: snarkjs ${round(snarkjsMs)} ms`);

      const engines: Record<string, unknown> = {};
      for (const [name, k] of kernels) {
        const engineRuns = name === 'wasm' && zkey.domainSize >= 1 << 17 ? Math.min(runs, 2) : runs;
        const first = await proveGroth16(zkey, witness, k); // warm-up, and a correctness check of what is timed
        if (!checkGroth16(parseGroth16(setup.vkey, first.proof, first.publicSignals))) throw new Error(`${name} proof does not verify`);
        const totals = await timeRuns(engineRuns, () => proveGroth16(zkey, witness, k));
        const phases = [];
        for (let i = 0; i < Math.min(engineRuns, 3); i++) phases.push((await proveGroth16(zkey, witness, k, { sequential: true })).timings);
        const ms = median(totals);
        engines[name] = {
          medianMs: round(ms),
          runs: totals.map(round),
          speedupVsSnarkjs: Math.round((snarkjsMs / ms) * 100) / 100,
          phasesMs: {
            quotient: round(median(phases.map((p) => p.quotientMs))),
            msmG1: round(median(phases.map((p) => p.msmG1Ms))),
            msmG2: round(median(phases.map((p) => p.msmG2Ms))),
            finish: round(median(phases.map((p) => p.finishMs))),
            sequentialTotal: round(median(phases.map((p) => p.totalMs))),
          },
        };
        log(
          `groth16: ${label}: zkai ${name} ${round(ms)} ms (${(snarkjsMs / ms).toFixed(2)}× snarkjs) ${JSON.stringify((engines[name] as { phasesMs: unknown }).phasesMs)}`,
        );
        if (k.fixedBase) engines[`${name}+tables`] = await withTables(zkey, witness, k, engineRuns, snarkjsMs, setup.vkey, label, log);
      }

      const result: Record<string, unknown> = {
        circuit: circuit.id,
        constraints: circuit.nConstraints,
        domainSize: zkey.domainSize,
        nVars: zkey.nVars,
        witnessMs: round(median(witnessRuns)),
        snarkjs: { medianMs: round(snarkjsMs), runs: snarkjsRuns.map(round) },
        zkai: engines,
      };
      if (size === Math.max(...SIZES)) {
        const wtnsPath = path.join(tmp, 'witness.wtns');
        writeFileSync(wtnsPath, wtns);
        const peak: Record<string, number | string> = {};
        for (const engine of ['baseline', 'snarkjs', ...kernels.keys()]) {
          try {
            peak[engine] = Math.round(childPeakRss(engine, setup.zkeyPath, wtnsPath));
            log(`groth16: ${label}: peak RSS of one ${engine} proof in a fresh process: ${peak[engine]} MiB`);
          } catch (err) {
            // A failed child (e.g. the addon being rebuilt) costs this figure, not the whole run.
            peak[engine] = `failed: ${String((err as Error).message).split('\n')[0]}`;
            log(`groth16: ${label}: peak RSS of ${engine}: ${peak[engine]}`);
          }
        }
        result.peakRssMiB = peak;
      }
      circuits.push(result);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { cpus: os.availableParallelism(), runsPerCircuit: RUNS, circuits };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  if (process.argv[2] === '--rss-child') {
    await rssChild(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  } else {
    const results = await benchGroth16((m) => process.stderr.write(`${m}\n`));
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    process.exit(0);
  }
}
