/**
 * The native engine's batched Poseidon (prover/native/src/poseidon.inc) against the JavaScript reference (circomlibjs):
 * frozen known answers, random and edge-value inputs for both widths a commitment uses, whole commitments (roots, tree
 * files, leaves, paths) of a few thousand records, and tables that are wrong on purpose (the engine must use the
 * constants it is given, every one of them). Fails when the addon is missing unless ZKAI_NATIVE=off.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { BN254_R } from '../../common/bn254.ts';
import type { NativeEngine } from '../../prover/native/api.ts';
import { NATIVE_TESTS, requireNativeEngine } from '../../prover/native/test-native.ts';
import { commitDataset } from './dataset.ts';
import { type DatasetHasher, datasetHasher, jsHasher, LEAF_INPUT_BYTES, nativeHasher, writeLeafNodes, zeroNodeBuffers } from './hasher.ts';
import { KAT_LEAF_1, KAT_RECORDS, KAT_ROOT_D2, KAT_TOTAL, KAT_ZERO_1 } from './kat-vectors.ts';
import { leafFields, leafHash, writeLeafInputs } from './leaf.ts';
import { MerkleSumTree } from './merkle.ts';
import { NODE_BYTES, readField, readNode, writeField, writeNode } from './node.ts';
import { getPoseidon, type PoseidonHasher, poseidonTables } from './poseidon.ts';
import type { DatasetRecord } from './records.ts';

const EDGES = [0n, 1n, 2n, BN254_R - 1n, BN254_R - 2n, (1n << 64n) - 1n, (1n << 128n) - 1n, 1n << 253n];

function randomField(): bigint {
  return BigInt(`0x${randomBytes(32).toString('hex')}`) % BN254_R;
}

function fieldBuffer(values: readonly bigint[]): Buffer {
  const buf = Buffer.alloc(values.length * 32);
  for (const [i, v] of values.entries()) writeField(buf, i * 32, v);
  return buf;
}

function randomRecord(i: number): DatasetRecord {
  return {
    id: `rec-${i}-${randomBytes(3).toString('hex')}`,
    contributor: `0x${randomBytes(20).toString('hex')}`,
    contentHash: `0x${randomBytes(32).toString('hex')}`,
    // Edge weights beside random ones: 1 and 2^64-1 must survive the 16-byte sums.
    weight: i % 97 === 0 ? (1n << 64n) - 1n : i % 89 === 0 ? 1n : BigInt(1 + (randomBytes(4).readUInt32BE() % 1_000_000)),
  };
}

describe('writeLeafNodes', () => {
  it('writes (hash, weight) nodes from word-aligned and unaligned buffers alike', () => {
    const n = 37;
    const hashes = randomBytes(n * 32);
    const inputs = Buffer.alloc(n * LEAF_INPUT_BYTES);
    const records = Array.from({ length: n }, (_, i) => randomRecord(i));
    for (const [k, r] of records.entries()) writeLeafInputs(r, inputs, k * LEAF_INPUT_BYTES);
    const aligned = Buffer.alloc((n + 3) * NODE_BYTES, 0xee);
    writeLeafNodes(hashes, inputs, n, aligned, 3);
    // The same bytes one byte into larger buffers: the word copies cannot be used.
    const shift = (b: Buffer) => Buffer.concat([Buffer.alloc(1), b]).subarray(1);
    const unaligned = shift(Buffer.alloc((n + 3) * NODE_BYTES, 0xee));
    writeLeafNodes(shift(hashes), shift(inputs), n, unaligned, 3);
    assert.deepEqual(unaligned, aligned);
    assert.deepEqual(aligned.subarray(0, 3 * NODE_BYTES), Buffer.alloc(3 * NODE_BYTES, 0xee));
    for (const [k, r] of records.entries())
      assert.deepEqual(readNode(aligned, (3 + k) * NODE_BYTES), { hash: readField(hashes, 32 * k), sum: r.weight });
  });
});

describe('dataset Poseidon: native engine vs the JavaScript reference', NATIVE_TESTS, () => {
  let engine: NativeEngine;
  let poseidon: PoseidonHasher;
  let native: DatasetHasher;
  let js: DatasetHasher;

  before(async () => {
    engine = requireNativeEngine();
    poseidon = await getPoseidon();
    native = await nativeHasher(engine);
    js = jsHasher(poseidon);
  });

  it('gives the frozen known answers: a leaf, the empty subtree, a three-record root', async () => {
    const inputs = Buffer.alloc(LEAF_INPUT_BYTES);
    writeLeafInputs(KAT_RECORDS[0]!, inputs, 0);
    assert.equal(readField(await native.leaves(inputs), 0), KAT_LEAF_1);
    assert.equal(readNode((await zeroNodeBuffers(native, 1))[1]!, 0).hash, KAT_ZERO_1);
    const leaves = KAT_RECORDS.map((r) => ({ hash: leafHash(poseidon, leafFields(r)), sum: r.weight }));
    const tree = await MerkleSumTree.build(poseidon, 2, leaves, undefined, native);
    assert.equal(tree.root, KAT_ROOT_D2);
    assert.equal(tree.total, KAT_TOTAL);
  });

  it('hashes random and edge-value leaf inputs (5 elements) exactly as circomlibjs does', async () => {
    const rows = [...EDGES.map((e) => [e, e, e, e, e]), [0n, BN254_R - 1n, 0n, BN254_R - 1n, 0n]];
    for (let i = 0; i < 200; i++) rows.push(Array.from({ length: 5 }, () => (i % 5 === 0 ? EDGES[i % EDGES.length]! : randomField())));
    const out = await native.leaves(fieldBuffer(rows.flat()));
    for (const [i, row] of rows.entries()) assert.equal(readField(out, i * 32), poseidon.hash(row), `row ${i}`);
  });

  it('hashes every width the engine takes (t = 2..6: 56, 57, 56, 60, 60 partial rounds, grouped by three) as circomlibjs', async () => {
    for (let t = 2; t <= 6; t++) {
      const k = await poseidonTables(t);
      const handle = engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M, k.P);
      const rows = Array.from({ length: 40 }, (_, i) =>
        Array.from({ length: t - 1 }, (_, j) => ((i + j) % 4 === 0 ? EDGES[(i + j) % EDGES.length]! : randomField())),
      );
      const out = await engine.poseidonHash(handle, fieldBuffer(rows.flat()));
      for (const [i, row] of rows.entries()) assert.equal(readField(out, 32 * i), poseidon.hash(row), `t = ${t}, row ${i}`);
    }
  });

  it('hashes random and edge-value tree levels (odd lengths pair with the zero node) as the JavaScript level does', async () => {
    for (const n of [1, 2, 3, 7, 64, 301]) {
      const nodes = Buffer.alloc(n * NODE_BYTES);
      for (let i = 0; i < n; i++) {
        const edge = i % 3 === 0;
        writeNode(nodes, i * NODE_BYTES, {
          hash: edge ? EDGES[i % EDGES.length]! : randomField(),
          sum: edge ? (1n << 96n) - 1n : BigInt(i),
        });
      }
      const zero = Buffer.alloc(NODE_BYTES);
      writeNode(zero, 0, { hash: BN254_R - 1n, sum: 5n });
      assert.deepEqual(await native.level(nodes, zero), await js.level(nodes, zero), `level of ${n}`);
    }
  });

  it('commits a few thousand records to the same root, tree file, leaves and paths with either engine', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-hasher-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const records = Array.from({ length: 3000 }, (_, i) => randomRecord(i));
    const byNative = await commitDataset(records, path.join(dir, 'n.json'), { depth: 12, hashEngine: 'native' });
    const byJs = await commitDataset(records, path.join(dir, 'j.json'), { depth: 12, hashEngine: 'js' });
    assert.equal(byNative.hashEngine, 'native');
    assert.equal(byJs.hashEngine, 'js');
    assert.equal(byNative.manifest.root, byJs.manifest.root);
    assert.equal(byNative.manifest.totalWeight, byJs.manifest.totalWeight);
    assert.deepEqual(await readFile(path.join(dir, 'n.tree.bin')), await readFile(path.join(dir, 'j.tree.bin')));
    for (const i of [0, 1, 1234, 2047, 2048, 2999]) {
      assert.deepEqual(byNative.tree.leaf(i), { hash: leafHash(poseidon, leafFields(records[i]!)), sum: records[i]!.weight });
      assert.deepEqual(byNative.tree.path(i), byJs.tree.path(i));
      assert.deepEqual(MerkleSumTree.rootFromPath(poseidon, byNative.tree.leaf(i), byNative.tree.path(i)), {
        hash: byJs.tree.root,
        sum: byJs.tree.total,
      });
    }
  });

  it('hashes the same with the scalar path (ZKAI_NATIVE_SIMD=off, in a child process) as with the eight-lane one', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-hasher-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    // Blocks of the eight-lane path, then a tail the scalar code hashes (203 and 151 hashes), in both widths.
    const leafRows = fieldBuffer(Array.from({ length: 5 * 203 }, (_, i) => (i % 7 === 0 ? EDGES[i % EDGES.length]! : randomField())));
    const nodes = Buffer.alloc(301 * NODE_BYTES);
    for (let i = 0; i < 301; i++) writeNode(nodes, i * NODE_BYTES, { hash: i % 5 ? randomField() : BN254_R - 1n, sum: BigInt(i) << 60n });
    await writeFile(path.join(dir, 'leaves'), leafRows);
    await writeFile(path.join(dir, 'nodes'), nodes);
    const script = `
      import { readFileSync } from 'node:fs';
      const { loadNativeEngine } = await import(${JSON.stringify(path.join(import.meta.dirname, '../../prover/native/index.ts'))});
      const { nativeHasher } = await import(${JSON.stringify(path.join(import.meta.dirname, 'hasher.ts'))});
      const e = loadNativeEngine();
      const h = await nativeHasher(e);
      const f = (n) => readFileSync(${JSON.stringify(dir)} + '/' + n);
      const hex = (b) => Buffer.from(b).toString('hex');
      process.stdout.write(JSON.stringify([e.version, hex(await h.leaves(f('leaves'))), hex(await h.level(f('nodes'), Buffer.alloc(48)))]));`;
    const child = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ZKAI_NATIVE_SIMD: 'off' },
      encoding: 'utf8',
    });
    const [version, leaves, level] = JSON.parse(child) as string[];
    assert.doesNotMatch(version!, /avx512-ifma(?! off)/, 'the child runs without the eight-lane path');
    assert.equal(leaves, (await native.leaves(leafRows)).toString('hex'));
    assert.equal(level, (await native.level(nodes, Buffer.alloc(NODE_BYTES))).toString('hex'));
  });

  it('uses the constants it is given: one wrong round constant, or one partial round fewer, changes every hash', async () => {
    const k = await poseidonTables(5);
    const inputs = fieldBuffer([1n, 2n, 3n, 4n, 0n, BN254_R - 1n, 7n, 8n]);
    const good = await engine.poseidonHash(engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M, k.P), inputs);
    assert.equal(readField(good, 0), poseidon.hash([1n, 2n, 3n, 4n]));
    assert.equal(readField(good, 32), poseidon.hash([0n, BN254_R - 1n, 7n, 8n]));
    // The sixth partial round's constant, plus one.
    const wrongC = Buffer.from(k.C);
    const at = ((k.nRoundsF / 2 + 1) * k.t + 5) * 32;
    writeField(wrongC, at, (readField(wrongC, at) + 1n) % BN254_R);
    const skipped = {
      // A Poseidon with one partial round fewer: its C and S tables simply lack that round's entries.
      C: Buffer.concat([k.C.subarray(0, (k.nRoundsF / 2 + 1) * k.t * 32), k.C.subarray(((k.nRoundsF / 2 + 1) * k.t + 1) * 32)]),
      S: k.S.subarray((2 * k.t - 1) * 32),
    };
    const variants = [
      engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP, wrongC, k.S, k.M, k.P),
      engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP - 1, skipped.C, skipped.S, k.M, k.P),
    ];
    for (const handle of variants) {
      const bad = await engine.poseidonHash(handle, inputs);
      assert.notEqual(readField(bad, 0), readField(good, 0));
      assert.notEqual(readField(bad, 32), readField(good, 32));
    }
  });

  it('refuses non-canonical elements, malformed tables and wrong widths instead of hashing them', async () => {
    const k = await poseidonTables(6);
    const handle = engine.poseidonParams(k.t, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M, k.P);
    const r = fieldBuffer([1n, 2n, BN254_R, 3n, 4n]);
    await assert.rejects(engine.poseidonHash(handle, r), /input element 2 is not a canonical/);
    // Inside a block of the eight-lane path (rows 0..7 hash together) and in the scalar tail after the blocks.
    const rows = Array.from({ length: 43 }, (_, i) => [BigInt(i), 1n, 2n, 3n, 4n]);
    for (const row of [5, 41]) {
      const bad = fieldBuffer(rows.flatMap((v, i) => (i === row ? [v[0]!, v[1]!, v[2]!, BN254_R + 1n, v[4]!] : v)));
      await assert.rejects(engine.poseidonHash(handle, bad), new RegExp(`input element ${row * 5 + 3} is not a canonical`));
    }
    await assert.rejects(engine.poseidonHash(handle, Buffer.alloc(100)), RangeError);
    await assert.rejects(engine.merkleSumLevel(handle, Buffer.alloc(96), Buffer.alloc(48)), /width-5/);
    const k5 = await poseidonTables(5);
    const h5 = engine.poseidonParams(k5.t, k5.nRoundsF, k5.nRoundsP, k5.C, k5.S, k5.M, k5.P);
    const badNode = Buffer.alloc(96);
    writeField(badNode, 48, BN254_R);
    await assert.rejects(engine.merkleSumLevel(h5, badNode, Buffer.alloc(48)), /node 1 has a hash that is not a canonical/);
    assert.throws(() => engine.poseidonParams(6, k.nRoundsF, k.nRoundsP, k.C.subarray(32), k.S, k.M, k.P), RangeError);
    assert.throws(() => engine.poseidonParams(6, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M.subarray(32), k.P), RangeError);
    assert.throws(() => engine.poseidonParams(7, k.nRoundsF, k.nRoundsP, k.C, k.S, k.M, k.P), RangeError);
    const nonCanonical = Buffer.from(k.C);
    writeField(nonCanonical, 0, BN254_R);
    assert.throws(() => engine.poseidonParams(6, k.nRoundsF, k.nRoundsP, nonCanonical, k.S, k.M, k.P), /not a canonical/);
  });

  it('picks the engine: native by default with the addon, js when asked, and says which', async () => {
    assert.equal((await datasetHasher('auto')).engine, 'native');
    assert.equal((await datasetHasher('js')).engine, 'js');
    const seen = new Set<string>();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-hasher-'));
    try {
      await commitDataset(KAT_RECORDS, path.join(dir, 'd.json'), {
        depth: 2,
        hashEngine: 'auto',
        onProgress: (_p, _d, _t, e) => seen.add(e),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.deepEqual([...seen], ['native']);
  });
});
