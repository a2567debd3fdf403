/**
 * The native engine's scratch memory (src/scratch.inc) and prepareGroth16: big temporaries live in blocks the engine
 * keeps and hands out again, so these tests run kernels and proofs of different sizes one after another (X, Y, X) and
 * check every result against an independent reference: a reused block must never carry one call's data into another.
 * Sizes are chosen above the pool's 32 KiB threshold (smaller buffers use the ordinary heap).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../../circuits/bench/synthetic.ts';
import { buildCircuit } from '../../circuits/build.ts';
import { BN254_R } from '../../common/bn254.ts';
import { seededRandom } from '../../common/test-random.ts';
import { computeQuotientWasm } from '../groth16/quotient-wasm.ts';
import { ensureCircuitSetup } from '../setup/index.ts';
import { releaseVerifierResources } from '../verify.ts';
import { type CircuitKeys, WarmProver } from '../warm-prover.ts';
import type { NativeEngine } from './api.ts';
import { NATIVE_TESTS, requireNativeEngine } from './test-native.ts';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function leBytes(v: bigint, out: Uint8Array, offset: number): void {
  let x = v;
  for (let i = 0; i < 32; i++) {
    out[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

const rng = seededRandom(20261207);
const randomFr = () => ((rng.signed(256) % BN254_R) + BN254_R) % BN254_R;

function randomScalars(n: number): { bytes: Uint8Array; values: bigint[] } {
  const bytes = new Uint8Array(32 * n);
  const values = Array.from({ length: n }, () => randomFr());
  for (const [i, v] of values.entries()) leBytes(v, bytes, 32 * i);
  return { bytes, values };
}

/** Random section-4 coefficients over both matrices and a witness for them. */
function randomQuotientInput(domainSize: number, nCoefs: number, nVars: number) {
  const coefs = new Uint8Array(nCoefs * 44);
  const view = new DataView(coefs.buffer);
  for (let i = 0; i < nCoefs; i++) {
    view.setUint32(i * 44, rng.u32() & 1, true);
    view.setUint32(i * 44 + 4, rng.u32() % domainSize, true);
    view.setUint32(i * 44 + 8, rng.u32() % nVars, true);
    leBytes(randomFr(), coefs, i * 44 + 12);
  }
  const witness = new Uint8Array(nVars * 32);
  for (let i = 0; i < nVars; i++) leBytes(i === 0 ? 1n : randomFr(), witness, i * 32);
  return { coefs, nCoefs, witness, domainSize };
}

describe('native scratch memory', NATIVE_TESTS, () => {
  let engine: NativeEngine;

  before(() => {
    engine = requireNativeEngine();
  });
  after(async () => {
    await releaseVerifierResources();
  });

  test('prepareGroth16 keeps pre-faulted scratch, and rejects a domain that is not a power of two', async () => {
    await engine.prepareGroth16(1 << 14, 12_000, 40_000);
    assert.ok(engine.scratchKeptBytes() >= 3 * 32 * (1 << 14), `kept ${engine.scratchKeptBytes()} bytes`);
    await assert.rejects(engine.prepareGroth16(3000, 10, 10), RangeError);
  });

  test('quotients of sizes X, Y, X on reused scratch equal the WASM reference', async () => {
    await engine.prepareGroth16(1 << 14, 12_000, 40_000);
    for (const [domainSize, nCoefs, nVars] of [
      [1 << 14, 40_000, 12_000],
      [1 << 13, 30_000, 9_000],
      [1 << 14, 45_000, 12_500],
    ] as const) {
      const q = randomQuotientInput(domainSize, nCoefs, nVars);
      const expected = await computeQuotientWasm(q.coefs, q.nCoefs, q.witness, q.domainSize);
      const got = await engine.groth16Quotient(q.coefs, q.nCoefs, q.witness, q.domainSize);
      assert.equal(hex(got), hex(expected), `domain ${domainSize}`);
    }
  });

  test('MSMs of sizes X, Y, X in G1 and G2 on reused scratch: Σ sᵢ·(kᵢ·G) = (Σ sᵢkᵢ)·G', async () => {
    for (const [group, sizes] of [
      ['G1', [6000, 9000, 6000]],
      ['G2', [3000, 4500, 3000]],
    ] as const) {
      for (const n of sizes) {
        const k = randomScalars(n);
        const s = randomScalars(n);
        const bases = group === 'G1' ? await engine.g1FixedBase(k.bytes) : await engine.g2FixedBase(k.bytes);
        const got = group === 'G1' ? await engine.msmG1(bases, s.bytes) : await engine.msmG2(bases, s.bytes);
        let sum = 0n;
        for (let i = 0; i < n; i++) sum = (sum + k.values[i]! * s.values[i]!) % BN254_R;
        const one = new Uint8Array(32);
        leBytes(sum, one, 0);
        const expected = group === 'G1' ? await engine.g1FixedBase(one) : await engine.g2FixedBase(one);
        assert.equal(hex(got), hex(expected), `${group} MSM of ${n}`);
      }
    }
  });

  test('a budget of ZKAI_NATIVE_SCRATCH_MIB=1 keeps at most 1 MiB and computes the same quotient', async () => {
    const q = randomQuotientInput(1 << 14, 20_000, 5_000);
    const here = hex(await engine.groth16Quotient(q.coefs, q.nCoefs, q.witness, q.domainSize));
    const dir = mkdtempSync(join(tmpdir(), 'zkai-scratch-'));
    writeFileSync(join(dir, 'coefs'), q.coefs);
    writeFileSync(join(dir, 'witness'), q.witness);
    const script = `
      import { readFileSync } from 'node:fs';
      import { loadNativeEngine } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
      const e = loadNativeEngine();
      await e.prepareGroth16(${1 << 14}, 12000, 40000);
      const kept = e.scratchKeptBytes();
      const read = (f) => new Uint8Array(readFileSync(${JSON.stringify(dir)} + '/' + f));
      const out = await e.groth16Quotient(read('coefs'), ${q.nCoefs}, read('witness'), ${q.domainSize});
      console.log(JSON.stringify([kept, e.scratchKeptBytes(), Buffer.from(out).toString('hex')]));`;
    let child: string;
    try {
      child = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, ZKAI_NATIVE_SCRATCH_MIB: '1' },
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const [keptAfterPrepare, keptAfterQuotient, got] = JSON.parse(child) as [number, number, string];
    assert.ok(keptAfterPrepare <= 1 << 20, `kept ${keptAfterPrepare} bytes after prepare`);
    assert.ok(keptAfterQuotient <= 1 << 20, `kept ${keptAfterQuotient} bytes after a quotient`);
    assert.equal(got, here);
  });

  test('warm proofs of circuits X, Y, X (each prepared at load) all verify', async () => {
    const prover = new WarmProver();
    const circuits: { keys: CircuitKeys; vkey: Record<string, unknown> }[] = [];
    // Domains 2^14 and 2^13: their quotient, H and query buffers come from the scratch pool.
    for (const size of [9000, 5000]) {
      const circuit = await buildCircuit(syntheticCircuitSpec(size));
      const setup = await ensureCircuitSetup(circuit);
      circuits.push({ keys: { circuitId: circuit.id, wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath }, vkey: setup.vkey });
    }
    for (const [i, seed] of [
      [0, 1],
      [1, 2],
      [0, 3],
    ] as const) {
      const c = circuits[i]!;
      const out = await prover.prove(c.keys, syntheticInput(seed));
      assert.equal(out.engine, 'native');
      assert.equal(await snarkjs.groth16.verify(c.vkey, out.publicSignals, out.proof), true, `circuit ${i}, seed ${seed}`);
    }
  });
});
