// The LogUp row orientation (r1cs-orient.ts): on a hand-made r1cs, exactly the rows with α in A (and not in B) swap,
// byte for byte, with C and the other rows untouched; on a built LogUp circuit, every α row has α in B afterwards,
// the build records how many it swapped, and an honest witness still satisfies every row.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BN254_R } from '../common/bn254.ts';
import { demoFixture } from '../prover/lookup/test-forge.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { type LinearCombination, readR1cs, unsatisfiedConstraints } from './r1cs.ts';
import { LOGUP_ALPHA_SIGNAL, swapAlphaRows } from './r1cs-orient.ts';
import { calculateWitness, readSymbols } from './witness.ts';

type Lc = [number, bigint][];

/** A minimal circom-style r1cs file: header (n8 = 32, BN254's r) and constraints sections. */
function r1csBytes(nWires: number, rows: [Lc, Lc, Lc][]): Buffer {
  const le = (x: bigint, n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return b;
  };
  const u32 = (x: number) => le(BigInt(x), 4);
  const header = Buffer.concat([u32(32), le(BN254_R, 32), u32(nWires), u32(0), u32(1), u32(0), le(0n, 8), u32(rows.length)]);
  const lc = (terms: Lc) => Buffer.concat([u32(terms.length), ...terms.map(([w, c]) => Buffer.concat([u32(w), le(c, 32)]))]);
  const body = Buffer.concat(rows.flatMap(([a, b, c]) => [lc(a), lc(b), lc(c)]));
  const section = (type: number, data: Buffer) => Buffer.concat([u32(type), le(BigInt(data.length), 8), data]);
  return Buffer.concat([Buffer.from('r1cs'), u32(1), u32(2), section(1, header), section(2, body)]);
}

const asLc = (m: LinearCombination): Lc => [...m.entries()];

describe('LogUp rows: the inverse wire to A (r1cs-orient.ts)', () => {
  // The setup's curve threads keep the process alive otherwise.
  after(releaseVerifierResources);

  test('swaps exactly the rows with α in A and not in B, in place', async () => {
    const ALPHA = 1;
    const minusOne = BN254_R - 1n;
    const rows: [Lc, Lc, Lc][] = [
      [
        [
          [ALPHA, 1n],
          [2, minusOne],
        ],
        [[3, 1n]],
        [[0, 1n]],
      ], // (α − f)·inv = 1: swapped
      [
        [[4, 1n]],
        [
          [ALPHA, 1n],
          [2, minusOne],
        ],
        [[0, 1n]],
      ], // already inv·(α − f): kept
      [
        [[2, 1n]],
        [
          [2, 1n],
          [0, minusOne],
        ],
        [],
      ], // no α: kept
      [[[ALPHA, 1n]], [[ALPHA, 1n]], [[5, 1n]]], // α on both sides: kept (the shape check refuses it anyway)
      [
        [
          [ALPHA, 1n],
          [0, 7n],
        ],
        [
          [3, 1n],
          [4, 1n],
          [5, 2n],
        ],
        [[2, 1n]],
      ], // B longer than A: swapped
    ];
    const buf = r1csBytes(6, rows);
    const size = buf.length;
    assert.equal(swapAlphaRows(buf, ALPHA), 2);
    assert.equal(buf.length, size);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-orient-'));
    try {
      await writeFile(path.join(dir, 'x.r1cs'), buf);
      const got = (await readR1cs(path.join(dir, 'x.r1cs'))).constraints.map((k) => [asLc(k.a), asLc(k.b), asLc(k.c)]);
      const want = rows.map(([a, b, c], i) => (i === 0 || i === 4 ? [b, a, c] : [a, b, c]));
      assert.deepEqual(got, want);
      // Oriented rows are left alone by a second pass.
      assert.equal(swapAlphaRows(buf, ALPHA), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a built LogUp circuit has α only in B, records the swap, and an honest witness satisfies it', async () => {
    const fx = await demoFixture();
    const r1cs = await readR1cs(fx.circuit.r1csPath);
    const alpha = (await readSymbols(fx.circuit.symPath)).get(LOGUP_ALPHA_SIGNAL)!;
    const inA = r1cs.constraints.filter((k) => k.a.has(alpha)).length;
    const inB = r1cs.constraints.filter((k) => k.b.has(alpha)).length;
    assert.equal(inA, 0);
    assert.ok(inB > 0);
    const meta = JSON.parse(await readFile(path.join(fx.circuit.dir, 'circuit.json'), 'utf8'));
    assert.equal(meta.lookupRowsOriented, inB);
    const w = await calculateWitness(fx.circuit.wasmPath, { x: ['1', '2', '3', '4'], logupAlpha: '12345', logupBlind: '99' });
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
  });
});
