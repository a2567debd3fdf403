import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildBn128 } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import { binSections } from '../../common/binfile.ts';
import { type DevPtauEngine, writeDevPtauFile } from './dev-ptau-file.ts';
import { bestWindow, createFixedBasePool, SCALAR_BYTES } from './fixed-base.ts';
import { FR_ORDER, frBatchInverse, frInv, frMod, frMul, frPow, randomScalar, writeScalarLE } from './fr.ts';
import { ptauSectionSizes } from './ptau.ts';
import { ffjavascriptSetupEngine, loadSetupNative } from './setup-engine.ts';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'zkai-devptau-test-'));
});

after(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  await rm(dir, { recursive: true, force: true });
});

test('Fr helpers: inverse and batch inverse', () => {
  const xs = [1n, 2n, FR_ORDER - 1n, randomScalar(), randomScalar()];
  const inv = frBatchInverse(xs);
  xs.forEach((x, i) => {
    assert.equal(frMul(x, inv[i]!), 1n);
    assert.equal(inv[i], frInv(x));
  });
  for (let i = 0; i < 20; i++) {
    const s = randomScalar();
    assert.ok(s > 0n && s < FR_ORDER);
  }
});

test('bestWindow grows with the number of points', () => {
  assert.ok(bestWindow(100) <= bestWindow(10_000));
  assert.ok(bestWindow(10_000) <= bestWindow(1_000_000));
  assert.ok(bestWindow(1_000_000) <= 14);
});

test('fixed-base workers agree with ffjavascript timesFr, including 0, 1, r−1 and 2^253', async () => {
  const curve = await buildBn128(true);
  const pool = await createFixedBasePool({
    wasmCode: curve.tm.code,
    generators: { G1: curve.G1.g, G2: curve.G2.g },
    window: { G1: 5, G2: 7 }, // odd windows: digits straddle 32-bit words
    threads: 2,
  });
  try {
    const scalars = [0n, 1n, 2n, FR_ORDER - 1n, 2n ** 253n, ...Array.from({ length: 11 }, randomScalar)];
    const packed = new Uint8Array(scalars.length * SCALAR_BYTES);
    for (const [i, s] of scalars.entries()) writeScalarLE(new DataView(packed.buffer), i * SCALAR_BYTES, s);
    for (const [group, size] of [
      ['G1', 64],
      ['G2', 128],
    ] as const) {
      const { lem, comp } = await pool.multiply(group, packed.slice(), { compressed: true });
      const expected = new Uint8Array(scalars.length * size);
      for (const [i, s] of scalars.entries())
        curve[group].toRprLEM(expected, i * size, curve[group].timesFr(curve[group].g, curve.Fr.e(s)));
      assert.deepEqual(lem, expected, `${group} points`);
      assert.deepEqual(comp, await curve[group].batchLEMtoC(expected), `${group} compressed`);
    }
  } finally {
    await pool.close();
  }
});

test('dev ptau equals snarkjs prepare phase2 byte for byte (sections 1–6, 12–15)', async () => {
  for (const power of [1, 5]) {
    const secrets = { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() };
    const ours = path.join(dir, `ours-${power}.ptau`);
    const unprepared = path.join(dir, `unprepared-${power}.ptau`);
    const theirs = path.join(dir, `theirs-${power}.ptau`);
    // An odd chunk size puts job boundaries inside every section and Lagrange block.
    await writeDevPtauFile(ours, power, secrets, { chunk: 7 });
    await writeDevPtauFile(unprepared, power, secrets, { prepared: false });
    await snarkjs.powersOfTau.preparePhase2(unprepared, theirs);

    const a = await readFile(ours);
    const b = await readFile(theirs);
    assert.equal(a.length, b.length);
    const sa = binSections(a, 'ptau');
    const sb = binSections(b, 'ptau');
    assert.deepEqual([...sa.keys()], [...sb.keys()], 'same sections in the same order');
    for (const [id, size] of ptauSectionSizes(power)) assert.equal(sa.get(id)![0]!.size, size);
    for (const id of [1, 2, 3, 4, 5, 6, 12, 13, 14, 15]) {
      const x = sa.get(id)![0]!;
      const y = sb.get(id)![0]!;
      assert.ok(
        a.subarray(x.start, x.start + x.size).equals(b.subarray(y.start, y.start + y.size)),
        `power ${power}: section ${id} differs`,
      );
    }
    // Section 7 differs only by the random blinding in the proofs of knowledge; snarkjs's verifier
    // checks it (including that the stored partial hash resumes to the next challenge we wrote).
    assert.equal(await snarkjs.powersOfTau.verify(ours), true, `power ${power}: powersoftau verify`);
  }
});

/**
 * A stand-in for the native engine built from independent parts: ffjavascript's fixed-base path and a
 * quadratic inverse DFT over ffjavascript's roots of unity (L_i = (1/m)·Σ_j x_j·ω^(−ij)).
 */
async function referenceEngine(): Promise<DevPtauEngine> {
  const curve = await buildBn128(true);
  const read = (b: Uint8Array, i: number) => {
    let x = 0n;
    for (let k = 31; k >= 0; k--) x = (x << 8n) | BigInt(b[i * 32 + k]!);
    return x;
  };
  return {
    g1FixedBase: ffjavascriptSetupEngine.g1FixedBase,
    g2FixedBase: ffjavascriptSetupEngine.g2FixedBase,
    async ntt(values, opts) {
      assert.equal(opts?.inverse, true);
      const m = values.length / 32;
      const omegaInv = frInv(curve.Fr.toObject(curve.Fr.w[Math.log2(m)]!) as bigint);
      const mInv = frInv(BigInt(m));
      const out = new Uint8Array(values.length);
      const view = new DataView(out.buffer);
      for (let i = 0; i < m; i++) {
        let acc = 0n;
        const step = frPow(omegaInv, BigInt(i));
        let w = 1n;
        for (let j = 0; j < m; j++, w = frMul(w, step)) acc += frMul(read(values, j), w);
        writeScalarLE(view, i * 32, frMul(frMod(acc), mInv));
      }
      return out;
    },
  };
}

test('dev ptau through an engine (fixed base + inverse NTTs for sections 12–15) equals the worker path byte for byte', async () => {
  const native = loadSetupNative();
  const engines: [string, DevPtauEngine][] = [['reference', await referenceEngine()]];
  if (native) engines.push(['native', native]);
  console.log(`engines: ${engines.map(([name]) => name).join(', ')}`);
  for (const power of [1, 4]) {
    const secrets = { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() };
    const workers = path.join(dir, `workers-${power}.ptau`);
    await writeDevPtauFile(workers, power, secrets);
    const expected = await readFile(workers);
    const sections = binSections(expected, 'ptau');
    for (const [name, engine] of engines) {
      const file = path.join(dir, `${name}-${power}.ptau`);
      // A small chunk puts call boundaries inside sections and Lagrange blocks.
      await writeDevPtauFile(file, power, secrets, { engine, chunk: 5 });
      const actual = await readFile(file);
      assert.equal(actual.length, expected.length);
      for (const id of [1, 2, 3, 4, 5, 6, 12, 13, 14, 15]) {
        const x = sections.get(id)![0]!;
        assert.ok(
          actual.subarray(x.start, x.start + x.size).equals(expected.subarray(x.start, x.start + x.size)),
          `${name}, power ${power}: section ${id}`,
        );
      }
      assert.equal(await snarkjs.powersOfTau.verify(file), true, `${name}, power ${power}: powersoftau verify`);
    }
  }
});
