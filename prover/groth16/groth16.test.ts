// zkai's Groth16 prover against snarkjs's keys and verifiers: proofs from the wasm backend and (when built)
// the native engine verify with snarkjs and with the independent @noble/curves verifier, for a synthetic
// circuit and the membership circuit; the native quotient is byte-equal to the wasm reference.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../../circuits/bench/synthetic.ts';
import { buildCircuit } from '../../circuits/build.ts';
import { isZkaiError } from '../../common/errors.ts';
import { FR_BYTES, G1_BYTES, type ProvingBackend } from '../../gpu/backend.ts';
import { requireOrSkip } from '../../test/require-dep.ts';
import { loadNative, selectEngine } from '../engine.ts';
import type { NativeEngine } from '../native/api.ts';
import { ensureCircuitSetup } from '../setup/index.ts';
import { contributeZkey } from '../setup/zkey-contribute.ts';
import { membershipInput, membershipTestSetup } from '../test-fixtures.ts';
import { releaseVerifierResources } from '../verify.ts';
import { checkGroth16, parseGroth16 } from '../verify-noble.ts';
import { WarmProver } from '../warm-prover.ts';
import { bigIntToLe, g1FromBytes, g2FromBytes, leToBigInt } from './points.ts';
import { type Groth16Kernels, type Groth16Result, kernelsFrom, proveGroth16 } from './prove.ts';
import { computeQuotientWasm } from './quotient-wasm.ts';
import { createWasmBackend } from './wasm-backend.ts';
import { parseWtns } from './wtns.ts';
import { BN254_R, type ParsedZkey, parseZkey } from './zkey.ts';

interface Case {
  name: string;
  zkeyBytes: Uint8Array;
  zkey: ParsedZkey;
  wtns: Uint8Array;
  witness: Uint8Array;
  vkey: Record<string, unknown>;
}

const cases: Case[] = [];
let wasm: ProvingBackend;
let native: NativeEngine | null = null;
const kernels: Groth16Kernels[] = [];

async function loadCase(
  name: string,
  wasmPath: string,
  zkeyPath: string,
  vkey: Record<string, unknown>,
  input: Record<string, unknown>,
): Promise<Case> {
  const calculator = (await WitnessCalculatorBuilder(await readFile(wasmPath))) as {
    calculateWTNSBin(i: Record<string, unknown>, sanity: boolean): Promise<Uint8Array>;
  };
  const wtns = await calculator.calculateWTNSBin(input, true);
  const zkeyBytes = new Uint8Array(await readFile(zkeyPath));
  return { name, zkeyBytes, zkey: parseZkey(zkeyBytes), wtns, witness: parseWtns(wtns).values, vkey };
}

/** Byte equality whatever the view type (the addon returns Buffers, ffjavascript Uint8Arrays). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected), `${what}: bytes differ`);
}

/** Both verifiers: snarkjs (ffjavascript) and @noble/curves (prover/verify-noble.ts). They must agree. */
async function verifyBoth(c: Case, out: { proof: unknown; publicSignals: string[] }): Promise<boolean> {
  const sj = (await snarkjs.groth16.verify(c.vkey, out.publicSignals, out.proof)) as boolean;
  const noble = checkGroth16(parseGroth16(c.vkey, out.proof, out.publicSignals));
  assert.equal(sj, noble, 'snarkjs and noble disagree');
  return sj;
}

before(async () => {
  const membership = await membershipTestSetup(2);
  const records = [
    { recordId: 11n, contributor: 0x1234n, contentHi: 1n, contentLo: 2n, weight: 30n },
    { recordId: 12n, contributor: 0x5678n, contentHi: 3n, contentLo: 4n, weight: 40n },
  ];
  cases.push(
    await loadCase(
      'membership-d2',
      membership.circuit.wasmPath,
      membership.zkeyPath,
      membership.vkey,
      await membershipInput(records, 1, 9n, 2),
    ),
  );
  const synthetic = await buildCircuit(syntheticCircuitSpec(1000));
  const setup = await ensureCircuitSetup(synthetic);
  cases.push(await loadCase('synthetic-1000', synthetic.wasmPath, setup.zkeyPath, setup.vkey, syntheticInput(2)));

  wasm = await createWasmBackend();
  kernels.push(kernelsFrom(wasm, computeQuotientWasm));
  native = (await loadNative()).engine;
  if (native) kernels.push(kernelsFrom(native, (c, n, w, d) => native!.groth16Quotient(c, n, w, d)));
});

