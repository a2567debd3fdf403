/**
 * One out-of-core dataset commitment in its own process, so that its peak RSS is its own (bench/dataset.ts):
 * `node --import tsx bench/dataset-file-child.ts <records.jsonl> <dataset.json> <depth>` prints one JSON line.
 */
import { commitRecordsFile } from '../circuits/dataset/index.ts';

const [file, manifestPath, depth] = process.argv.slice(2);
const started = performance.now();
const cpu = process.cpuUsage();
let sampledMaxRss = 0;
const { manifest, hashEngine } = await commitRecordsFile(file!, manifestPath!, {
  depth: Number(depth),
  onProgress: () => {
    sampledMaxRss = Math.max(sampledMaxRss, process.memoryUsage.rss());
  },
});
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    ms,
    cpuS: (used.user + used.system) / 1e6,
    leafCount: manifest.leafCount,
    rootHex: manifest.rootHex,
    hashEngine,
    // ru_maxrss: the kernel's high-water mark of this process (KiB on Linux).
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    sampledMaxRssMiB: sampledMaxRss / 2 ** 20,
  }),
);
