/**
 * writeLeafInputs, the batched hashers' record encoding: byte for byte leafFields, and the same refusals as the
 * 0x-hex patterns it replaced on the hot path (a bad digit anywhere, a wrong length or prefix).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ZkaiError } from '../../common/errors.ts';
import { LEAF_INPUT_BYTES } from './hasher.ts';
import { leafFields, writeLeafInputs } from './leaf.ts';
import { readField } from './node.ts';
import type { DatasetRecord } from './records.ts';

const good = (): DatasetRecord => ({
  id: `rec-${randomBytes(4).toString('hex')}`,
  contributor: `0x${randomBytes(20).toString('hex')}`,
  contentHash: `0x${randomBytes(32).toString('hex').toUpperCase()}`,
  weight: (1n << 64n) - 1n,
});

describe('writeLeafInputs', () => {
  it('writes the five elements of leafFields, upper- or lower-case hex alike', () => {
    for (let i = 0; i < 50; i++) {
      const r = good();
      if (i % 2) r.contributor = r.contributor.toUpperCase().replace('0X', '0x');
      const out = Buffer.alloc(LEAF_INPUT_BYTES + 7, 0xff);
      writeLeafInputs(r, out, 7);
      const f = leafFields(r);
      const want = [f.recordId, f.contributor, f.contentHi, f.contentLo, f.weight];
      assert.deepEqual(
        want.map((_, k) => readField(out, 7 + 32 * k)),
        want,
      );
    }
  });

  it('encodes ids of any length and alphabet as leafFields does (ASCII ids hashed in JavaScript, the rest by node:crypto)', () => {
    const ids = ['1', 'a'.repeat(55), 'b'.repeat(56), 'c'.repeat(64), 'd'.repeat(256), 'données-é', 'rec-😀', `${'x'.repeat(60)}\u00ff`];
    for (const id of ids) {
      const r = { ...good(), id };
      const out = Buffer.alloc(LEAF_INPUT_BYTES);
      writeLeafInputs(r, out, 0);
      assert.equal(readField(out, 0), leafFields(r).recordId, JSON.stringify(id));
    }
  });

  it('refuses a non-hex digit at any position, a wrong length and a missing 0x', () => {
    const bad = (r: DatasetRecord) =>
      assert.throws(
        () => writeLeafInputs(r, Buffer.alloc(LEAF_INPUT_BYTES), 0),
        (e) => e instanceof ZkaiError && e.code === 'BAD_DATASET',
      );
    const base = good();
    for (const ch of ['g', ' ', 'é', '\u0130', '/', ':', '@', '`', 'G'])
      bad({ ...base, contributor: `${base.contributor.slice(0, 10)}${ch}${base.contributor.slice(11)}` });
    for (const at of [2, 3, 20, 41]) bad({ ...base, contributor: `${base.contributor.slice(0, at)}g${base.contributor.slice(at + 1)}` });
    for (const at of [2, 33, 34, 35, 65])
      bad({ ...base, contentHash: `${base.contentHash.slice(0, at)}z${base.contentHash.slice(at + 1)}` });
    bad({ ...base, contributor: `${base.contributor}0` });
    bad({ ...base, contributor: base.contributor.slice(0, -1) });
    bad({ ...base, contentHash: base.contentHash.slice(0, -2) });
    bad({ ...base, contributor: `0X${base.contributor.slice(2)}` });
    bad({ ...base, contentHash: `00${base.contentHash.slice(2)}` });
    bad({ ...base, contributor: `0x${' '.repeat(40)}` });
    bad({ ...base, weight: 1n << 64n });
    bad({ ...base, weight: -1n });
  });
});
