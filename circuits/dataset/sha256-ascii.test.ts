import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sha256AsciiInto } from './sha256-ascii.ts';

const reference = (s: string) => createHash('sha256').update(s, 'utf8').digest();

describe('sha256AsciiInto', () => {
  it('equals node:crypto for ASCII strings of 0..300 characters (every padding case: 55, 56, 63, 64 and 119, 120)', () => {
    for (let n = 0; n <= 300; n++) {
      const s = Array.from({ length: n }, () => String.fromCharCode(randomBytes(1)[0]! & 0x7f)).join('');
      const out = Buffer.alloc(40, 0xee);
      assert.equal(sha256AsciiInto(s, out, 3, 32), true);
      assert.deepEqual(out.subarray(3, 35), reference(s), `length ${n}`);
      assert.deepEqual([...out.subarray(0, 3), ...out.subarray(35)], Array(8).fill(0xee), 'nothing outside pos..pos+take');
    }
  });

  it('writes only the first `take` bytes, and refuses (writing nothing) a string with a character above 0x7f', () => {
    const out = Buffer.alloc(32);
    assert.equal(sha256AsciiInto('rec-1', out, 1, 31), true);
    assert.deepEqual(out.subarray(1), reference('rec-1').subarray(0, 31));
    assert.equal(out[0], 0);
    for (const s of ['é', 'rec-\u0080', 'rec-😀', `${'a'.repeat(70)}\u00ff`]) {
      const untouched = Buffer.alloc(32);
      assert.equal(sha256AsciiInto(s, untouched, 0, 32), false);
      assert.deepEqual(untouched, Buffer.alloc(32));
    }
  });
});
