/**
 * Whole processes: `zkai prove <zkey> <wtns> <proof.json> <public.json>` against the `snarkjs groth16 prove` CLI
 * (node_modules' snarkjs cli.js) on the same zkey and witness, each a fresh process per run: the membership circuit
 * (depth 20) and synthetic circuits of about 2^14, 2^16 and 2^17 constraints by default (ZKAI_BENCH_CLI_SIZES=16000,65000
 * to change; setups are cached under .zkai, the larger ones take minutes the first time). 2^20 is opt-in, because its
 * first run makes a 1.2 GB dev ptau (1.5 min here), compiles a million-constraint circuit (circom2, 13 min on one core)
 * and sets it up (1 min), and snarkjs takes minutes per proof on two cores:
 * ZKAI_BENCH_CLI_SIZES=16000,65000,130000,1040000 adds it (1,032,000 constraints once circom's O2 folds the
 * recompositions; with the public inputs they fit the 2^20 domain, 1,048,576). Per circuit: the median wall time of
 * each over ZKAI_BENCH_CLI_RUNS runs (default 5; circuits above 2^18 constraints at most ZKAI_BENCH_CLI_LARGE_RUNS, default 3, each row records its
 * runs), the ratio snarkjs/zkai, and the median peak RSS of each process (GNU time's %M). Every zkai proof is checked
 * with snarkjs before it counts. `zkai prove` is cli/bin.js as a user runs it: the compiled bundle when it is current
 * (npm run build:cli), and the record says which ran.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../circuits/bench/synthetic.ts';
import { buildCircuit } from '../circuits/build.ts';
import { commitDataset, type DatasetRecord, membershipInput as datasetMembershipInput } from '../circuits/dataset/index.ts';
import { currentProveBundle } from '../cli/bundles.mjs';
import { REPO_ROOT } from '../common/config.ts';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { median } from './stats.ts';

const SIZES = (process.env.ZKAI_BENCH_CLI_SIZES ?? '16000,65000,130000').split(',').map(Number);
const RUNS = Number(process.env.ZKAI_BENCH_CLI_RUNS ?? 5);
/** Above this many constraints a snarkjs proof takes minutes here, so fewer runs (ZKAI_BENCH_CLI_LARGE_RUNS). */
const LARGE = 1 << 18;
const LARGE_RUNS = Number(process.env.ZKAI_BENCH_CLI_LARGE_RUNS ?? 3);
const TIME = '/usr/bin/time';

interface Case {
  name: string;
  constraints: number;
  zkeyPath: string;
  wtnsPath: string;
  vkey: Record<string, unknown>;
}

/** One process: wall ms and peak RSS MiB (GNU time writes %M in KiB to the file given with -o). */
/**
 * The environment of every measured process: this one's, less NODE_EXTRA_CA_CERTS. Where a proxy's CA bundle is set
 * (this project's machines set one), Node parses it before running any code, ~40 ms per process here (bare Node
 * 0.06 s without, 0.10 s with); neither command makes a TLS connection, and a user's machine seldom sets it. Both
 * commands run in the same environment; the result records whether the variable was removed and bare Node's start.
 */
const PROCESS_ENV = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

