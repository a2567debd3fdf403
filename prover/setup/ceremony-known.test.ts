/**
 * docs/setup.md, "Public ceremony files": a file whose blake2b-512 is in the published table is registered as
 * `hermez-final-NN` with trust `known-hash`, without the (hours-long) full verification; a header whose power
 * disagrees with the table is BAD_PTAU. The published files are gigabytes and not available offline, so the table
 * passed here names a small file's hash (the lookup is the code under test; the real table's contents are checked
 * in ceremony.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isZkaiError } from '../../common/errors.ts';
import { blake2bFile, importCeremony, readRegistry } from './ceremony.ts';
import { ensureDevPtau } from './dev-ptau.ts';

let home: string;
const savedHome = process.env.ZKAI_HOME;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'zkai-ceremony-known-'));
  process.env.ZKAI_HOME = home;
});

after(async () => {
  if (savedHome === undefined) delete process.env.ZKAI_HOME;
  else process.env.ZKAI_HOME = savedHome;
  await rm(home, { recursive: true, force: true });
});

test('a power that disagrees with the table is BAD_PTAU, and nothing is registered', async () => {
  const file = (await ensureDevPtau(8)).path;
  const hash = await blake2bFile(file);
  await assert.rejects(
    importCeremony(file, { known: new Map([[hash, 9]]) }),
    (err: unknown) => isZkaiError(err) && err.code === 'BAD_PTAU' && /hermez-final-9 but the header says power 8/.test(err.message),
  );
  assert.deepEqual(await readRegistry(), []);
});

test('a known hash is registered as hermez-final-NN (trust known-hash) without the full verification', async () => {
  const file = (await ensureDevPtau(8)).path;
  const hash = await blake2bFile(file);
  const lines: string[] = [];
  const { ceremony, added } = await importCeremony(file, { known: new Map([[hash, 8]]), log: (m) => lines.push(m) });
  assert.equal(added, true);
  assert.equal(ceremony.trust, 'known-hash');
  assert.equal(ceremony.label, 'hermez-final-08');
  assert.equal(ceremony.blake2b, hash);
  assert.equal(ceremony.power, 8);
  assert.ok(
    lines.some((l) => l.startsWith('known public ceremony: hermez-final-08')),
    lines.join('\n'),
  );
  assert.ok(!lines.some((l) => /powersoftau verify|full verification/.test(l)), 'no full verification ran');
  // A zkai dev file stays marked insecure whatever table names it: the import never launders one.
  assert.equal(ceremony.insecure, true);
  assert.deepEqual(
    (await readRegistry()).map((c) => [c.label, c.trust]),
    [['hermez-final-08', 'known-hash']],
  );
  // The same file again: already registered.
  assert.equal((await importCeremony(file, { known: new Map([[hash, 8]]) })).added, false);
});