after(async () => {
  await native?.close?.();
  await releaseVerifierResources();
});

describe('zkai Groth16 prover', () => {
  test('proofs from every available backend verify with snarkjs and noble, for each circuit', async () => {
    assert.ok(kernels.length >= 1);
    for (const c of cases) {
      for (const k of kernels) {
        const out = await proveGroth16(c.zkey, c.witness, k);
        assert.equal(out.proof.protocol, 'groth16');
        assert.equal(out.proof.curve, 'bn128');
        assert.equal(out.proof.pi_a[2], '1');
        assert.deepEqual(out.proof.pi_b[2], ['1', '0']);
        assert.equal(await verifyBoth(c, out), true, `${k.name} on ${c.name}`);
        for (const ms of Object.values(out.timings)) assert.ok(ms >= 0);
      }
    }
  });

  test('proofs finished by noble (engines without a finish of their own) verify too, and differ each time', async () => {
    for (const c of cases) {
      for (const k of kernels) {
        const noble = { ...k, finish: undefined };
        const a = await proveGroth16(c.zkey, c.witness, noble);
        const b = await proveGroth16(c.zkey, c.witness, noble);
        assert.equal(await verifyBoth(c, a), true, `${k.name} on ${c.name}`);
        assert.equal(await verifyBoth(c, b), true, `${k.name} on ${c.name}`);
        assert.notDeepEqual(a.proof.pi_a, b.proof.pi_a);
        assert.notDeepEqual(a.proof.pi_c, b.proof.pi_c);
      }
    }
  });

  test('a key whose α₁, β₁, δ₁, β₂ or δ₂ is off its curve is refused with BAD_INPUT, by either finish', async () => {
    const c = cases[0]!;
    const finishes = kernels.flatMap((k) => [k, { ...k, finish: undefined }]);
    if (native)
      assert.ok(
        finishes.some((k) => k.finish),
        'the native finish is among those tested',
      );
    for (const field of ['alpha1', 'beta1', 'delta1', 'beta2', 'delta2'] as const) {
      const point = c.zkey[field].slice();
      point[0]! ^= 1; // x changes, y does not: off the curve
      const zkey = { ...c.zkey, [field]: point };
      for (const k of finishes) {
        await assert.rejects(
          proveGroth16(zkey, c.witness, k),
          (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /proving key/.test(e.message),
          `${field}, ${k.name}, ${k.finish ? 'native' : 'noble'} finish`,
        );
      }
    }
  });

  test('public signals are those snarkjs reports for the same witness', async () => {
    for (const c of cases) {
      const ours = await proveGroth16(c.zkey, c.witness, kernels[0]!);
      const theirs = (await snarkjs.groth16.prove({ type: 'mem', data: c.zkeyBytes }, { type: 'mem', data: c.wtns })) as {
        publicSignals: string[];
      };
      assert.deepEqual(ours.publicSignals, theirs.publicSignals);
      assert.equal(ours.publicSignals.length, c.zkey.nPublic);
    }
  });

  test('the sequential mode (benchmarks) proves the same statement', async () => {
    const c = cases[1]!;
    assert.equal(await verifyBoth(c, await proveGroth16(c.zkey, c.witness, kernels.at(-1)!, { sequential: true })), true);
  });

  test('two proofs of the same statement differ (fresh r, s) and both verify', async () => {
    const c = cases[0]!;
    const a = await proveGroth16(c.zkey, c.witness, kernels.at(-1)!);
    const b = await proveGroth16(c.zkey, c.witness, kernels.at(-1)!);
    assert.notDeepEqual(a.proof.pi_a, b.proof.pi_a);
    assert.notDeepEqual(a.proof.pi_b, b.proof.pi_b);
    assert.notDeepEqual(a.proof.pi_c, b.proof.pi_c);
    assert.deepEqual(a.publicSignals, b.publicSignals);
    assert.equal(await verifyBoth(c, a), true);
    assert.equal(await verifyBoth(c, b), true);
  });

  test('a corrupted private wire gives a proof that does not verify (and no crash)', async () => {
    for (const c of cases) {
      for (const k of kernels) {
        const bad = c.witness.slice();
        const wire = c.zkey.nPublic + 1 + Math.floor((c.zkey.nVars - c.zkey.nPublic - 1) / 2);
        const v = leToBigInt(bad, wire * FR_BYTES);
        bigIntToLe((v + 1n) % BN254_R, bad, wire * FR_BYTES);
        const out: Groth16Result = await proveGroth16(c.zkey, bad, k);
        assert.equal(await verifyBoth(c, out), false, `${k.name} on ${c.name}`);
      }
    }
  });

  test('a valid proof does not verify for other public signals', async () => {
    const c = cases[0]!;
    const out = await proveGroth16(c.zkey, c.witness, kernels[0]!);
    const other = out.publicSignals.slice();
    other[0] = ((BigInt(other[0]!) + 1n) % BN254_R).toString();
    assert.equal(await verifyBoth(c, { proof: out.proof, publicSignals: other }), false);
  });

  test('malformed witnesses are refused with BAD_INPUT', async () => {
    const c = cases[0]!;
    const short = c.witness.subarray(0, c.witness.byteLength - FR_BYTES);
    await assert.rejects(proveGroth16(c.zkey, short, kernels[0]!), (e) => isZkaiError(e) && e.code === 'BAD_INPUT');
    const noOne = c.witness.slice();
    noOne[0] = 2;
    await assert.rejects(
      proveGroth16(c.zkey, noOne, kernels[0]!),
      (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /constant one/.test(e.message),
    );
    const big = c.witness.slice();
    bigIntToLe(BN254_R, big, 3 * FR_BYTES);
    await assert.rejects(proveGroth16(c.zkey, big, kernels[0]!), (e) => isZkaiError(e) && /not below/.test(e.message));
  });
});

describe('zkey and wtns readers', () => {
  test('sections have the sizes the header implies', () => {
    for (const c of cases) {
      const z = c.zkey;
      assert.equal(z.pointsA.byteLength, z.nVars * G1_BYTES);
      assert.equal(z.pointsH.byteLength, z.domainSize * G1_BYTES);
      assert.equal(z.coefs.byteLength, z.nCoefs * 44);
      assert.equal(2 ** z.power, z.domainSize);
      assert.equal(z.pointsA.buffer, c.zkeyBytes.buffer, 'sections are zero-copy views');
      assert.equal(c.witness.byteLength, z.nVars * FR_BYTES);
    }
  });

  test('a truncated zkey is refused with a clear BAD_INPUT', () => {
    const c = cases[0]!;
    for (const cut of [0, 8, 100, c.zkeyBytes.byteLength - 1]) {
      assert.throws(
        () => parseZkey(c.zkeyBytes.subarray(0, cut)),
        (e) => isZkaiError(e) && e.code === 'BAD_INPUT' && /zkey/.test(e.message),
        `cut at ${cut}`,
      );
    }
    assert.throws(() => parseZkey(c.zkeyBytes.subarray(0, c.zkeyBytes.byteLength - 1)), /truncated/);
  });

  test('a non-Groth16 zkey and a non-zkey file are refused', () => {
    const c = cases[0]!;
    const plonk = c.zkeyBytes.slice();
    // Section 1 is the first section: its body (the protocol id) starts after the file header (12) and the section header (12).
    assert.equal(new DataView(plonk.buffer).getUint32(12, true), 1);
    new DataView(plonk.buffer).setUint32(24, 2, true);
    assert.throws(
      () => parseZkey(plonk),
      (e) => isZkaiError(e) && /protocol id 2 is not Groth16/.test(e.message),
    );
    assert.throws(
      () => parseZkey(c.wtns),
      (e) => isZkaiError(e) && /magic/.test(e.message),
    );
    assert.throws(
      () => parseWtns(c.zkeyBytes),
      (e) => isZkaiError(e) && /magic/.test(e.message),
    );
    assert.throws(() => parseWtns(c.wtns.subarray(0, c.wtns.byteLength - 5)), /truncated/);
  });
});

describe('wasm backend', () => {
  test('msmG1 and msmG2 match noble sums of multiples, including zero scalars', async () => {
    const n = 5;
    const scalars = new Uint8Array(n * FR_BYTES);
    const ks = [0n, 1n, 7n, BN254_R - 1n, 123456789012345678901234567890n];
    for (const [i, k] of ks.entries()) bigIntToLe(k, scalars, i * FR_BYTES);
    // Real bases: the membership zkey's A and B2 query points, decoded independently by points.ts.
    const z = cases[0]!.zkey;
    const bases1 = z.pointsA.subarray(0, n * G1_BYTES);
    let expect1 = bn254.G1.Point.ZERO;
    ks.forEach((k, i) => {
      expect1 = expect1.add(g1FromBytes(bases1.subarray(i * G1_BYTES)).multiplyUnsafe(k));
    });
    assert.ok(g1FromBytes(await wasm.msmG1(z.pointsA, scalars)).equals(expect1));
    let expect2 = bn254.G2.Point.ZERO;
    ks.forEach((k, i) => {
      expect2 = expect2.add(g2FromBytes(z.pointsB2.subarray(i * 128)).multiplyUnsafe(k));
    });
    assert.ok(g2FromBytes(await wasm.msmG2(z.pointsB2, scalars)).equals(expect2));
    assert.ok(!expect1.is0() && !expect2.is0());
    assert.deepEqual(await wasm.msmG1(z.pointsA, new Uint8Array(n * FR_BYTES)), new Uint8Array(G1_BYTES), 'all-zero scalars: infinity');
  });

  test('ntt is evaluation on the domain / coset, and inverse undoes it', async () => {
    const n = 8;
    const values = new Uint8Array(n * FR_BYTES);
    const coeffs = [3n, 1n, 4n, 1n, 5n, 9n, 2n, BN254_R - 6n];
    for (const [i, c] of coeffs.entries()) bigIntToLe(c, values, i * FR_BYTES);
    const pow = (b: bigint, e: bigint) => {
      let r = 1n;
      let x = b % BN254_R;
      for (let k = e; k > 0n; k >>= 1n) {
        if (k & 1n) r = (r * x) % BN254_R;
        x = (x * x) % BN254_R;
      }
      return r;
    };
    // ffjavascript's roots: 5 generates the 2^28-torsion via 5^((r-1)/2^28); ω_m = that^(2^28/m).
    const root = (m: number) => pow(pow(5n, (BN254_R - 1n) >> 28n), (1n << 28n) / BigInt(m));
    const evalAt = (x: bigint) => coeffs.reduceRight((acc, c) => (acc * x + c) % BN254_R, 0n);
    const w = root(n);
    const shift = root(2 * n);
    for (const coset of [false, true]) {
      const out = await wasm.ntt(values, { coset });
      for (let i = 0; i < n; i++) {
        const x = ((coset ? shift : 1n) * pow(w, BigInt(i))) % BN254_R;
        assert.equal(leToBigInt(out, i * FR_BYTES), evalAt(x), `coset=${coset} point ${i}`);
      }
      assert.deepEqual(await wasm.ntt(out, { coset, inverse: true }), values);
    }
  });
});

describe('native engine', () => {
  test('groth16Quotient is byte-equal to the wasm reference on real zkeys and witnesses', async (t) => {
    const missing = requireOrSkip(native !== null, 'the native engine (npm run build:native)');
    if (missing || !native) {
      t.skip(missing || 'native engine not built');
      return;
    }
    for (const c of cases) {
      const ref = await computeQuotientWasm(c.zkey.coefs, c.zkey.nCoefs, c.witness, c.zkey.domainSize);
      const got = await native.groth16Quotient(c.zkey.coefs, c.zkey.nCoefs, c.witness, c.zkey.domainSize);
      assert.equal(got.byteLength, c.zkey.domainSize * FR_BYTES);
      assertSameBytes(got, ref, `${c.name}: native quotient vs the wasm reference`);
    }
  });

  test('native MSMs and NTTs equal the wasm backend on real zkey points and witnesses', async (t) => {
    const missing = requireOrSkip(native !== null, 'the native engine (npm run build:native)');
    if (missing || !native) {
      t.skip(missing || 'native engine not built');
      return;
    }
    const c = cases[0]!;
    for (const [points, scalars] of [
      [c.zkey.pointsA, c.witness],
      [c.zkey.pointsC, c.witness.subarray((c.zkey.nPublic + 1) * FR_BYTES)],
    ] as const) {
      assertSameBytes(await native.msmG1(points, scalars), await wasm.msmG1(points, scalars), 'msmG1');
    }
    assertSameBytes(await native.msmG2(c.zkey.pointsB2, c.witness), await wasm.msmG2(c.zkey.pointsB2, c.witness), 'msmG2');
    const values = c.witness.subarray(0, 512 * FR_BYTES);
    for (const opts of [{}, { coset: true }, { inverse: true }, { inverse: true, coset: true }]) {
      assertSameBytes(await native.ntt(values, opts), await wasm.ntt(values, opts), `ntt ${JSON.stringify(opts)}`);
    }
  });

  test('the engine selection honours ZKAI_ENGINE and falls back with a reason', async () => {
    const logs: string[] = [];
    const sj = await selectEngine('snarkjs', (m) => logs.push(m));
    assert.equal(sj.name, 'snarkjs');
    assert.equal(sj.kernels, null);
    const wasmEngine = await selectEngine('wasm', (m) => logs.push(m));
    assert.equal(wasmEngine.name, 'wasm');
    const nat = await selectEngine('native', (m) => logs.push(m));
    if (native) {
      assert.equal(nat.name, 'native');
      assert.equal(nat.fallbackReason, undefined);
    } else {
      assert.equal(nat.name, 'snarkjs');
      assert.match(nat.fallbackReason ?? '', /native/);
      assert.match(logs.join('\n'), /falling back to snarkjs/);
    }
    const byDefault = await selectEngine(undefined, (m) => logs.push(m));
    assert.equal(byDefault.name, native ? 'native' : 'snarkjs');
    await assert.rejects(selectEngine('cuda'), (e) => isZkaiError(e) && e.code === 'BAD_INPUT');
  });
});

describe('WarmProver integration', () => {
  test('the warm prover proves with the engine it is given and says which', async () => {
    const fixture = await membershipTestSetup(2);
    const keys = { circuitId: `${fixture.circuit.id}-engine-test`, wasmPath: fixture.circuit.wasmPath, zkeyPath: fixture.zkeyPath };
    const input = await membershipInput([{ recordId: 1n, contributor: 2n, contentHi: 3n, contentLo: 4n, weight: 5n }], 0, 1n, 2);
    const engines = [await selectEngine('wasm'), await selectEngine('snarkjs')];
    if (native) engines.push(await selectEngine('native'));
    for (const engine of engines) {
      const prover = new WarmProver(engine);
      const out = await prover.prove(keys, input);
      assert.equal(out.engine, engine.name);
      assert.equal(prover.isWarm(keys), true);
      assert.equal(await snarkjs.groth16.verify(fixture.vkey, out.publicSignals, out.proof), true, engine.name);
      if (engine.kernels) assert.equal(typeof out.timings.quotientMs, 'number');
      else assert.equal(out.timings.quotientMs, undefined);
      // Two different false statements in a row: each is reported with its own failing line (circom_runtime keeps
      // every failure's message in its instance, so a reused one would name the first failure again).
      const failure = async (over: Record<string, string>) => {
        const err = await prover.prove(keys, { ...input, ...over }).then(
          () => assert.fail('proved a false statement'),
          (e: unknown) => e,
        );
        assert.ok(isZkaiError(err) && err.code === 'WITNESS_FAILED', String(err));
        return /line: \d+/.exec(err.message)?.[0];
      };
      const nullifierLine = await failure({ nullifier: '1' });
      const rootLine = await failure({ root: '1' });
      assert.ok(nullifierLine && rootLine, 'the messages name the failing line');
      assert.notEqual(rootLine, nullifierLine, engine.name);
      assert.equal(await failure({ nullifier: '1' }), nullifierLine);
    }
  });

  test('a circuit given a new zkey (a setup contribution) is loaded again: never proved under the superseded key', async () => {
    const fixture = await membershipTestSetup(2);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-warm-contrib-'));
    try {
      // What `zkai setup contribute` writes: a new, version-numbered zkey of the same circuit, with another δ.
      const next = path.join(dir, 'circuit-2.zkey');
      await contributeZkey(fixture.zkeyPath, next, { name: 'warm test', randomness: { entropy: 'warm' } });
      const nextVkey = await snarkjs.zKey.exportVerificationKey(next);
      const input = await membershipInput([{ recordId: 1n, contributor: 2n, contentHi: 3n, contentLo: 4n, weight: 5n }], 0, 1n, 2);
      const keys = { circuitId: `${fixture.circuit.id}-contrib-test`, wasmPath: fixture.circuit.wasmPath, zkeyPath: fixture.zkeyPath };
      const prover = new WarmProver(await selectEngine('wasm'));
      await prover.prove(keys, input);
      const moved = { ...keys, zkeyPath: next };
      assert.equal(prover.isWarm(moved), false, 'warm for the old zkey only');
      const out = await prover.prove(moved, input);
      assert.equal(await snarkjs.groth16.verify(nextVkey, out.publicSignals, out.proof), true, 'proved under the new key');
      assert.equal(await snarkjs.groth16.verify(fixture.vkey, out.publicSignals, out.proof), false, 'not under the old one');
      assert.equal(prover.isWarm(keys), false, 'the old zkey was dropped');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
