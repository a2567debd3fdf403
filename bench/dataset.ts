/**
 * Dataset commitments at data scale (`npm run bench -- dataset`; issue 17): Poseidon leaves and Merkle-sum tree on the
 * native engine against the JavaScript reference in the same run, and an out-of-core commitment (records file → tree
 * file, bounded memory) in its own process with its peak RSS.
 *  - ZKAI_BENCH_DATASET_RECORDS (default 1,000,000): records committed in memory by the native engine.
 *  - ZKAI_BENCH_DATASET_JS_RECORDS (default 20,000): the JavaScript reference commits this many (a million would take
 *    minutes), and the native engine the same records, roots compared; JS's records/s is scaled to the full count.
 *  - ZKAI_BENCH_DATASET_FILE_RECORDS (default 1,000,000): records of the out-of-core run (its time per record is flat
 *    and its memory bounded, so 10^8 records extrapolate linearly; the output says it is an extrapolation).
 * The machine is shared: the load average is recorded with the figures.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commitDataset, type DatasetRecord, recordLine } from '../circuits/dataset/index.ts';
import { REPO_ROOT } from '../common/config.ts';

const N = Number(process.env.ZKAI_BENCH_DATASET_RECORDS ?? 1_000_000);
const JS_N = Number(process.env.ZKAI_BENCH_DATASET_JS_RECORDS ?? 20_000);
const FILE_N = Number(process.env.ZKAI_BENCH_DATASET_FILE_RECORDS ?? 1_000_000);
const DEPTH = 24;
const TMP = path.join(REPO_ROOT, 'bench', 'tmp', 'dataset');

function record(i: number): DatasetRecord {
  return {
    id: `rec-${i}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    weight: BigInt(1 + (i % 1000)),
  };
}

const loadAvg = () => os.loadavg().map((x) => +x.toFixed(2));

/** Wall time, and this process's CPU time (every thread: the engine's too), which sharing the machine inflates less. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; s: number; cpuS: number }> {
  const t = performance.now();
  const c = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(c);
  return { value, s: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

export async function benchDataset(log: (m: string) => void): Promise<Record<string, unknown>> {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const loadBefore = loadAvg();
  try {
    const records = Array.from({ length: Math.max(N, JS_N) }, (_, i) => record(i));
    log(`dataset: the JavaScript reference and the native engine on the same ${JS_N} records (depth ${DEPTH})`);
    const js = await timed(() => commitDataset(records.slice(0, JS_N), path.join(TMP, 'js.json'), { depth: DEPTH, hashEngine: 'js' }));
    const small = await timed(() =>
      commitDataset(records.slice(0, JS_N), path.join(TMP, 'ns.json'), { depth: DEPTH, hashEngine: 'native' }),
    );
    if (js.value.manifest.root !== small.value.manifest.root) throw new Error('native and JavaScript roots differ');
    log(`dataset: the native engine on ${N} records`);
    const native = await timed(() => commitDataset(records.slice(0, N), path.join(TMP, 'n.json'), { depth: DEPTH, hashEngine: 'native' }));
    const loadAfterInMemory = loadAvg();

    log(`dataset: writing ${FILE_N} records to a JSONL file, then committing it out of core in a child process`);
    const file = path.join(TMP, 'records.jsonl');
    const out = createWriteStream(file);
    for (let i = 0; i < FILE_N; i += 10_000) {
      const lines = Array.from({ length: Math.min(10_000, FILE_N - i) }, (_, k) => recordLine(record(i + k))).join('\n');
      if (!out.write(`${lines}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const child = JSON.parse(
      execFileSync(
        process.execPath,
        ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'dataset-file-child.ts'), file, path.join(TMP, 'f.json'), String(DEPTH)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      ),
    ) as { ms: number; cpuS: number; leafCount: number; rootHex: string; hashEngine: string; peakRssMiB: number };
    const fileS = child.ms / 1000;

    const jsRate = JS_N / js.s;
    const nativeRate = N / native.s;
    const results = {
      records: N,
      depth: DEPTH,
      nativeSeconds: +native.s.toFixed(2),
      nativeRecordsPerSecond: Math.round(nativeRate),
      nativeCpuSeconds: +native.cpuS.toFixed(1),
      cpuNote: 'CPU seconds of all threads; on 2 cores of its own a run takes at least cpuSeconds / 2 of wall time',
      jsRecords: JS_N,
      jsSeconds: +js.s.toFixed(2),
      jsCpuSeconds: +js.cpuS.toFixed(2),
      jsRecordsPerSecond: Math.round(jsRate),
      jsSecondsScaledToRecords: +(N / jsRate).toFixed(1),
      jsScaledNote: `JavaScript measured on ${JS_N} records and scaled linearly to ${N}`,
      nativeOnJsRecordsSeconds: +small.s.toFixed(2),
      rootsIdentical: true,
      speedup: +(nativeRate / jsRate).toFixed(1),
      outOfCore: {
        records: child.leafCount,
        seconds: +fileS.toFixed(1),
        cpuSeconds: +child.cpuS.toFixed(1),
        recordsPerSecond: Math.round(child.leafCount / fileS),
        peakRssMiB: Math.round(child.peakRssMiB),
        hashEngine: child.hashEngine,
        extrapolated100MSeconds: Math.round((fileS * 1e8) / child.leafCount),
        extrapolationNote: 'time per record is flat and memory bounded by the chunk size; 10^8 records not run',
      },
      threads: os.cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfterInMemory: loadAfterInMemory,
      loadAverageAfter: loadAvg(),
    };
    console.log(
      `\ndataset commitment (depth ${DEPTH}), load average ${loadBefore.join(' ')} before, ${results.loadAverageAfter.join(' ')} after:`,
    );
    console.log(
      `  native engine   ${N} records in ${native.s.toFixed(1)} s   ${Math.round(nativeRate)} records/s   (${native.cpuS.toFixed(0)} CPU s)`,
    );
    console.log(
      `  JavaScript      ${JS_N} records in ${js.s.toFixed(1)} s   ${Math.round(jsRate)} records/s (scaled to ${N}: ${(N / jsRate).toFixed(0)} s)   (${js.cpuS.toFixed(1)} CPU s)`,
    );
    console.log(`  native / JavaScript: ${results.speedup}×, roots identical on the ${JS_N} records both committed`);
    console.log(
      `  out of core     ${child.leafCount} records (file → tree file) in ${fileS.toFixed(1)} s (${child.cpuS.toFixed(0)} CPU s), peak RSS ${Math.round(child.peakRssMiB)} MiB; 10^8 extrapolated: ${results.outOfCore.extrapolated100MSeconds} s`,
    );
    return results;
  } finally {
    rmSync(TMP, { recursive: true, force: true });
  }
}
