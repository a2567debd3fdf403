import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { binSections } from '../common/binfile.ts';
import { BN254_R } from '../common/bn254.ts';
import { REPO_ROOT } from '../common/config.ts';
import { type CommitmentKey, createCommitmentKey, g1Json, g2Json, randomScalar, rerandomizeCommitmentKey } from '../prover/commitment.ts';
import { COMMITMENT_KEY_FILE, ensureCommitmentKey, KEY_CREATION_NAME } from '../prover/setup/index.ts';
import { COMMIT_TOY_COMMITTED, commitToySetup } from '../prover/test-fixtures.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { g1 } from '../prover/verify-noble.ts';

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
    const contributions = binSections(tampered, 'zkey').get(10)![0]!;
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

describe("zkai setup verify: κ's history (a circuit with committed inputs, own ZKAI_HOME)", () => {
  let home: string;
  let circuitId: string;
  let keyFile: string;
  let vkey: Record<string, unknown>;
  const saved = { home: process.env.ZKAI_HOME, ptau: process.env.ZKAI_PTAU };

  function zkai(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, ZKAI_HOME: home };
    delete env.ZKAI_PTAU;
    const res = spawnSync(process.execPath, [BIN, ...args], { cwd: home, encoding: 'utf8', env });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'zkai-setup-kappa-'));
    process.env.ZKAI_HOME = home; // the fixture builds and sets up the circuit in this home
    delete process.env.ZKAI_PTAU;
    const { circuit, setup } = await commitToySetup();
    await ensureCommitmentKey(setup, COMMIT_TOY_COMMITTED); // κ's first contribution: the key's creation
    circuitId = circuit.id;
    keyFile = path.join(setup.dir, COMMITMENT_KEY_FILE);
    vkey = setup.vkey;
  });

  after(async () => {
    for (const [k, v] of [['ZKAI_HOME', saved.home] as const, ['ZKAI_PTAU', saved.ptau] as const]) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await releaseVerifierResources(); // the in-process setup started ffjavascript's worker threads
    await rm(home, { recursive: true, force: true });
  });

  it('contribute re-randomises κ and prints its hash; verify checks the history and finds the published hashes', () => {
    const c = zkai(['setup', 'contribute', circuitId, '--name', 'dave']);
    assert.equal(c.code, 0, c.stderr);
    const contribution = JSON.parse(c.stdout);
    assert.equal(contribution.commitmentKey.index, 2);
    assert.match(contribution.commitmentKey.hash, /^[0-9a-f]{64}$/);
    assert.ok(c.stderr.includes(`κ) contribution #2 hash (publish it too):\n  ${contribution.commitmentKey.hash}`));
    const v = zkai(['setup', 'verify', circuitId, '--expect', contribution.hash, '--expect', contribution.commitmentKey.hash]);
    assert.equal(v.code, 0, v.stderr);
    const report = JSON.parse(v.stdout);
    assert.deepEqual([report.valid, report.commitmentKey, report.missingExpected], [true, 'valid', []]);
    assert.deepEqual(
      report.commitmentKeyHistory.map((h: { name: string; zkeyContribution: string }) => [h.name, h.zkeyContribution]),
      [
        [KEY_CREATION_NAME, report.contributions[0].hash],
        ['dave', contribution.hash],
      ],
    );
    assert.ok(v.stderr.includes(`κ #2 dave: ${contribution.commitmentKey.hash}`));
    assert.match(v.stderr, /statement vkey sha256 .*: [0-9a-f]{64}/);
    const status = zkai(['setup', 'status', circuitId, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(
      JSON.parse(status.stdout).commitmentKey.history.map((h: { hash: string }) => h.hash),
      report.commitmentKeyHistory.map((h: { hash: string }) => h.hash),
    );
  });

  /** Runs `setup verify` with `key` written over commitkey.json, then puts the honest key back. */
  async function verifyWith(key: unknown, extra: string[] = []) {
    const original = await readFile(keyFile, 'utf8');
    await writeFile(keyFile, JSON.stringify(key));
    try {
      return zkai(['setup', 'verify', circuitId, ...extra]);
    } finally {
      await writeFile(keyFile, original);
    }
  }

  it("a κ substituted by the last writer (κ′·IC and κ′·G2 consistent, the history kept): exit 1, 'κ was substituted'", async () => {
    const honest = JSON.parse(await readFile(keyFile, 'utf8')) as CommitmentKey;
    const kappa = randomScalar();
    const forged: CommitmentKey = {
      ...honest,
      knowledgeBases: honest.bases.map((p, j) => g1Json(g1(p, `bases[${j}]`).multiply(kappa))),
      kappa_2: g2Json(bn254.G2.Point.BASE.multiply(kappa)),
    };
    const v = await verifyWith(forged);
    assert.equal(v.code, 1, v.stderr);
    assert.match(v.stderr, /zkey INVALID: .*κ·G2 is not the last contribution's κ·G2 \(κ was substituted/);
    assert.deepEqual([JSON.parse(v.stdout).valid, JSON.parse(v.stdout).commitmentKey], [false, 'invalid']);
  });

  it('a forged proof of knowledge in the file, and a key rolled back past a contribution: exit 1 with the reason', async () => {
    const honest = JSON.parse(await readFile(keyFile, 'utf8')) as CommitmentKey;
    const last = honest.history.at(-1)!;
    const z = ((BigInt(last.pok.z) + 1n) % BN254_R).toString();
    const forgedPok = await verifyWith({ ...honest, history: [...honest.history.slice(0, -1), { ...last, pok: { ...last.pok, z } }] });
    assert.equal(forgedPok.code, 1, forgedPok.stderr);
    assert.match(forgedPok.stderr, /contribution #2 \("dave"\): its proof of knowledge of f does not verify/);
    // The key as it was before dave's contribution: valid on its own, but the zkey's last contribution has no κ step.
    const first = await createCommitmentKey(vkey, COMMIT_TOY_COMMITTED, honest.history[0]!);
    const rolledBack = await verifyWith(first);
    assert.equal(rolledBack.code, 1, rolledBack.stderr);
    assert.match(rolledBack.stderr, /the last 1 zkey contribution\(s\) did not re-randomise κ/);
  });

  it('a wholesale rewrite (a whole new history, bound to the same zkey contributions) fails against the published κ hash', async () => {
    const honest = JSON.parse(await readFile(keyFile, 'utf8')) as CommitmentKey;
    // The attacker redoes every step with secrets of its own: locally consistent, like a zkey rebuilt from the r1cs.
    let own = await createCommitmentKey(vkey, COMMIT_TOY_COMMITTED, honest.history[0]!);
    own = await rerandomizeCommitmentKey(own, honest.history[1]!);
    const plain = await verifyWith(own);
    assert.equal(plain.code, 0, 'without a published hash it cannot be told apart (as for δ): hence --expect');
    const published = honest.history[1]!.hash;
    const v = await verifyWith(own, ['--expect', published]);
    assert.equal(v.code, 1, v.stderr);
    assert.ok(v.stderr.includes(`published contribution hash(es) not in the chain: ${published}`));
    assert.deepEqual(JSON.parse(v.stdout).missingExpected, [published]);
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
