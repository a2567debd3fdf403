/**
 * The native engine against ffjavascript (the WASM arithmetic snarkjs uses) on the same bytes:
 * MSM in G1/G2 with edge-case scalars and bases, NTT (plain, inverse, coset), fixed-base, sparse combine,
 * batch scale, and input validation. Fails when the addon is missing unless ZKAI_NATIVE=off.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildBn128 } from 'ffjavascript';
import { BN254_R } from '../../common/bn254.ts';
import { seededRandom } from '../../common/test-random.ts';
import type { NativeEngine } from './api.ts';
import { missingCpuFeatures, NATIVE_ADDON_PATH, nativeEngineStatus } from './index.ts';
import { NATIVE_TESTS, requireNativeEngine } from './test-native.ts';

const R = BN254_R;

interface Curve {
  G1: Group;
  G2: Group;
  Fr: {
    w: Uint8Array[];
    one: Uint8Array;
    fft(b: Uint8Array): Promise<Uint8Array>;
    ifft(b: Uint8Array): Promise<Uint8Array>;
    batchApplyKey(b: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
    batchToMontgomery(b: Uint8Array): Promise<Uint8Array>;
    batchFromMontgomery(b: Uint8Array): Promise<Uint8Array>;
  };
  terminate(): Promise<void>;
}
interface Group {
  g: Uint8Array;
  multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
  timesScalar(p: Uint8Array, s: Uint8Array): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  neg(a: Uint8Array): Uint8Array;
  toAffine(p: Uint8Array): Uint8Array;
  toRprLEM(buf: Uint8Array, offset: number, p: Uint8Array): void;
}

/** Deterministic 32-bit words (common/test-random.ts), so failures reproduce. */
const prng = (seed: number): (() => number) => seededRandom(seed).u32;

function scalarBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function randomScalar(next: () => number): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(next());
  return v % R;
}

