/**
 * A dataset commitment at 10^8 records (`npm run bench -- dataset-scale`; issue 17's "100,000,000 records with peak
 * RSS ≤ 2 GiB"): writes a JSONL records file of ZKAI_BENCH_DATASET_SCALE_RECORDS records (default 100,000,000, about
 * 16 GB), commits it out of core in a child process (bench/dataset-file-child.ts) at the smallest depth that holds it
 * (27 for 10^8), and records wall time, CPU seconds and the child's peak RSS. It needs ~45 GB of free disk under
 * bench/tmp (records file, tree file, sidecar) and tens of minutes, so it is not among the default sections.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.ts';

const N = Number(process.env.ZKAI_BENCH_DATASET_SCALE_RECORDS ?? 100_000_000);
const TMP = path.join(REPO_ROOT, 'bench', 'tmp', 'dataset-scale');
/** Records per write; contributors are drawn from a pool, as real datasets have many records per contributor. */
const CHUNK = 10_000;
const CONTRIBUTORS = 10_000;

const loadAvg = () => os.loadavg().map((x) => +x.toFixed(2));

/** The records file, written as the sidecar's own format (recordLine's field order; ids unique). */
async function writeRecords(file: string, n: number, log: (m: string) => void): Promise<void> {
  const pool = Array.from({ length: CONTRIBUTORS }, () => `0x${randomBytes(20).toString('hex')}`);
  const out = createWriteStream(file);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    const hashes = randomBytes(32 * m).toString('hex');
    let lines = '';
    for (let k = 0; k < m; k++) {
      const j = i + k;
      const hash = hashes.slice(64 * k, 64 * k + 64);
      lines += `{"id":"rec-${j}","contributor":"${pool[j % CONTRIBUTORS]}","contentHash":"0x${hash}","weight":"${1 + (j % 1000)}"}\n`;
    }
    if (!out.write(lines)) await once(out, 'drain');
    if ((i / CHUNK) % 1000 === 0 && i > 0) log(`  ${i.toLocaleString('en')} records written`);
  }
  out.end();
  await once(out, 'finish');
}

export async function benchDatasetScale(log: (m: string) => void): Promise<Record<string, unknown>> {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const depth = Math.max(1, Math.ceil(Math.log2(N)));
  try {
    const file = path.join(TMP, 'records.jsonl');
    log(`dataset-scale: writing ${N.toLocaleString('en')} records to ${file}`);
    const w = performance.now();
    await writeRecords(file, N, log);
    const fileBytes = statSync(file).size;
    log(`  written in ${((performance.now() - w) / 1000).toFixed(0)} s (${(fileBytes / 1e9).toFixed(1)} GB); committing at depth ${depth}`);
    const loadBefore = loadAvg();
    const child = JSON.parse(
      execFileSync(
        process.execPath,
        ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'dataset-file-child.ts'), file, path.join(TMP, 'f.json'), String(depth)],
        { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    ) as { ms: number; cpuS: number; leafCount: number; rootHex: string; hashEngine: string; peakRssMiB: number };
    if (child.leafCount !== N) throw new Error(`committed ${child.leafCount} leaves, expected ${N}`);
    const treeBytes = statSync(path.join(TMP, 'f.tree.bin')).size;
    const results = {
      records: N,
      depth,
      recordsFileGB: +(fileBytes / 1e9).toFixed(1),
      treeFileGB: +(treeBytes / 1e9).toFixed(1),
      seconds: +(child.ms / 1000).toFixed(0),
      cpuSeconds: +child.cpuS.toFixed(0),
      recordsPerSecond: Math.round(N / (child.ms / 1000)),
      peakRssMiB: Math.round(child.peakRssMiB),
      hashEngine: child.hashEngine,
      rootHex: child.rootHex,
      threads: os.cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAvg(),
    };
    console.log(
      `\ndataset at scale: ${N.toLocaleString('en')} records (depth ${depth}) committed out of core in ${results.seconds} s ` +
        `(${results.cpuSeconds} CPU s, ${results.hashEngine}), peak RSS ${results.peakRssMiB} MiB; load ${loadBefore.join(' ')} → ${results.loadAverageAfter.join(' ')}`,
    );
    return results;
  } finally {
    rmSync(TMP, { recursive: true, force: true });
  }
}
