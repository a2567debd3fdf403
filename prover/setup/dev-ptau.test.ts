import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildBn128 } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import { readBinSections } from '../../circuits/r1cs.ts';
import { writeDevPtauFile } from './dev-ptau-file.ts';
import { bestWindow, createFixedBasePool, SCALAR_BYTES } from './fixed-base.ts';
import { FR_ORDER, frBatchInverse, frInv, frMul, randomScalar, writeScalarLE } from './fr.ts';
import { ptauSectionSizes } from './ptau.ts';

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
    const sa = readBinSections(a, 'ptau');
    const sb = readBinSections(b, 'ptau');
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
