// The iden3 container reader against snarkjs's own (@iden3/binfileutils) on real files of all four kinds — an r1cs
// circom wrote, a witness and a powers of tau snarkjs wrote, a zkey — in memory and from an open file; and every
// malformed variant (cut anywhere, garbage, wrong magic or version, a section past the end) is a typed error.
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as binFileUtils from '@iden3/binfileutils';
import { buildBn128 } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import { membershipInput, membershipTestSetup } from '../prover/test-fixtures.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { type BinFormat, type BinLayout, onlySection, readBinLayout, readBinLayoutFromFile, readBinSections } from './binfile.ts';
import { isZkaiError } from './errors.ts';

let dir: string;
const files: { kind: string; file: string; format: BinFormat; maxVersion: number }[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-binfile-'));
  const fixture = await membershipTestSetup(2);
  const records = [1n, 2n].map((i) => ({ recordId: i, contributor: 9n, contentHi: 1n, contentLo: 2n, weight: i }));
  const wtns = path.join(dir, 'w.wtns');
  await snarkjs.wtns.calculate(await membershipInput(records, 0, 1n, 2), fixture.circuit.wasmPath, wtns);
  const ptau = path.join(dir, 'p.ptau');
  await snarkjs.powersOfTau.newAccumulator(await buildBn128(), 3, ptau);
  files.push(
    { kind: 'r1cs (circom)', file: fixture.circuit.r1csPath, format: { magic: 'r1cs', label: 'r1cs' }, maxVersion: 1 },
    { kind: 'wtns (snarkjs)', file: wtns, format: { magic: 'wtns', label: 'witness' }, maxVersion: 2 },
    { kind: 'zkey', file: fixture.zkeyPath, format: { magic: 'zkey', label: 'zkey' }, maxVersion: 1 },
    { kind: 'ptau (snarkjs)', file: ptau, format: { magic: 'ptau', label: 'ptau', code: 'BAD_PTAU', versions: [1] }, maxVersion: 1 },
  );
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await releaseVerifierResources();
});

/** snarkjs's reading of the same file: type → [{start, size}]. */
async function theirs(file: string, magic: string, maxVersion: number): Promise<Map<number, { start: number; size: number }[]>> {
  const { fd, sections } = (await binFileUtils.readBinFile(file, magic, maxVersion)) as {
    fd: { close(): Promise<void> };
    sections: ({ p: number; size: number }[] | undefined)[];
  };
  await fd.close();
  const out = new Map<number, { start: number; size: number }[]>();
  sections.forEach((list, type) => {
    if (list)
      out.set(
        type,
        list.map(({ p, size }) => ({ start: p, size })),
      );
  });
  return out;
}

function sorted(m: Map<number, unknown>): [number, unknown][] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

async function fromFile(file: string, format: BinFormat): Promise<BinLayout> {
  const fh = await open(file, 'r');
  try {
    return await readBinLayoutFromFile(fh, format);
  } finally {
    await fh.close();
  }
}

/** The error a malformed container gives: a ZkaiError with the format's code and label, or no error. */
function errorOf(bytes: Uint8Array, format: BinFormat): { code: string; message: string } | null {
  try {
    readBinLayout(bytes, format);
    return null;
  } catch (err) {
    assert.ok(isZkaiError(err), `untyped error: ${String(err)}`);
    return { code: err.code, message: err.message };
  }
}