function scalarsOf(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 32);
  values.forEach((v, i) => {
    out.set(scalarBytes(v), i * 32);
  });
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('native engine', NATIVE_TESTS, () => {
  let engine: NativeEngine;
  let curve: Curve;

  before(async () => {
    engine = requireNativeEngine();
    curve = (await buildBn128(true)) as Curve;
  });
  after(async () => {
    await curve?.terminate();
  });

  /** Affine bytes of an ffjavascript point. */
  function affineBytes(group: Group, p: Uint8Array, size: number): Uint8Array {
    const out = new Uint8Array(size);
    group.toRprLEM(out, 0, group.toAffine(p));
    return out;
  }

  /** n points k_i·G (k_i random), some of them replaced by special cases by the caller. */
  function randomPoints(group: Group, size: number, n: number, seed: number): Uint8Array {
    const next = prng(seed);
    const out = new Uint8Array(n * size);
    for (let i = 0; i < n; i++) out.set(affineBytes(group, group.timesScalar(group.g, scalarBytes(randomScalar(next))), size), i * size);
    return out;
  }

  async function checkMsm(g2: boolean, bases: Uint8Array, scalars: Uint8Array, label: string) {
    const group = g2 ? curve.G2 : curve.G1;
    const size = g2 ? 128 : 64;
    const expected = affineBytes(group, await group.multiExpAffine(bases, scalars), size);
    const got = g2 ? await engine.msmG2(bases, scalars) : await engine.msmG1(bases, scalars);
    assert.equal(hex(got), hex(expected), label);
  }

  test('exposes its version and thread count', () => {
    assert.match(engine.version, /^zkai-native /);
    assert.ok(engine.threads >= 1);
    assert.equal(engine.name, 'native');
    assert.equal(nativeEngineStatus().available, true);
  });

  test('the scalar path (ZKAI_NATIVE_SIMD=off, in a child process) gives the same bytes as this one', async () => {
    const next = prng(23);
    const n = 2053; // not a multiple of 8: vector blocks and scalar tails both run
    const g1 = randomPoints(curve.G1, 64, n, 29);
    const g2 = randomPoints(curve.G2, 128, 300, 31);
    const scalars = scalarsOf(Array.from({ length: n }, () => randomScalar(next)));
    const values = scalarsOf(Array.from({ length: 1024 }, () => randomScalar(next)));
    const dir = mkdtempSync(join(tmpdir(), 'zkai-simd-'));
    try {
      const files = { g1, g2, scalars, values };
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      const script = `
        import { readFileSync } from 'node:fs';
        const { loadNativeEngine } = await import(${JSON.stringify(join(import.meta.dirname, 'index.ts'))});
        const e = loadNativeEngine();
        const f = (n) => new Uint8Array(readFileSync(${JSON.stringify(dir)} + '/' + n));
        const hex = (b) => Buffer.from(b).toString('hex');
        const out = [e.version, hex(await e.msmG1(f('g1'), f('scalars'))), hex(await e.msmG2(f('g2'), f('scalars').subarray(0, 300 * 32))),
          hex(await e.ntt(f('values'), { coset: true })), hex(await e.ntt(f('values'), { inverse: true }))];
        process.stdout.write(JSON.stringify(out));`;
      const child = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, ZKAI_NATIVE_SIMD: 'off' },
        encoding: 'utf8',
      });
      const [version, ...got] = JSON.parse(child) as string[];
      assert.doesNotMatch(version!, /avx512-ifma(?! off)/, 'the child runs without the vector path');
      const here = [
        hex(await engine.msmG1(g1, scalars)),
        hex(await engine.msmG2(g2, scalars.subarray(0, 300 * 32))),
        hex(await engine.ntt(values, { coset: true })),
        hex(await engine.ntt(values, { inverse: true })),
      ];
      assert.deepEqual(got, here);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const g2 of [false, true]) {
    const name = g2 ? 'G2' : 'G1';
    const size = g2 ? 128 : 64;
    test(`${name} MSM equals ffjavascript for n = 0..4097 with edge-case scalars and bases`, async () => {
      const group = g2 ? curve.G2 : curve.G1;
      const pool = randomPoints(group, size, 64, g2 ? 7 : 3);
      const next = prng(g2 ? 11 : 5);
      for (const n of [0, 1, 2, 3, 5, 17, 100, 255, 1000, 4097]) {
        const bases = new Uint8Array(n * size);
        for (let i = 0; i < n; i++) bases.set(pool.subarray((i % 64) * size, (i % 64) * size + size), i * size);
        const values = Array.from({ length: n }, () => randomScalar(next));
        await checkMsm(g2, bases, scalarsOf(values), `random n=${n}`);
        if (n < 5) continue;
        // zero, one, r-1 and small scalars; infinity among the bases; P and -P; repeated points.
        const special = values.map((v, i) => [0n, 1n, R - 1n, 2n, v, v, 3n][i % 7]!);
        const edgeBases = bases.slice();
        edgeBases.fill(0, size, 2 * size); // infinity
        const p = edgeBases.slice(2 * size, 3 * size);
        edgeBases.set(affineBytes(group, group.neg(p), size), 3 * size); // -P beside P
        await checkMsm(g2, edgeBases, scalarsOf(special), `edge n=${n}`);
        await checkMsm(g2, bases, scalarsOf(values.map(() => 0n)), `all-zero n=${n}`);
      }
    });

    test(`${name} MSM with few distinct scalars and repeated points (bucket collisions, doubling, cancellation)`, async () => {
      const group = g2 ? curve.G2 : curve.G1;
      const pool = randomPoints(group, size, 4, 19);
      const negPool = new Uint8Array(4 * size);
      for (let i = 0; i < 4; i++) negPool.set(affineBytes(group, group.neg(pool.subarray(i * size, i * size + size)), size), i * size);
      const n = 5000;
      const next = prng(23);
      const scalarPool = [randomScalar(next), randomScalar(next), 5n, R - 5n];
      const bases = new Uint8Array(n * size);
      const values: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const k = next() % 4;
        bases.set((next() & 1 ? pool : negPool).subarray(k * size, k * size + size), i * size);
        values.push(scalarPool[next() % 4]!);
      }
      await checkMsm(g2, bases, scalarsOf(values), 'collisions');
      // small scalars (witness-like): fewer windows, small buckets
      await checkMsm(g2, bases, scalarsOf(values.map(() => BigInt(next() % 300))), 'scalars < 300');
      await checkMsm(g2, bases, scalarsOf(values.map(() => BigInt(next() % 6))), 'scalars < 6');
      // every point paired with its negation: the sum is infinity
      const paired = new Uint8Array(2 * n * size);
      paired.set(bases, 0);
      for (let i = 0; i < n; i++)
        paired.set(affineBytes(group, group.neg(bases.subarray(i * size, i * size + size)), size), (n + i) * size);
      const got = g2
        ? await engine.msmG2(paired, scalarsOf([...values, ...values]))
        : await engine.msmG1(paired, scalarsOf([...values, ...values]));
      assert.equal(hex(got), hex(new Uint8Array(size)));
    });
  }

  test('G1 MSM at 2^16 equals ffjavascript (bases ignored beyond n)', async () => {
    const n = 1 << 16;
    const next = prng(29);
    const bases = await engine.g1FixedBase(scalarsOf(Array.from({ length: n + 3 }, () => randomScalar(next))));
    // (g1FixedBase is checked against ffjavascript below; here it only makes many distinct points fast)
    for (const i of [0, 12345, n + 2]) {
      assert.ok(bases.subarray(i * 64, i * 64 + 64).some((b) => b !== 0));
    }
    const scalars = scalarsOf(Array.from({ length: n }, (_, i) => (i % 10 === 0 ? BigInt(i % 3) : randomScalar(next))));
    await checkMsm(false, bases.subarray(0, n * 64), scalars, '2^16');
    const got = await engine.msmG1(bases, scalars);
    assert.equal(hex(got), hex(await engine.msmG1(bases.subarray(0, n * 64), scalars)));
  });

  test('NTT, inverse and coset NTT equal ffjavascript for sizes 1..2^12 and 2^16', async () => {
    const next = prng(31);
    const sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 1 << 16];
    for (const n of sizes) {
      const log = Math.log2(n);
      const values = scalarsOf(Array.from({ length: n }, () => randomScalar(next)));
      const mont = await curve.Fr.batchToMontgomery(values);
      const fwd = await curve.Fr.batchFromMontgomery(await curve.Fr.fft(mont));
      const inv = await curve.Fr.batchFromMontgomery(await curve.Fr.ifft(mont));
      const coset = await curve.Fr.batchFromMontgomery(
        await curve.Fr.fft(await curve.Fr.batchApplyKey(mont, curve.Fr.one, curve.Fr.w[log + 1]!)),
      );
      const gotFwd = await engine.ntt(values);
      assert.equal(hex(gotFwd), hex(fwd), `forward n=${n}`);
      assert.equal(hex(await engine.ntt(values, { inverse: true })), hex(inv), `inverse n=${n}`);
      const gotCoset = await engine.ntt(values, { coset: true });
      assert.equal(hex(gotCoset), hex(coset), `coset n=${n}`);
      assert.equal(hex(await engine.ntt(gotFwd, { inverse: true })), hex(values), `round trip n=${n}`);
      assert.equal(hex(await engine.ntt(gotCoset, { inverse: true, coset: true })), hex(values), `coset round trip n=${n}`);
    }
  });

  test('fixed-base multiplication equals ffjavascript in G1 and G2', async () => {
    const next = prng(37);
    const values = [0n, 1n, 2n, R - 1n, ...Array.from({ length: 40 }, () => randomScalar(next))];
    const scalars = scalarsOf(values);
    const g1 = await engine.g1FixedBase(scalars);
    const g2 = await engine.g2FixedBase(scalars);
    values.forEach((v, i) => {
      const s = scalarBytes(v);
      assert.equal(hex(g1.subarray(i * 64, i * 64 + 64)), hex(affineBytes(curve.G1, curve.G1.timesScalar(curve.G1.g, s), 64)), `G1 ${i}`);
      assert.equal(
        hex(g2.subarray(i * 128, i * 128 + 128)),
        hex(affineBytes(curve.G2, curve.G2.timesScalar(curve.G2.g, s), 128)),
        `G2 ${i}`,
      );
    });
    assert.equal((await engine.g1FixedBase(new Uint8Array(0))).length, 0);
  });

  for (const g2 of [false, true]) {
    const name = g2 ? 'G2' : 'G1';
    const size = g2 ? 128 : 64;
    test(`${name} sparse combine equals per-output ffjavascript MSMs`, async () => {
      const group = g2 ? curve.G2 : curve.G1;
      const nPoints = 40;
      const points = randomPoints(group, size, nPoints, g2 ? 41 : 43);
      points.fill(0, 5 * size, 6 * size); // an infinity point
      const next = prng(47);
      const nOutputs = 12;
      const terms: Array<[number, number, bigint]> = [];
      const kinds = (i: number) => [1n, R - 1n, 0n, 7n, R - 3n, BigInt(next() % 1000000), randomScalar(next)][i % 7]!;
      // a few terms on most outputs (output 3 untouched), 100 on output 7 (small-MSM path), 4100 on output 9 (big path)
      for (let i = 0; i < 60; i++) {
        const o = next() % nOutputs;
        if (o !== 3) terms.push([o, next() % nPoints, kinds(i)]);
      }
      for (let i = 0; i < 100; i++) terms.push([7, next() % nPoints, kinds(i)]);
      for (let i = 0; i < 4100; i++) terms.push([9, next() % nPoints, kinds(i)]);
      terms.push([2, 8, 5n], [2, 8, R - 5n]); // cancels within one output
      const buf = new Uint8Array(terms.length * 40);
      const view = new DataView(buf.buffer);
      terms.forEach(([o, p, s], i) => {
        view.setUint32(i * 40, o, true);
        view.setUint32(i * 40 + 4, p, true);
        buf.set(scalarBytes(s), i * 40 + 8);
      });
      const got = g2 ? await engine.g2SparseCombine(points, buf, nOutputs) : await engine.g1SparseCombine(points, buf, nOutputs);
      assert.equal(got.length, nOutputs * size);
      for (let o = 0; o < nOutputs; o++) {
        const mine = terms.filter((t) => t[0] === o);
        const bases = new Uint8Array(mine.length * size);
        mine.forEach((t, i) => {
          bases.set(points.subarray(t[1] * size, t[1] * size + size), i * size);
        });
        const expected = affineBytes(group, await group.multiExpAffine(bases, scalarsOf(mine.map((t) => t[2]))), size);
        assert.equal(hex(got.subarray(o * size, o * size + size)), hex(expected), `output ${o}`);
      }
      assert.equal(hex(got.subarray(3 * size, 4 * size)), hex(new Uint8Array(size)));
    });
  }

  test('G1 batch scale equals ffjavascript', async () => {
    const n = 300;
    const points = randomPoints(curve.G1, 64, n, 53);
    points.fill(0, 0, 64);
    const next = prng(59);
    const specials = [1n, 0n, R - 1n, 3n, (R - 1n) / 2n, (R + 1n) / 2n, 1n << 128n, (1n << 127n) - 1n];
    for (const k of [...Array.from({ length: 6 }, () => randomScalar(next)), ...specials]) {
      const s = scalarBytes(k);
      const got = await engine.g1BatchScale(points, s);
      for (let i = 0; i < n; i += 37) {
        const expected = affineBytes(curve.G1, curve.G1.timesScalar(points.subarray(i * 64, i * 64 + 64), s), 64);
        assert.equal(hex(got.subarray(i * 64, i * 64 + 64)), hex(expected), `point ${i} scalar ${k}`);
      }
    }
  });

  test('rejects malformed input with TypeError/RangeError and keeps working', async () => {
    const one = scalarBytes(1n);
    const g = affineBytes(curve.G1, curve.G1.g, 64);
    await assert.rejects(engine.msmG1('x' as unknown as Uint8Array, one), TypeError);
    await assert.rejects(engine.msmG1(new Float64Array(8) as unknown as Uint8Array, one), TypeError);
    await assert.rejects(engine.msmG1(g, new Uint8Array(33)), /multiple of 32/);
    await assert.rejects(engine.msmG1(new Uint8Array(65), one), RangeError);
    await assert.rejects(engine.msmG1(g, scalarsOf([1n, 2n])), /bases holds 1 points/);
    await assert.rejects(engine.msmG1(g, scalarBytes(R)), /canonical/);
    await assert.rejects(engine.msmG2(new Uint8Array(64), one), RangeError);
    await assert.rejects(engine.ntt(new Uint8Array(96)), /power of two/);
    await assert.rejects(engine.ntt(new Uint8Array(0)), RangeError);
    await assert.rejects(engine.ntt(scalarBytes(R)), /canonical/);
    const coef = new Uint8Array(44);
    new DataView(coef.buffer).setUint32(4, 4, true); // constraint 4 in a domain of 4
    await assert.rejects(engine.groth16Quotient(coef, 1, one, 4), /constraint 4 >= domainSize/);
    await assert.rejects(engine.groth16Quotient(coef, 2, one, 4), /nCoefs needs 88/);
    await assert.rejects(engine.groth16Quotient(coef, 1, one, 3), /power of two/);
    await assert.rejects(engine.groth16Quotient(coef, -1, one, 4), RangeError);
    new DataView(coef.buffer).setUint32(4, 0, true);
    new DataView(coef.buffer).setUint32(8, 1, true); // signal 1 with a 1-value witness
    await assert.rejects(engine.groth16Quotient(coef, 1, one, 4), /signal 1 >= witness length/);
    const term = new Uint8Array(40);
    new DataView(term.buffer).setUint32(0, 1, true);
    await assert.rejects(engine.g1SparseCombine(g, term, 1), /output 1 >= nOutputs/);
    new DataView(term.buffer).setUint32(4, 1, true);
    await assert.rejects(engine.g1SparseCombine(g, term, 2), /point 1 >= number of points/);
    await assert.rejects(engine.g1BatchScale(g, new Uint8Array(31)), /32 bytes/);
    await assert.rejects(engine.g2FixedBase(new Uint8Array(5)), RangeError);
    assert.equal(hex(await engine.msmG1(g, one)), hex(g));
  });

  test('field inversion by safegcd equals Fermat’s on random, small, near-p and edge elements of Fq and Fr', () => {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as { modinvMismatches(count: number, seed: number): number };
    assert.equal(addon.modinvMismatches(20_000, 7), 0);
    assert.equal(addon.modinvMismatches(20_000, 0x5eed), 0);
  });

  test('mapFile: the file’s bytes, copy-on-write; empty files; a missing file or a folder is a coded Error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkai-map-'));
    try {
      const file = join(dir, 'key.bin');
      const bytes = new Uint8Array(3 * 4096 + 17).map((_, i) => (i * 7) & 0xff);
      writeFileSync(file, bytes);
      const mapped = engine.mapFile(file);
      assert.equal(hex(mapped), hex(bytes));
      mapped[5] = (mapped[5]! + 1) & 0xff; // private: the file keeps its byte
      assert.equal(hex(new Uint8Array(readFileSync(file))), hex(bytes));
      writeFileSync(join(dir, 'empty'), '');
      assert.equal(engine.mapFile(join(dir, 'empty')).byteLength, 0);
      assert.throws(
        () => engine.mapFile(join(dir, 'missing')),
        (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && /missing/.test(e.message),
      );
      assert.throws(
        () => engine.mapFile(dir),
        (e: NodeJS.ErrnoException) => e.code === 'EISDIR',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('concurrent calls do not interfere; MSM inputs are read in place and kept alive, NTT inputs are copied', async () => {
    const next = prng(61);
    const n = 1 << 17; // an MSM long enough (~0.1 s) for the collections below to run while it does
    const bases = await engine.g1FixedBase(scalarsOf(Array.from({ length: n }, () => randomScalar(next))));
    const scalars = scalarsOf(Array.from({ length: n }, () => randomScalar(next)));
    const expected = hex(await engine.msmG1(bases, scalars));
    const nttIn = scalars.slice(0, 32 * 1024);
    const nttExpected = hex(await engine.ntt(nttIn.slice()));
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // The MSMs get copies whose only references are the calls': the engine must hold them until the calls settle.
    let settled = false;
    let finalized = 0;
    let finalizedEarly = 0;
    const registry = new FinalizationRegistry<string>(() => {
      finalized++;
      if (!settled) finalizedEarly++;
    });
    const call = () => {
      const b = bases.slice();
      const s = scalars.slice();
      registry.register(b, 'bases');
      registry.register(s, 'scalars');
      return engine.msmG1(b, s);
    };
    const pending = Promise.all([call(), call(), engine.ntt(nttIn)]);
    nttIn.fill(0); // the NTT copied its input
    const collect = async () => {
      gc();
      await new Promise((r) => setTimeout(r, 5)); // finalizers run in a later task
    };
    for (let i = 0; i < 3; i++) await collect();
    const [a, b, t] = await pending;
    settled = true;
    assert.equal(finalizedEarly, 0, 'an input was collected while its MSM ran');
    assert.equal(hex(a as Uint8Array), expected);
    assert.equal(hex(b as Uint8Array), expected);
    assert.equal(hex(t as Uint8Array), nttExpected);
    // And the engine lets them go afterwards (else the check above could not fail).
    for (let i = 0; i < 20 && finalized < 4; i++) await collect();
    assert.equal(finalized, 4);
  });
});

describe('native build and this CPU', () => {
  const cpuinfo = 'processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 avx avx2 bmi2 adx\n';

  test('a build needing an instruction-set extension this CPU lacks is named, other flags are ignored', () => {
    assert.deepEqual(missingCpuFeatures(['fpu', 'sse2', 'avx2', 'adx'], cpuinfo), []);
    assert.deepEqual(missingCpuFeatures(['avx2', 'avx512f', 'avx512ifma', 'bmi2', 'hypervisor', 'constant_tsc'], cpuinfo), [
      'avx512f',
      'avx512ifma',
    ]);
    assert.deepEqual(missingCpuFeatures(['adx'], 'no flags line'), ['adx']);
  });

  test('the build records its CPU, and this CPU has everything it needs', NATIVE_TESTS, () => {
    const record = join(dirname(NATIVE_ADDON_PATH), 'cpu-flags.json');
    assert.ok(existsSync(record), 'build.mjs writes cpu-flags.json beside the addon');
    const { flags } = JSON.parse(readFileSync(record, 'utf8')) as { flags: string[] };
    assert.ok(flags.includes('sse2'), 'the record holds the build CPU flags');
    assert.deepEqual(missingCpuFeatures(flags, readFileSync('/proc/cpuinfo', 'utf8')), []);
  });
});
