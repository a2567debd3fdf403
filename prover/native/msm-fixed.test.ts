/**
 * MSMs over precomputed fixed-base tables (src/msm-fixed.inc) against the algebraic reference (msm-reference.ts), in
 * G1 and G2: every table shape (one pass with every window precomputed, several passes with a partly filled last one,
 * one copy), both window paths (XYZZ for few digits, batch-affine), one chunk and two (one per engine thread), fewer
 * scalars than bases, signed scalars of every width; and the checks that keep a wrong table out. The mutations
 * docs/engines.md lists fail here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildBn128 } from 'ffjavascript';
import type { NativeEngine } from './api.ts';
import { bytesOf, expectedMsm, type Group, hex, inputs } from './msm-reference.ts';
import { NATIVE_TESTS, requireNativeEngine } from './test-native.ts';

describe('native fixed-base MSM: tables of precomputed multiples against Σ sᵢ·aᵢ', NATIVE_TESTS, () => {
  let engine: NativeEngine;
  let curve: { G1: Group; G2: Group; terminate(): Promise<void> };

  before(async () => {
    engine = requireNativeEngine();
    curve = await buildBn128(true);
  });
  after(async () => {
    await curve?.terminate();
  });

  async function table(bases: Uint8Array, g2: boolean, window: number, copies: number): Promise<Uint8Array> {
    const n = bases.byteLength / (g2 ? 128 : 64);
    const plan = engine.fixedTablePlan(n, g2, copies, window);
    const t = new Uint8Array(plan.bytes);
    await engine.fixedTableBuild(bases, g2, t, plan.c, plan.q);
    return t;
  }

  /** One table, several scalar vectors over it (all of its bases, then a prefix). */
  async function check(
    g2: boolean,
    n: number,
    window: number,
    copies: number,
    seed: number,
    scalarBits?: number | 'signed',
  ): Promise<void> {
    const { dlogs, scalars } = inputs(n, seed, scalarBits);
    const bases = g2 ? await engine.g2FixedBase(bytesOf(dlogs)) : await engine.g1FixedBase(bytesOf(dlogs));
    const plan = engine.fixedTablePlan(n, g2, copies, window);
    const t = await table(bases, g2, window, copies);
    const group = g2 ? curve.G2 : curve.G1;
    const what = `${g2 ? 'G2' : 'G1'} n=${n} c=${plan.c} q=${plan.q} t=${plan.t}`;
    assert.equal(hex(await engine.msmFixed(t, bytesOf(scalars), g2)), hex(expectedMsm(group, g2, dlogs, scalars)), what);
    const m = Math.ceil(n / 3);
    assert.equal(
      hex(await engine.msmFixed(t, bytesOf(scalars.slice(0, m)), g2)),
      hex(expectedMsm(group, g2, dlogs.slice(0, m), scalars.slice(0, m))),
      `${what}, ${m} scalars`,
    );
  }

  test('plans: every window precomputed is one pass; fewer copies take more passes; the plan fits its copies', () => {
    for (const g2 of [false, true]) {
      const full = engine.fixedTablePlan(8192, g2, 256);
      assert.equal(full.t, 1);
      assert.equal(full.q, full.nw);
      assert.ok(full.c >= 8 && full.c <= (g2 ? 11 : 12), `c=${full.c}`);
      assert.equal(full.bytes, 64 + full.q * 8192 * (g2 ? 128 : 64));
      assert.ok(full.saving > 0.1, `a membership-sized query saves ${full.saving}`);
      const five = engine.fixedTablePlan(8192, g2, 5);
      assert.ok(five.q <= 5 && five.q * five.t >= five.nw && five.t > 1);
      for (const c of [4, 9, 13, 20]) {
        const p = engine.fixedTablePlan(100, g2, 7, c);
        assert.equal(p.c, c);
        assert.equal(p.nw, Math.ceil(254 / c));
        assert.ok(p.q <= 7 && p.q * p.t >= p.nw && (p.q - 1) * p.t < p.nw, JSON.stringify(p));
      }
      // Large key: the wide windows that would pay no longer fit in cache, and the model says so.
      assert.ok(engine.fixedTablePlan(131_072, g2, 256).saving < 0.1);
    }
  });

  for (const g2 of [false, true]) {
    const name = g2 ? 'G2' : 'G1';
    test(`${name}: one pass, several passes (the last partly filled), one copy; XYZZ and batch-affine windows`, async () => {
      let seed = g2 ? 900 : 800;
      // 3 and 40 points: XYZZ windows (too few digits per pass); 700: batch-affine in one chunk; 6000: two chunks.
      for (const n of [1, 3, 40, 700, 6000]) {
        for (const [window, copies] of [
          [11, 256], // 24 windows in 1 pass
          [8, 5], // 32 windows in 7 passes of ≤ 5 (the last holds 2)
          [12, 1], // 22 passes of one copy
        ] as const) {
          await check(g2, n, window, copies, seed++);
        }
      }
    });

    test(`${name}: signed and short scalars (the sign folded into the digits; high windows empty)`, async () => {
      let seed = g2 ? 1100 : 1000;
      for (const n of [50, 5000]) {
        await check(g2, n, 10, 256, seed++, 'signed');
        await check(g2, n, 7, 9, seed++, 'signed');
        await check(g2, n, 12, 256, seed++, 20);
      }
    });
  }

  test('a table is refused for the wrong group, a bad header or size, and more scalars than bases', async () => {
    const { dlogs, scalars } = inputs(20, 7);
    const bases = await engine.g1FixedBase(bytesOf(dlogs));
    const t = await table(bases, false, 9, 256);
    const s = bytesOf(scalars);
    await assert.rejects(engine.msmFixed(t, s, true), /msmFixed: table is for G1/);
    await assert.rejects(engine.msmFixed(t.subarray(0, t.length - 64), s, false), /size does not match/);
    await assert.rejects(engine.msmFixed(t, bytesOf([...scalars, 1n]), false), /scalars outnumber the table's bases \(21 > 20\)/);
    const bad = t.slice();
    bad[0] ^= 1;
    await assert.rejects(engine.msmFixed(bad, s, false), /not a fixed-base table/);
    const inconsistent = t.slice();
    inconsistent[8] = 3; // c = 3 with q, t, nw of c = 9
    await assert.rejects(engine.msmFixed(inconsistent, s, false), /header is inconsistent/);
    await assert.rejects(engine.fixedTableBuild(bases, false, new Uint8Array(t.length - 1), 9, 256), /table must be \d+ bytes/);
    await assert.rejects(engine.fixedTableBuild(bases, false, t, 0, 256), /window must be 1\.\.20/);
    assert.throws(() => engine.fixedTablePlan(10, false, 0), /maxCopies must be at least 1/);
  });
});
