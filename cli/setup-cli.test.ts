import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBinSections } from '../circuits/r1cs.ts';
import { REPO_ROOT } from '../common/config.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');

describe('zkai setup: contribute → status → verify (depth-2 membership, own ZKAI_HOME)', () => {
  let home: string;

  function zkai(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, ZKAI_HOME: home };
    delete env.ZKAI_PTAU;
    const res = spawnSync(process.execPath, [BIN, ...args], { cwd: home, encoding: 'utf8', env });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'zkai-setup-cli-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('status before any setup is NOT_FOUND (exit 1) and generates nothing', () => {
    const res = zkai(['setup', 'status', 'membership-d2', '--json']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /NOT_FOUND.*no Groth16 setup/);
  });

  it('import of a garbage file is BAD_PTAU (exit 2)', async () => {
    const bad = path.join(home, 'bad.ptau');
    await writeFile(bad, 'garbage');
    const res = zkai(['setup', 'import', bad]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /BAD_PTAU/);
  });

  it('contribute prints the hash; status --json and verify show the 2-contribution chain', () => {
    const c = zkai(['setup', 'contribute', 'membership-d2', '--name', 'carol', '--entropy', 'dice rolls 3 1 4']);
    assert.equal(c.code, 0, c.stderr);
    const contribution = JSON.parse(c.stdout);
    assert.match(contribution.hash, /^[0-9a-f]{128}$/);
    assert.ok(c.stderr.includes(contribution.hash), 'the hash is printed for the contributor');
    assert.match(c.stderr, /INSECURE/);

    const s = zkai(['setup', 'status', 'membership-d2', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout);
    assert.match(status.circuitId, /^membership-d2-[0-9a-f]+$/);
    assert.equal(status.insecure, true);
    assert.equal(status.ptau.insecure, true);
    assert.equal(status.ptau.power, 11);
    assert.equal(status.version, 2);
    assert.deepEqual(
      status.contributions.map((x: { name: string }) => x.name),
      ['zkai phase-2 contribution (OS CSPRNG entropy)', 'carol'],
    );
    assert.equal(status.contributions[1].hash, contribution.hash);
    assert.equal(status.vkeySha256, contribution.vkeyHash);
    for (const key of ['r1csSha256', 'zkeySha256', 'circuitHash']) assert.equal(typeof status[key], 'string');
    assert.match(status.paths.zkey, /circuit-2\.zkey$/);

    const text = zkai(['setup', 'status', status.circuitId]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ptau .*INSECURE/m);
    assert.match(text.stdout, /^r1cs sha256 +[0-9a-f]{64}$/m);
    assert.match(text.stdout, /^zkey made by (zkai-native|snarkjs)$/m);
    assert.ok(text.stdout.includes(contribution.hash));

    const v = zkai(['setup', 'verify', 'membership-d2']);
    assert.equal(v.code, 0, v.stderr);
    const report = JSON.parse(v.stdout);
    assert.equal(report.valid, true);
    assert.equal(report.contributions.length, 2);
    assert.equal(report.contributions[1].hash, contribution.hash);
    assert.match(v.stderr, /#2 carol: /);
  });

  it('a tampered contribution: setup verify exits 1 and says INVALID', async () => {
    const status = JSON.parse(zkai(['setup', 'status', 'membership-d2', '--json']).stdout);
    const zkeyPath: string = status.paths.zkey;
    const original = await readFile(zkeyPath);
    const tampered = Buffer.from(original);
    const contributions = readBinSections(tampered, 'zkey').get(10)![0]!;
    // Contribution #1's δ after it ← contribution #2's: both valid points, but #1's proof of knowledge no longer matches.
    assert.equal(tampered.readUInt32LE(contributions.start + 64), 2);
    const first = contributions.start + 68;
    const second = first + contributionLength(tampered, first);
    tampered.set(original.subarray(second, second + 64), first);
    assert.ok(!tampered.subarray(first, first + 64).equals(original.subarray(first, first + 64)));
    await writeFile(zkeyPath, tampered);
    try {
      const v = zkai(['setup', 'verify', 'membership-d2']);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stderr, /zkey INVALID/);
      assert.equal(JSON.parse(v.stdout).valid, false);
    } finally {
      await writeFile(zkeyPath, original);
    }
  });

  it('setup dev --power 3 makes the INSECURE dev ptau, then reuses it', () => {
    const first = zkai(['setup', 'dev', '--power', '3']);
    assert.equal(first.code, 0, first.stderr);
    const info = JSON.parse(first.stdout);
    assert.equal(info.power, 3);
    assert.equal(info.insecure, true);
    assert.match(info.sha256, /^[0-9a-f]{64}$/);
    assert.match(first.stderr, /generating development powers of tau 2\^3/);
    assert.match(first.stderr, /WARNING: .*INSECURE/);
    const again = zkai(['setup', 'dev', '--power', '3']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).sha256, info.sha256);
    assert.doesNotMatch(again.stderr, /generating/);
    assert.match(again.stderr, /WARNING: .*INSECURE/, 'every use warns');
    const bad = zkai(['setup', 'dev', '--power', '99']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /BAD_INPUT/);
  });

  it('an unknown circuit id is UNKNOWN_CIRCUIT (exit 2)', () => {
    const res = zkai(['setup', 'status', 'membership-d2-0000']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /UNKNOWN_CIRCUIT/);
  });
});

/**
 * Bytes of one phase-2 contribution in a zkey's section 10, from its start: δ after (G1), the public key
 * (g1_s, g1_sx: G1; g2_spx: G2), the transcript (64), type (u32), then u32 length-prefixed parameters.
 */
function contributionLength(buf: Buffer, start: number): number {
  const fixed = 64 + 64 + 64 + 128 + 64;
  const paramsLength = buf.readUInt32LE(start + fixed + 4);
  return fixed + 8 + paramsLength;
}
