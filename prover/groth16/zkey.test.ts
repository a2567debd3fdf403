/**
 * readZkeyShape (the zkey's shape from its headers alone, which `zkai prove` readies the engine with while it reads
 * the file): equal to what parseZkey reads from the whole file, and null for anything parseZkey would refuse in a way
 * that changes the sizes (wrong magic, truncation, a header whose domain or variable count disagrees with its sections).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { membershipTestSetup } from '../test-fixtures.ts';
import { parseZkey } from './zkey.ts';
import { readZkeyShape } from './zkey-shape.ts';

describe('readZkeyShape', () => {
  let dir: string;
  let zkeyPath: string;
  let bytes: Uint8Array;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zkai-zkey-shape-'));
    zkeyPath = (await membershipTestSetup(2)).zkeyPath;
    bytes = new Uint8Array(readFileSync(zkeyPath));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Section 2's body offset (the header walk of common/binfile.ts, by hand). */
  function section2Start(b: Uint8Array): number {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let pos = 12;
    for (;;) {
      const type = v.getUint32(pos, true);
      const size = Number(v.getBigUint64(pos + 4, true));
      if (type === 2) return pos + 12;
      pos += 12 + size;
    }
  }

  function variant(name: string, edit: (b: Uint8Array) => Uint8Array): string {
    const p = join(dir, name);
    writeFileSync(p, edit(bytes.slice()));
    return p;
  }

  test('equals the parsed key', async () => {
    const parsed = parseZkey(bytes);
    assert.deepEqual(await readZkeyShape(zkeyPath), { domainSize: parsed.domainSize, nVars: parsed.nVars, nCoefs: parsed.nCoefs });
  });

  test('null for a missing file, another magic, a truncated file, or a header that disagrees with its sections', async () => {
    assert.equal(await readZkeyShape(join(dir, 'absent.zkey')), null);
    const magic = variant('magic.zkey', (b) => {
      b[0] = 0x78;
      return b;
    });
    assert.equal(await readZkeyShape(magic), null);
    assert.equal(await readZkeyShape(variant('short.zkey', (b) => b.subarray(0, b.byteLength - 100))), null);
    const h2 = section2Start(bytes);
    const bigDomain = variant('domain.zkey', (b) => {
      new DataView(b.buffer).setUint32(h2 + 80, 1 << 26, true);
      return b;
    });
    assert.equal(await readZkeyShape(bigDomain), null);
    const moreVars = variant('vars.zkey', (b) => {
      const v = new DataView(b.buffer);
      v.setUint32(h2 + 72, v.getUint32(h2 + 72, true) + 1000, true);
      return b;
    });
    assert.equal(await readZkeyShape(moreVars), null);
  });
});
