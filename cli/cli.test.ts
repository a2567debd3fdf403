import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
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

  it('commit wrote a manifest with the totals', async () => {
    const m = JSON.parse(await readFile(path.join(dir, 'dataset.json'), 'utf8'));
    assert.equal(m.leafCount, 5);
    assert.equal(m.totalWeight, '150');
    assert.equal(m.depth, 20);
  });

  it('verify accepts the proof (exit 0) and names the contributor and weight', async () => {
    const res = zkai(['verify', proofPath], dir);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    assert.equal(report.valid, true);
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: true });
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    assert.equal(bundle.public.contributor, A(3));
    assert.equal(bundle.public.weight, '30');
    assert.equal(bundle.public.epoch, '2');
  });

  it('verify rejects a bundle with one changed public signal (exit 1)', async () => {
    const bundle = JSON.parse(await readFile(proofPath, 'utf8'));
    bundle.publicSignals[3] = '3'; // epoch 2 → 3
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

  it('prints usage for an unknown command (exit 2)', () => {
    const res = zkai(['frobnicate'], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Usage:/);
  });
});
