/**
 * Every path of the native MSM kernels (src/msm.inc, src/msm-window.inc) in G1 and G2, at every window width the
 * engine picks, against an algebraic reference: the bases are aᵢ·G with known aᵢ, so Σ sᵢ·(aᵢ·G) must equal
 * (Σ sᵢ·aᵢ mod r)·G, one ffjavascript multiplication however many points there are. That makes the sizes where the
 * batch-affine window and the widest windows are reached (tens of thousands of points, in G2 too) cost seconds.
 *
 * Which sizes reach which path and width: the engine folds each scalar's sign into its point (±|v|), sorts the
 * magnitudes into width classes (≤16, ≤32, ≤64, ≤128 bits) and splits wider ones in two ~128-bit halves (GLV in G1,
 * ψ in G2) into the last class; per class it drops zero and one, and for m remaining points picks the width c with
 * `choose_window` (mirrored in `plan` below): batch-affine windows at reduce weight 3 when they pay (G1: m ≥ 1,024 and
 * c ≥ 7; G2: m ≥ 256 and c ≥ 6; `batch_affine_pays`), else XYZZ windows at weight 1.4. Batch-affine windows narrower
 * than 12 bits (G1) or 11 (G2) run several to a group sharing their batches (`windows_batch_affine`), so the small
 * sizes here reach groups of up to a dozen windows, the wide ones groups of one. The mutations docs/engines.md lists
 * show each path failing here when broken.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildBn128 } from 'ffjavascript';
import type { NativeEngine } from './api.ts';
import { bytesOf, expectedMsm, type Group, hex, inputs } from './msm-reference.ts';
import { NATIVE_TESTS, requireNativeEngine } from './test-native.ts';

/** The engine's window choice (src/msm-window.inc choose_window, src/msm.inc msm_core), to name what a size reaches. */
function chooseWindow(m: number, bits: number, reduceWeight: number): number {
  let best = 1;
  let bestCost = Infinity;
  for (let c = 1; c <= 16; c++) {
    const cost = Math.floor((bits + c) / c) * (m + reduceWeight * 2 ** c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}
function plan(m: number, bits: number, g2: boolean): string {
  const c = chooseWindow(m, bits, 3.0);
  const batchAffine = g2 ? m >= 256 && c >= 6 : m >= 1024 && c >= 7;
  return batchAffine ? `batch-affine c=${c}` : `xyzz c=${chooseWindow(m, bits, 1.4)}`;
}

describe('native MSM: every path and window width against Σ sᵢ·aᵢ', NATIVE_TESTS, () => {
  let engine: NativeEngine;
  let curve: { G1: Group; G2: Group; terminate(): Promise<void> };

  before(async () => {
    engine = requireNativeEngine();
    curve = await buildBn128(true);
  });
  after(async () => {
    await curve?.terminate();
  });

  async function check(g2: boolean, n: number, seed: number, scalarBits?: number | 'signed'): Promise<void> {
    const { dlogs, scalars } = inputs(n, seed, scalarBits);
    const bases = g2 ? await engine.g2FixedBase(bytesOf(dlogs)) : await engine.g1FixedBase(bytesOf(dlogs));
    const got = g2 ? await engine.msmG2(bases, bytesOf(scalars)) : await engine.msmG1(bases, bytesOf(scalars));
    const expected = expectedMsm(g2 ? curve.G2 : curve.G1, g2, dlogs, scalars);
    assert.equal(
      hex(got),
      hex(expected),
      `${g2 ? 'G2' : 'G1'} n=${n} (${scalarBits === 'signed' ? 'signed' : plan(kept(n), Math.min(scalarBits ?? 128, 128), g2)})`,
    );
  }

  /**
   * Points the engine keeps from n inputs: two halves each, less the 3 in 16 that inputs() makes zero, one or
   * infinity. The sizes sit well inside each width's range of m, so the estimate's noise does not move them.
   */
  const kept = (n: number) => Math.round((2 * n * 13) / 16);
  /** Sizes that reach every path and width the engine picks for up to 75,000 points (plan()), in each group. */
  const SIZES = [1, 5, 20, 50, 150, 400, 1000, 1800, 2800, 4000, 8000, 25000, 45000, 75000];
  const WIDEST = 420_000;

  test('the sizes cover every width the engine picks for up to 75,000 points, on both paths, in G1 and G2', () => {
    for (const g2 of [false, true]) {
      const possible = new Set<string>();
      for (let m = 1; m <= kept(75_000); m++) possible.add(plan(m, 128, g2));
      const reached = new Set(SIZES.map((n) => plan(kept(n), 128, g2)));
      for (const p of possible) assert.ok(reached.has(p), `${g2 ? 'G2' : 'G1'}: ${p}`);
      // Both paths, several widths each (G1: XYZZ 2–7, batch-affine 7–13; G2: XYZZ 2–6, batch-affine 6–13).
      assert.ok([...reached].filter((p) => p.startsWith('xyzz')).length >= 5);
      assert.ok([...reached].filter((p) => p.startsWith('batch-affine')).length >= 7);
    }
  });

  for (const g2 of [false, true]) {
    const name = g2 ? 'G2' : 'G1';
    test(`${name}: full-width scalars at every size, XYZZ and batch-affine windows`, async () => {
      for (const [i, n] of SIZES.entries()) await check(g2, n, 100 + i + (g2 ? 50 : 0));
    });

    test(`${name}: short scalars (fewer windows, a partly used top window, one endomorphism half zero)`, async () => {
      // 20-bit witness-like values: one window set; 130 bits: the second half is a few bits, the top window small.
      for (const [i, n] of [3000, 6000, 40000].entries()) {
        await check(g2, n, 300 + i + (g2 ? 50 : 0), 20);
        await check(g2, n, 400 + i + (g2 ? 50 : 0), 130);
      }
    });

    test(`${name}: signed scalars of every width class (the sign folded into the point, one MSM per class)`, async () => {
      // Few points: a class of one or two; many: every class on its batch-affine path.
      for (const [i, n] of [1, 7, 60, 900, 5000, 30000].entries()) await check(g2, n, 600 + i + (g2 ? 50 : 0), 'signed');
    });
  }

  test('G1 at 420,000 points: the widest window the engine picks (batch-affine c=15)', async () => {
    assert.equal(plan(kept(WIDEST), 128, false), 'batch-affine c=15');
    await check(false, WIDEST, 500);
  });
});