function runProcess(args: string[], dir: string): { ms: number; rssMiB: number } {
  const rssFile = path.join(dir, 'rss');
  const t = performance.now();
  execFileSync(TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args], {
    cwd: dir,
    env: PROCESS_ENV,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const ms = performance.now() - t;
  return { ms, rssMiB: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 };
}

async function membershipCase(dir: string, log: (m: string) => void): Promise<Case> {
  const mc = await prepareMembershipCircuit(20, log);
  const records: DatasetRecord[] = Array.from({ length: 64 }, (_, i) => ({
    id: `r${i}`,
    contributor: `0x${String(i + 1).padStart(40, '0')}`,
    contentHash: `0x${String(i + 7).padStart(64, '0')}`,
    weight: BigInt(i + 1),
  }));
  const dataset = await commitDataset(records, path.join(dir, 'dataset.json'), { depth: 20 });
  const wtnsPath = path.join(dir, 'membership.wtns');
  await snarkjs.wtns.calculate(await datasetMembershipInput(dataset, 'r5', 1), mc.circuit.wasmPath, wtnsPath);
  return {
    name: 'membership (depth 20)',
    constraints: mc.circuit.nConstraints,
    zkeyPath: mc.setup.zkeyPath,
    wtnsPath,
    vkey: mc.setup.vkey,
  };
}

async function syntheticCase(size: number, dir: string, log: (m: string) => void): Promise<Case> {
  const circuit = await buildCircuit(syntheticCircuitSpec(size), { log });
  const setup = await ensureCircuitSetup(circuit, { log });
  const wtnsPath = path.join(dir, `synthetic-${size}.wtns`);
  await snarkjs.wtns.calculate(syntheticInput(3), circuit.wasmPath, wtnsPath);
  return {
    name: `synthetic ${circuit.nConstraints}`,
    constraints: circuit.nConstraints,
    zkeyPath: setup.zkeyPath,
    wtnsPath,
    vkey: setup.vkey,
  };
}

export async function benchProveCli(log: (m: string) => void): Promise<Record<string, unknown>> {
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed for the peak RSS of each process`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkai-bench-cli-'));
  const zkai = path.join(REPO_ROOT, 'cli', 'bin.js');
  const compiled = currentProveBundle(pathToFileURL(path.join(REPO_ROOT, 'cli', 'dist') + path.sep)) !== null;
  log(`zkai prove runs ${compiled ? 'compiled (cli/dist/prove.mjs)' : 'through tsx (no current bundle: npm run build:cli)'}`);
  const results: Record<string, unknown>[] = [];
  const nodeStartMs = Math.round(median(Array.from({ length: 5 }, () => runProcess(['-e', '0'], os.tmpdir()).ms)));
  log(`bare Node starts in ${nodeStartMs} ms (median of 5)`);
  try {
    const cases = [await membershipCase(dir, log)];
    for (const size of SIZES) cases.push(await syntheticCase(size, dir, log));
    for (const c of cases) {
      const zkaiRuns: { ms: number; rssMiB: number }[] = [];
      const snarkjsRuns: { ms: number; rssMiB: number }[] = [];
      const runs = c.constraints > LARGE ? Math.min(RUNS, LARGE_RUNS) : RUNS;
      log(`  ${c.name}: ${runs} runs each`);
      // Interleaved, so that a change in the machine's load falls on both.
      for (let i = 0; i < runs; i++) {
        zkaiRuns.push(runProcess([zkai, 'prove', c.zkeyPath, c.wtnsPath, 'zkai-proof.json', 'zkai-public.json'], dir));
        const proof = JSON.parse(readFileSync(path.join(dir, 'zkai-proof.json'), 'utf8'));
        const pub = JSON.parse(readFileSync(path.join(dir, 'zkai-public.json'), 'utf8'));
        if (!(await snarkjs.groth16.verify(c.vkey, pub, proof))) throw new Error(`${c.name}: zkai's proof does not verify`);
        snarkjsRuns.push(
          runProcess([snarkjsCliPath(), 'groth16', 'prove', c.zkeyPath, c.wtnsPath, 'sj-proof.json', 'sj-public.json'], dir),
        );
      }
      const z = median(zkaiRuns.map((r) => r.ms));
      const s = median(snarkjsRuns.map((r) => r.ms));
      const row = {
        circuit: c.name,
        constraints: c.constraints,
        runs,
        zkaiMs: Math.round(z),
        snarkjsMs: Math.round(s),
        speedup: +(s / z).toFixed(2),
        zkaiPeakRssMiB: Math.round(median(zkaiRuns.map((r) => r.rssMiB))),
        snarkjsPeakRssMiB: Math.round(median(snarkjsRuns.map((r) => r.rssMiB))),
      };
      log(
        `  ${row.circuit}: zkai prove ${row.zkaiMs} ms (${row.zkaiPeakRssMiB} MiB), snarkjs groth16 prove ${row.snarkjsMs} ms ` +
          `(${row.snarkjsPeakRssMiB} MiB): ${row.speedup}×`,
      );
      results.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const { releaseVerifierResources } = await import('../prover/verify.ts');
    await releaseVerifierResources();
  }
  return {
    runs: RUNS,
    zkaiCompiled: compiled,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    nodeStartMs,
    nodeExtraCaCertsRemoved: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    results,
  };
}
