import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runZkai } from './run-cli.ts';

const zkai = runZkai;

const A = (n: number) => `0x${String(n).repeat(40).slice(0, 40)}`;
const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describe('zkai CLI: dataset commit → prove → verify', () => {
  let dir: string;
  let proofPath: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-cli-'));
    const rows = ['id,contributor,content_hash,weight', ...[1, 2, 3, 4, 5].map((i) => `r${i},${A(i)},${H(i)},${i * 10}`)];
    await writeFile(path.join(dir, 'records.csv'), `${rows.join('\n')}\n`);
    const commit = zkai(['dataset', 'commit', 'records.csv', '--out', 'dataset.json'], dir);
    assert.equal(commit.code, 0, commit.stderr);
    const prove = zkai(['dataset', 'prove', 'dataset.json', '--record', 'r3', '--epoch', '2', '--out', 'proof.json'], dir);
    assert.equal(prove.code, 0, prove.stderr);
    proofPath = path.join(dir, 'proof.json');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('commit wrote a manifest with the totals', async () => {
    const m = JSON.parse(await readFile(path.join(dir, 'dataset.json'), 'utf8'));
    assert.equal(m.leafCount, 5);
    assert.equal(m.totalWeight, '150');
    assert.equal(m.depth, 20);
  });

  it('commit maps differently named columns with --columns, to the same root; without it, says how', async () => {
    const rows = ['record_id,contributor,content_sha256,weight', ...[1, 2, 3, 4, 5].map((i) => `r${i},${A(i)},${H(i)},${i * 10}`)];
    await writeFile(path.join(dir, 'theirs.csv'), `${rows.join('\n')}\n`);
    const refused = zkai(['dataset', 'commit', 'theirs.csv', '--out', 'theirs.json'], dir);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /\[BAD_DATASET\]: theirs\.csv:1: CSV header has no column for content_hash;.*--columns/);
    const mapped = zkai(
      ['dataset', 'commit', 'theirs.csv', '--out', 'theirs.json', '--columns', 'id=record_id,content_hash=content_sha256', '--json'],
      dir,
    );
    assert.equal(mapped.code, 0, mapped.stderr);
    const ours = JSON.parse(await readFile(path.join(dir, 'dataset.json'), 'utf8'));
    const printed = JSON.parse(mapped.stdout);
    assert.deepEqual(Object.keys(printed).slice(0, 2), ['rootHex', 'root']);
    assert.equal(printed.rootHex, ours.rootHex);
    // --json: progress as one JSON event per line on stderr, for programs driving the CLI.
    const events = mapped.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      events.some((e) => e.event === 'progress' && e.total === e.done && e.total > 0),
      mapped.stderr,
    );
    assert.ok(
      events.some((e) => e.event === 'log' && /committed 5 records/.test(e.message)),
      mapped.stderr,
    );
  });

  it('verify accepts the proof (exit 0) and names the contributor and weight', async () => {
    const res = zkai(['verify', proofPath], dir);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    assert.equal(report.valid, true);
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: true });
    // Pinned by the key this ZKAI_HOME set up for the circuit, and the answer names it.
    assert.deepEqual(
      [report.pinned, report.keys, report.vkeyHash],
      [true, 'local', JSON.parse(await readFile(proofPath, 'utf8')).vkeyHash],
    );
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    assert.equal(bundle.public.contributor, A(3));
    assert.equal(bundle.public.weight, '30');
    assert.equal(bundle.public.epoch, '2');
  });

  it('verify rejects a bundle with one changed public signal (exit 1)', async () => {
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    bundle.publicSignals[4] = '3'; // epoch 2 → 3 (signals: root, total, contributor, weight, epoch, nullifier)
    bundle.public.epoch = '3';
    const tampered = path.join(dir, 'tampered.json');
    await writeFile(tampered, JSON.stringify(bundle));
    const res = zkai(['verify', tampered], dir);
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.equal(JSON.parse(res.stdout).valid, false);
  });

  it('verify refuses a bundle that carries a key other than the one set up here (exit 1)', async () => {
    const { canonicalJson, sha256Hex } = await import('../common/hash.ts');
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    // A self-consistent bundle with a key of someone else's making (here: the generator as delta).
    bundle.vkey.vk_delta_2 = bundle.vkey.vk_gamma_2;
    bundle.vkeyHash = sha256Hex(canonicalJson(bundle.vkey));
    const foreign = path.join(dir, 'foreign-key.json');
    await writeFile(foreign, JSON.stringify(bundle));
    const res = zkai(['verify', foreign], dir);
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.equal(JSON.parse(res.stdout).checks.vkeyHash, false);
  });

  it('a bundle made on the development setup is labelled INSECURE, and verify warns about it', async () => {
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    assert.equal(bundle.metadata.insecureSetup, true);
    assert.match(bundle.metadata.setup, /INSECURE/);
    const res = zkai(['verify', proofPath], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /INSECURE development setup/);
  });

  it("a forgery under the forger's own key: exit 3 (unpinned), 1 against another pinned key, 0 only when pinned", async () => {
    const { forge, forgerKey } = await import('../prover/test-forgery.ts');
    const { randomScalar } = await import('../prover/commitment.ts');
    const kappa = randomScalar();
    const vkey = forgerKey(2, kappa);
    const forged = forge(vkey, kappa, [31337n, 7n]);
    const file = path.join(dir, 'forged.json');
    await writeFile(file, JSON.stringify(forged));
    await writeFile(path.join(dir, 'forger-vkey.json'), JSON.stringify(vkey));
    const unpinned = zkai(['verify', file], dir);
    assert.equal(unpinned.code, 3, unpinned.stdout + unpinned.stderr);
    const report = JSON.parse(unpinned.stdout);
    assert.deepEqual([report.valid, report.pinned, report.reasonCode, report.keys], [false, false, 'KEY_NOT_PINNED', 'none']);
    assert.match(unpinned.stderr, /--vkey/);
    const other = zkai(['verify', file, '--vkey-hash', 'ab'.repeat(32)], dir);
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.equal(JSON.parse(other.stdout).reasonCode, 'VKEY_MISMATCH');
    // Whoever pins the forger's key on purpose gets what they asked for.
    assert.equal(zkai(['verify', file, '--vkey', 'forger-vkey.json'], dir).code, 0);
    assert.equal(zkai(['verify', file, '--vkey-hash', forged.vkeyHash], dir).code, 0);
    await writeFile(path.join(dir, 'model.json'), JSON.stringify({ format: 'zkai-model', version: 1, vkeyHash: forged.vkeyHash }));
    assert.equal(zkai(['verify', file, '--vkey', 'model.json'], dir).code, 0, 'a model manifest pins its vkeyHash');
    assert.equal(zkai(['verify', file, '--vkey', 'forged.json'], dir).code, 2, 'a bundle is not a key');
    assert.equal(zkai(['verify', file, '--vkey-hash', 'abc'], dir).code, 2);
  });

  it('verify rejects a malformed file with a clear message (exit 2)', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"format": "zkai-proof-bundle", "version": 1');
    let res = zkai(['verify', bad], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /BAD_BUNDLE.*not valid JSON/);
    await writeFile(bad, JSON.stringify({ format: 'zkai-proof-bundle', version: 1, kind: 'membership' }));
    res = zkai(['verify', bad], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /BAD_BUNDLE/);
    res = zkai(['verify', path.join(dir, 'missing.json')], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /cannot read/);
  });

  it('prove names an unknown record (exit 2)', () => {
    const res = zkai(['dataset', 'prove', 'dataset.json', '--record', 'nope', '--epoch', '1', '--out', 'x.json'], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /UNKNOWN_RECORD/);
  });

  it('prove --records makes one batch proof (kind membership-batch) that verify accepts; --record with --records is a usage error', async () => {
    const commit = zkai(['dataset', 'commit', 'records.csv', '--out', 'small.json', '--depth', '4'], dir);
    assert.equal(commit.code, 0, commit.stderr);
    const prove = zkai(
      ['dataset', 'prove', 'small.json', '--records', 'r2,r5', '--slots', '2', '--epoch', '3', '--out', 'batch.json'],
      dir,
    );
    assert.equal(prove.code, 0, prove.stderr);
    const bundle = JSON.parse(await readFile(path.join(dir, 'batch.json'), 'utf8'));
    assert.equal(bundle.kind, 'membership-batch');
    // claimant = contributor × 2^64 + weight
    assert.equal(BigInt(bundle.public['claimant[1]']), (BigInt(A(5)) << 64n) + 50n);
    assert.equal(bundle.public.epoch, '3');
    const res = zkai(['verify', 'batch.json'], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).valid, true);
    const both = zkai(['dataset', 'prove', 'small.json', '--record', 'r1', '--records', 'r2', '--epoch', '3', '--out', 'x.json'], dir);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--records/);
  });

  it('prints usage for an unknown command (exit 2)', () => {
    const res = zkai(['frobnicate'], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Usage:/);
  });
});
