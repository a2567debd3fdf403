/**
 * Fixed-base tables for warm circuits (fixed-tables.ts): the budget setting, the planning within a budget, and proofs
 * over tables through WarmProver, checked by snarkjs. The tables' MSMs themselves are tested against the algebraic
 * reference in prover/native/msm-fixed.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { isZkaiError } from '../../common/errors.ts';
import { selectEngine } from '../engine.ts';
import { NATIVE_TESTS } from '../native/test-native.ts';
import { ProverPool } from '../pool.ts';
import { membershipInput, membershipTestSetup } from '../test-fixtures.ts';
import { releaseVerifierResources } from '../verify.ts';
import { WarmProver } from '../warm-prover.ts';
import { DEFAULT_FIXED_BASE_MIB, type FixedTablePlan, fixedBaseBudgetFrom, MIN_SAVING, planFixedTables } from './fixed-tables.ts';
import type { ParsedZkey } from './zkey.ts';

const MIB = 2 ** 20;

describe('fixed-base tables: budget and plan', () => {
  test('ZKAI_FIXED_BASE_MIB: default, 0 turns the tables off, anything else is BAD_INPUT', () => {
    assert.equal(fixedBaseBudgetFrom({}), DEFAULT_FIXED_BASE_MIB * MIB);
    assert.equal(fixedBaseBudgetFrom({ ZKAI_FIXED_BASE_MIB: ' 0 ' }), 0);
    assert.equal(fixedBaseBudgetFrom({ ZKAI_FIXED_BASE_MIB: '64' }), 64 * MIB);
    for (const bad of ['-1', '1.5', 'lots', '2000000']) {
      assert.throws(
        () => fixedBaseBudgetFrom({ ZKAI_FIXED_BASE_MIB: bad }),
        (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && e.message.includes(bad),
      );
    }
  });

  // A key of n points per G1 query (H: the domain) and a stand-in planner: c = 10, q as allowed, saving by n.
  const key = (n: number) =>
    ({
      pointsA: new Uint8Array(n * 64),
      pointsB1: new Uint8Array(n * 64),
      pointsC: new Uint8Array((n - 2) * 64),
      pointsH: new Uint8Array(n * 64),
      pointsB2: new Uint8Array(n * 128),
    }) as ParsedZkey;
  const planner = (saving: (n: number, g2: boolean) => number) => ({
    fixedTablePlan(n: number, g2: boolean, maxCopies: number): FixedTablePlan {
      const q = Math.min(maxCopies, 26);
      return { c: 10, q, t: Math.ceil(26 / q), nw: 26, saving: saving(n, g2), bytes: 64 + q * n * (g2 ? 128 : 64) };
    },
  });

  test('the most copies that fit the budget, only for queries that save enough, none when nothing fits', () => {
    const all = planFixedTables(
      key(1000),
      planner(() => 0.2),
      64 * MIB,
    );
    assert.ok(all);
    assert.deepEqual([...all.plans.keys()], ['a', 'b1', 'c', 'h', 'b2']);
    assert.equal(all.copies, 26);
    // 26 copies of about 1000 points of 4 G1 queries and B2: 26·1000·(4·64 + 128) bytes, 9.5 MiB.
    assert.ok(all.bytes < 10 * MIB && all.bytes > 9 * MIB, String(all.bytes));
    const tight = planFixedTables(
      key(1000),
      planner(() => 0.2),
      2 * MIB,
    );
    assert.ok(tight && tight.copies < 26 && tight.copies >= 4 && tight.bytes <= 2 * MIB, JSON.stringify(tight?.copies));
    const g1Only = planFixedTables(
      key(1000),
      planner((_n, g2) => (g2 ? MIN_SAVING / 2 : 0.2)),
      64 * MIB,
    );
    assert.deepEqual([...(g1Only?.plans.keys() ?? [])], ['a', 'b1', 'c', 'h']);
    assert.equal(
      planFixedTables(
        key(1000),
        planner(() => 0.05),
        64 * MIB,
      ),
      null,
    );
    assert.equal(
      planFixedTables(
        key(1000),
        planner(() => 0.2),
        100_000,
      ),
      null,
      'not even 4 copies of one query fit',
    );
    // A forced window (tests) plans every query, whatever it saves.
    assert.equal(
      planFixedTables(
        key(1000),
        planner(() => -1),
        64 * MIB,
        10,
      )?.plans.size,
      5,
    );
  });
});

describe('fixed-base tables: warm proofs over them', NATIVE_TESTS, () => {
  after(releaseVerifierResources);

  test('a warm circuit proves over its tables (every MSM), proofs verify; the budget bounds them; 0 is none', async () => {
    const fixture = await membershipTestSetup(2);
    const keys = { circuitId: `${fixture.circuit.id}-fixed-tables`, wasmPath: fixture.circuit.wasmPath, zkeyPath: fixture.zkeyPath };
    const input = await membershipInput([{ recordId: 1n, contributor: 2n, contentHi: 3n, contentLo: 4n, weight: 5n }], 0, 1n, 2);
    const engine = await selectEngine('native');
    const fb = engine.kernels?.fixedBase;
    assert.ok(fb, 'the native engine has fixed-base MSMs');
    let fixedCalls = 0;
    const counted = {
      ...engine,
      kernels: {
        ...engine.kernels!,
        fixedBase: {
          ...fb,
          msmFixed: (t: Uint8Array, s: Uint8Array, g2: boolean) => {
            fixedCalls++;
            return fb.msmFixed(t, s, g2);
          },
        },
      },
    };

    const prover = new WarmProver(counted, { fixedBaseBudget: 64 * MIB });
    for (let i = 0; i < 2; i++) {
      const out = await prover.prove(keys, input);
      assert.equal(await snarkjs.groth16.verify(fixture.vkey, out.publicSignals, out.proof), true);
    }
    // A depth-2 circuit is small: every query's table saves more than MIN_SAVING, so all five MSMs ran over tables,
    // in the load's warm-up proof (warmUpProof) and in both proofs.
    assert.equal(fixedCalls, 15);
    const held = prover.fixedTableBytes();
    assert.ok(held > 0 && held <= 64 * MIB, String(held));

    fixedCalls = 0;
    const small = new WarmProver(counted, { fixedBaseBudget: Math.floor(held / 3) });
    const out = await small.prove(keys, input);
    assert.equal(await snarkjs.groth16.verify(fixture.vkey, out.publicSignals, out.proof), true);
    assert.ok(small.fixedTableBytes() <= Math.floor(held / 3), 'within its budget');
    assert.equal(fixedCalls, small.fixedTableBytes() > 0 ? 10 : 0);

    fixedCalls = 0;
    const none = new WarmProver(counted, { fixedBaseBudget: 0 });
    const plain = await none.prove(keys, input);
    assert.equal(await snarkjs.groth16.verify(fixture.vkey, plain.publicSignals, plain.proof), true);
    assert.equal(none.fixedTableBytes(), 0);
    assert.equal(fixedCalls, 0);
  });

  test('the proving pool builds tables in its workers (ZKAI_FIXED_BASE_MIB) and its proofs verify', async () => {
    const fixture = await membershipTestSetup(2);
    const keys = { circuitId: `${fixture.circuit.id}-fixed-pool`, wasmPath: fixture.circuit.wasmPath, zkeyPath: fixture.zkeyPath };
    const input = await membershipInput([{ recordId: 1n, contributor: 2n, contentHi: 3n, contentLo: 4n, weight: 5n }], 0, 1n, 2);
    const saved = process.env.ZKAI_FIXED_BASE_MIB;
    process.env.ZKAI_FIXED_BASE_MIB = '64'; // a worker thread's environment is a copy taken when it starts
    const pool = new ProverPool({ threads: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        const out = await pool.prove(keys, input);
        assert.equal(out.engine, 'native');
        assert.equal(await snarkjs.groth16.verify(fixture.vkey, out.publicSignals, out.proof), true);
      }
    } finally {
      await pool.close();
      if (saved === undefined) delete process.env.ZKAI_FIXED_BASE_MIB;
      else process.env.ZKAI_FIXED_BASE_MIB = saved;
    }
  });
});
