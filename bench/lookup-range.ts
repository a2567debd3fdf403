/**
 * LogUp range checks against bit decomposition on the same statement (circuits/lib/logup-demo.circom: N values each
 * in [0, 2^BITS), public sum), proved in this process on the same kernels (native when built):
 *
 *   node --import tsx bench/lookup-range.ts            (ZKAI_LOOKUP_N=512 ZKAI_LOOKUP_BITS=16 ZKAI_LOOKUP_B=8 by default)
 *
 * Prints constraints, the Groth16 domain (constraints + public signals + 1, rounded up to a power of two: committed
 * values are public signals of the circuit, so each adds a row) and the median prove time over ZKAI_BENCH_RUNS runs
 * (LogUp: both witness passes, D and its proof of knowledge, the proof; bits: the witness and the proof; the same
 * cached witness calculator for both). Not part
 * of `npm run bench` yet (docs/lookups.md).
 */
import { readFile } from 'node:fs/promises';
import { buildCircuit } from '../circuits/build.ts';
import { processProvingEngine } from '../prover/engine.ts';
import { bigIntToLe } from '../prover/groth16/points.ts';
import { proveGroth16 } from '../prover/groth16/prove.ts';
import { parseZkey } from '../prover/groth16/zkey.ts';
import { lookupWitness, proveWithLookups } from '../prover/lookup/prove.ts';
import { ensureLookupSetup } from '../prover/lookup/setup.ts';
import { verifyLookupProof } from '../prover/lookup/verify.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { median, timeIt } from './stats.ts';

const N = Number(process.env.ZKAI_LOOKUP_N ?? 512);
const BITS = Number(process.env.ZKAI_LOOKUP_BITS ?? 16);
const B = Number(process.env.ZKAI_LOOKUP_B ?? 8);
const RUNS = Number(process.env.ZKAI_BENCH_RUNS ?? 5);
const log = (m: string) => process.stderr.write(`${m}\n`);
const domain = (rows: number) => 2 ** Math.ceil(Math.log2(rows));

const x = Array.from({ length: N }, (_, i) => String((BigInt(i) * 2654435761n) % (1n << BigInt(BITS))));

const logupCircuit = await buildCircuit(
  {
    name: `logup-range-${N}x${BITS}-b${B}`,
    include: 'logup-demo.circom',
    instance: `LogUpRangeDemo(${N}, ${BITS}, ${B})`,
    publicInputs: ['logupAlpha', 'logupBlind'],
  },
  { log },
);
const bitsCircuit = await buildCircuit(
  { name: `bits-range-${N}x${BITS}`, include: 'logup-demo.circom', instance: `BitsRangeDemo(${N}, ${BITS})`, publicInputs: [] },
  { log },
);
const ls = await ensureLookupSetup(logupCircuit, { log });
const bitsSetup = await ensureCircuitSetup(bitsCircuit, { log });
const kernels = (await processProvingEngine()).kernels;
if (!kernels) throw new Error('needs zkai kernels (ZKAI_ENGINE other than snarkjs)');

const logupMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const { ms, value } = await timeIt(() => proveWithLookups(ls, { x }));
  if (!verifyLookupProof(ls.statementKey, value).ok) throw new Error('LogUp proof did not verify');
  logupMs.push(ms);
}
const bitsZkey = parseZkey(new Uint8Array(await readFile(bitsSetup.zkeyPath)));
const bitsMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const { ms } = await timeIt(async () => {
    const w = await lookupWitness(bitsCircuit.wasmPath, { x });
    const bytes = new Uint8Array(w.length * 32);
    for (const [j, v] of w.entries()) bigIntToLe(v, bytes, j * 32);
    return proveGroth16(bitsZkey, bytes, kernels);
  });
  bitsMs.push(ms);
}
const row = (c: typeof logupCircuit, ms: number[]) => ({
  constraints: c.nConstraints,
  publicSignals: c.nPublic,
  domain: domain(c.nConstraints + c.nPublic + 1),
  proveMedianMs: Math.round(median(ms)),
});
console.log(
  JSON.stringify(
    {
      values: N,
      bits: BITS,
      limbBits: B,
      engine: kernels.name,
      runs: RUNS,
      logup: row(logupCircuit, logupMs),
      bitDecomposition: row(bitsCircuit, bitsMs),
    },
    null,
    2,
  ),
);
await releaseVerifierResources();