describe('common/binfile', () => {
  it('finds the sections snarkjs finds, in memory and from a file, for r1cs, wtns, zkey and ptau', async () => {
    assert.equal(files.length, 4);
    for (const { kind, file, format, maxVersion } of files) {
      const bytes = new Uint8Array(await readFile(file));
      const mine = readBinLayout(bytes, format);
      assert.deepEqual(sorted(mine.sections), sorted(await theirs(file, format.magic, maxVersion)), kind);
      assert.ok(mine.sections.size >= 2, `${kind}: several sections`);
      assert.equal(mine.fileSize, bytes.byteLength);
      assert.deepEqual(await fromFile(file, format), mine, `${kind}: the file reader agrees`);
      // The bodies are views of the input, not copies.
      const [type, [first]] = [...mine.sections.entries()][0]!;
      const body = readBinSections(bytes, format).get(type)!;
      assert.equal(body.buffer, bytes.buffer);
      assert.equal(body.byteOffset, bytes.byteOffset + first!.start);
      assert.equal(body.byteLength, first!.size);
    }
  });

  it('every cut of a file is a typed error, section boundaries included', async () => {
    for (const { kind, file, format } of files) {
      const bytes = new Uint8Array(await readFile(file));
      const { sections } = readBinLayout(bytes, format);
      // Every byte of the headers and a spread of positions inside bodies.
      const cuts = new Set<number>();
      for (let n = 0; n < Math.min(bytes.byteLength, 200); n++) cuts.add(n);
      for (const s of [...sections.values()].flat())
        for (const at of [s.start - 12, s.start - 1, s.start, s.start + 1, s.start + s.size - 1, s.start + s.size]) cuts.add(at);
      for (const n of cuts) {
        if (n < 0 || n >= bytes.byteLength) continue;
        const err = errorOf(bytes.subarray(0, n), format);
        assert.ok(err, `${kind} cut to ${n} bytes was accepted`);
        assert.equal(err.code, format.code ?? 'BAD_INPUT');
        assert.match(
          err.message,
          new RegExp(`^not a usable ${format.label}: (truncated|\\d+ bytes is too short)`),
          `${kind} @${n}: ${err.message}`,
        );
      }
    }
  });

  it('garbage, another magic, an unsupported version, a huge section size: typed errors that say which', async () => {
    const ptau = files.find((f) => f.format.magic === 'ptau')!;
    const bytes = new Uint8Array(await readFile(ptau.file));
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
    assert.match(errorOf(garbage, ptau.format)!.message, /magic is ".*", expected "ptau"/);
    assert.match(errorOf(bytes, { magic: 'zkey', label: 'zkey' })!.message, /^not a usable zkey: magic is "ptau", expected "zkey"$/);
    const v2 = bytes.slice();
    v2[4] = 2;
    assert.deepEqual(errorOf(v2, ptau.format), { code: 'BAD_PTAU', message: 'not a usable ptau: version 2 is not supported (1)' });
    // A section length of 2^63: no overflow into a small number, no allocation.
    const huge = bytes.slice();
    new DataView(huge.buffer).setBigUint64(16, 1n << 63n, true);
    assert.match(errorOf(huge, ptau.format)!.message, /truncated: section 1 needs 9223372036854775808 bytes at offset 24/);
    const hugeFile = path.join(dir, 'huge.ptau');
    await writeFile(hugeFile, huge);
    await assert.rejects(fromFile(hugeFile, ptau.format), (err: unknown) => isZkaiError(err) && err.code === 'BAD_PTAU');
  });

  it('a repeated or missing section is refused where a format needs exactly one', async () => {
    const header = (n: number) => new Uint8Array([...new TextEncoder().encode('test'), 1, 0, 0, 0, n, 0, 0, 0]);
    const section = (type: number, body: number[]) => new Uint8Array([type, 0, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, ...body]);
    const file = new Uint8Array([...header(3), ...section(1, [1, 2]), ...section(2, []), ...section(1, [3])]);
    const format = { magic: 'test', label: 'test file' };
    const layout = readBinLayout(file, format);
    assert.deepEqual(layout.sections.get(1), [
      { start: 24, size: 2 },
      { start: 50, size: 1 },
    ]);
    assert.deepEqual([...readBinSections(file, format).get(1)!], [1, 2], 'the first of a repeated type, as snarkjs reads it');
    assert.deepEqual(onlySection(layout, 2, format), { start: 38, size: 0 });
    assert.throws(() => onlySection(layout, 1, format), /^ZkaiError: not a usable test file: section 1 appears 2 times$/);
    assert.throws(() => onlySection(layout, 3, format), /section 3 is missing/);
  });
});
