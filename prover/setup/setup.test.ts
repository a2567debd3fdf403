import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildPoseidon } from 'circomlibjs';
import * as snarkjs from 'snarkjs';
import { buildCircuit } from '../../circuits/build.ts';
import { membershipCircuitSpec } from '../../circuits/membership.ts';
import { isZkaiError } from '../../common/errors.ts';
import { sha256File } from '../../common/hash.ts';
import type { DevPtauSidecar } from './dev-ptau.ts';
import { writeDevPtauFile } from './dev-ptau-file.ts';
import { randomScalar } from './fr.ts';
import { DEV_CONTRIBUTION_NAME, ensureCircuitSetup, ensureDevPtau, importPtau, powerFor } from './index.ts';

// Everything this file caches goes to a fresh ZKAI_HOME, so the timings below are real.
let home: string;
const savedHome = process.env.ZKAI_HOME;
const savedPtau = process.env.ZKAI_PTAU;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'zkai-setup-test-'));
  process.env.ZKAI_HOME = home;
  delete process.env.ZKAI_PTAU;
});

after(async () => {
  // snarkjs keeps its curve (with worker threads) in a global; end it so the process can exit.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  if (savedHome === undefined) delete process.env.ZKAI_HOME;
  else process.env.ZKAI_HOME = savedHome;
  if (savedPtau !== undefined) process.env.ZKAI_PTAU = savedPtau;
  await rm(home, { recursive: true, force: true });
});

function logCollector() {
  const lines: string[] = [];
  return { lines, log: (m: string) => lines.push(m) };
}

async function expectCode(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isZkaiError(err), `expected a ZkaiError, got ${err}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('dev ptau: sidecar says insecure, the cache returns the same file without regenerating', async () => {
  const first = logCollector();
  let t = performance.now();
  const info = await ensureDevPtau(10, { log: first.log });
  const generateMs = performance.now() - t;
  assert.equal(info.insecure, true);
  assert.equal(info.source, 'zkai-dev');
  assert.equal(info.power, 10);
  assert.equal(info.path, path.join(home, 'ptau', 'dev-10.ptau'));
  assert.equal(info.sha256, await sha256File(info.path));
  assert.ok(
    first.lines.some((l) => /WARNING/.test(l) && /INSECURE/.test(l)),
    'first use logs the warning',
  );

  const sidecar = JSON.parse(await readFile(path.join(home, 'ptau', 'dev-10.json'), 'utf8')) as DevPtauSidecar;
  assert.equal(sidecar.insecure, true);
  assert.equal(sidecar.source, 'zkai-dev');
  assert.equal(sidecar.power, 10);
  assert.equal(sidecar.sha256, info.sha256);
  assert.match(sidecar.warning, /INSECURE/);
  assert.ok(!Number.isNaN(Date.parse(sidecar.createdAt)));

  const before = await stat(info.path);
  const second = logCollector();
  t = performance.now();
  const again = await ensureDevPtau(10, { log: second.log });
  const cachedMs = performance.now() - t;
  const afterStat = await stat(info.path);
  assert.deepEqual(again, info);
  assert.equal(afterStat.ino, before.ino);
  assert.equal(afterStat.mtimeMs, before.mtimeMs);
  assert.ok(!second.lines.some((l) => /generating/.test(l)), 'second call must not regenerate');
  assert.ok(
    second.lines.some((l) => /WARNING/.test(l)),
    'every use logs the warning',
  );
  console.log(`dev ptau 2^10: generated in ${(generateMs / 1000).toFixed(2)} s, cached call ${cachedMs.toFixed(1)} ms`);
});

test('dev ptau: snarkjs powersoftau verify accepts it (recomputes sections 12–15 from section 2, checks the transcript)', async () => {
  const info = await ensureDevPtau(10);
  const messages: string[] = [];
  const logger = {
    debug() {},
    info: (m: string) => messages.push(m),
    warn: (m: string) => messages.push(m),
    error: (m: string) => messages.push(`ERROR ${m}`),
  };
  const t = performance.now();
  const ok = await snarkjs.powersOfTau.verify(info.path, logger);
  assert.equal(ok, true, messages.join('\n'));
  assert.ok(
    messages.some((m) => m.includes(`Contribution #1: ${DEV_CONTRIBUTION_NAME}`)),
    'the contribution names itself insecure',
  );
  console.log(`snarkjs powersoftau verify 2^10: ${((performance.now() - t) / 1000).toFixed(2)} s`);
});

test('dev ptau: a cached file that no longer matches its recorded sha256 (same size) or size is discarded and regenerated', async () => {
  const first = await ensureDevPtau(3);
  const buf = await readFile(first.path);
  buf[buf.length >> 1]! ^= 0x01; // one flipped bit, same size: a size check alone would miss it
  await writeFile(first.path, buf);
  const { lines, log } = logCollector();
  const second = await ensureDevPtau(3, { log });
  assert.ok(
    lines.some((l) => /WARNING/.test(l) && /does not match/.test(l) && /sha256/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /generating/.test(l)),
    'regenerated',
  );
  assert.notEqual(second.sha256, first.sha256, 'new secrets, new file');
  assert.equal(await sha256File(second.path), second.sha256);
  const sidecar = JSON.parse(await readFile(path.join(home, 'ptau', 'dev-3.json'), 'utf8')) as DevPtauSidecar;
  assert.equal(sidecar.sha256, second.sha256);
  assert.equal(await snarkjs.powersOfTau.verify(second.path), true);

  await truncate(second.path, 1000);
  const truncated = logCollector();
  const third = await ensureDevPtau(3, { log: truncated.log });
  assert.ok(
    truncated.lines.some((l) => /does not match/.test(l) && /size 1000 bytes/.test(l)),
    truncated.lines.join('\n'),
  );
  assert.equal(await sha256File(third.path), third.sha256);
});

test('dev ptau: power out of range is BAD_INPUT', async () => {
  await expectCode(ensureDevPtau(0), 'BAD_INPUT');
  await expectCode(ensureDevPtau(21), 'BAD_INPUT');
  await expectCode(ensureDevPtau(2.5), 'BAD_INPUT');
});

test('dev ptau: concurrent callers end up with one complete file', async () => {
  const [a, b] = await Promise.all([ensureDevPtau(4), ensureDevPtau(4)]);
  assert.equal(a.sha256, b.sha256);
  assert.equal(await sha256File(a.path), a.sha256);
  assert.equal(await snarkjs.powersOfTau.verify(a.path), true);
});

test('powerFor follows snarkjs zkey new: 2^p ≥ constraints + public + 1', () => {
  assert.equal(powerFor(5401, 5), 13);
  assert.equal(powerFor(8186, 5), 13); // 8191 + 1 = 2^13
  assert.equal(powerFor(8187, 5), 14);
  assert.equal(powerFor(1, 0), 1);
  assert.equal(powerFor(0, 0), 1);
  assert.equal(powerFor(3, 0), 2);
  assert.equal(powerFor(4, 0), 3);
});

test('importPtau: rejects a non-ptau file and an unprepared ptau with BAD_PTAU, accepts a prepared one', async () => {
  const junk = path.join(home, 'junk.ptau');
  await writeFile(junk, 'definitely not a powers of tau file');
  await expectCode(importPtau(junk), 'BAD_PTAU', /magic/);
  await expectCode(importPtau(path.join(home, 'missing.ptau')), 'BAD_PTAU');

  const unprepared = path.join(home, 'unprepared.ptau');
  await writeDevPtauFile(unprepared, 3, { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() }, { prepared: false });
  await expectCode(importPtau(unprepared), 'BAD_PTAU', /prepare phase2/);

  const fresh = path.join(home, 'new.ptau');
  await snarkjs.powersOfTau.newAccumulator(await snarkjs.curves.getCurveFromName('bn128'), 2, fresh);
  await expectCode(importPtau(fresh), 'BAD_PTAU', /prepare phase2/);

  const dev = await ensureDevPtau(10);
  const imported = await importPtau(dev.path);
  assert.equal(imported.source, 'user');
  assert.equal(imported.sha256, dev.sha256);
  assert.equal(imported.power, 10);
  assert.equal(imported.insecure, true, 'a zkai dev file stays marked insecure when imported');
});

/** Prove a depth-2 membership statement with snarkjs and check verify accepts it and rejects a redirected payee. */
async function proveAndVerify(circuit: Awaited<ReturnType<typeof buildCircuit>>, zkeyPath: string, vkey: unknown): Promise<number> {
  const poseidon = await buildPoseidon();
  const H = (xs: bigint[]) => poseidon.F.toObject(poseidon(xs)) as bigint;
  const record = { recordId: 7n, contributor: 0x1234567890abcdef1234567890abcdef12345678n, contentHi: 11n, contentLo: 22n, weight: 3n };
  const epoch = 5n;
  const leaf = H([record.recordId, record.contributor, record.contentHi, record.contentLo, record.weight]);
  // Merkle-sum tree (node = Poseidon(lH, lS, rH, rS), sums added). Leaf index 2 = 0b10: bit 0 (leaf level) = 0 →
  // leaf on the left; bit 1 = 1 → node on the right.
  const siblings = [H([101n]), H([202n])];
  const sums = [4n, 9n];
  const node = H([leaf, record.weight, siblings[0]!, sums[0]!]);
  const root = H([siblings[1]!, sums[1]!, node, record.weight + sums[0]!]);
  const total = record.weight + sums[0]! + sums[1]!;
  const input = {
    root,
    total,
    contributor: record.contributor,
    weight: record.weight,
    epoch,
    nullifier: H([leaf, epoch]),
    recordId: record.recordId,
    contentHi: record.contentHi,
    contentLo: record.contentLo,
    pathElements: siblings,
    pathSums: sums,
    pathIndices: [0n, 1n],
  };
  const t = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.wasmPath, zkeyPath);
  const proveMs = performance.now() - t;
  assert.deepEqual(publicSignals, [root, total, record.contributor, record.weight, epoch, input.nullifier].map(String));
  assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
  const redirected = [...publicSignals];
  redirected[2] = (record.contributor + 1n).toString();
  assert.equal(await snarkjs.groth16.verify(vkey, redirected, proof), false);
  return proveMs;
}

test('groth16 setup on the dev ptau of exactly the needed power: snarkjs proves and verifies depth-2 membership', async () => {
  // At the exact power, zkey new takes the H points from the truncated last block of section 12.
  const { lines, log } = logCollector();
  const circuit = await buildCircuit(membershipCircuitSpec(2));
  const power = powerFor(circuit.nConstraints, circuit.nPublic);
  let t = performance.now();
  // Its steps as a compile's job progress hears them (prover/progress.ts SETUP_STEPS), the contribution counted.
  const steps: [string, number?, number?][] = [];
  const onStep = (step: string, done?: number, total?: number) => steps.push(done === undefined ? [step] : [step, done, total]);
  const setup = await ensureCircuitSetup(circuit, { log, onStep });
  const setupMs = performance.now() - t;
  const points = steps.filter((s) => s.length === 3);
  assert.deepEqual(
    steps.filter((s) => s.length === 1).map(([s]) => s),
    ['ptau', 'zkey', 'contribution', 'keys'],
  );
  assert.deepEqual(points[0]?.[1], 0, 'the contribution starts at 0 points');
  assert.ok(points.length >= 3, 'then after each chunk of L and H'); // one chunk each at this size
  assert.ok(
    points.every(([, done, total], i) => total === points[0]![2] && (i === 0 || done! > points[i - 1]![1]!)),
    JSON.stringify(points),
  );
  assert.equal(points.at(-1)![1], points.at(-1)![2], 'ends at all of the points');
  const ptau = await ensureDevPtau(power);
  assert.equal(setup.insecure, true);
  assert.equal(setup.circuitId, circuit.id);
  assert.equal(setup.ptauLabel, ptau.label);
  assert.equal(setup.dir, path.join(circuit.dir, `setup-${ptau.sha256.slice(0, 12)}`));
  assert.ok(
    lines.some((l) => /WARNING/.test(l)),
    'setup on a dev ptau warns',
  );
  assert.match(await readFile(setup.solidityVerifierPath, 'utf8'), /contract Groth16Verifier/);
  const meta = JSON.parse(await readFile(path.join(setup.dir, 'setup.json'), 'utf8'));
  assert.equal(meta.ptau.insecure, true);
  assert.equal(meta.ptau.sha256, ptau.sha256);
  assert.equal(meta.r1csSha256, await sha256File(circuit.r1csPath));
  assert.equal(meta.vkeySha256, setup.vkeyHash);
  assert.equal(meta.zkeySha256, await sha256File(setup.zkeyPath));
  assert.equal(meta.contributions.length, 1);
  // The phase-2 contribution moved δ off the generator (γ stays the generator in snarkjs).
  const vk = setup.vkey as { vk_delta_2: string[][]; vk_gamma_2: string[][] };
  assert.notDeepEqual(vk.vk_delta_2, vk.vk_gamma_2);

  t = performance.now();
  const cachedSteps: string[] = [];
  const cached = await ensureCircuitSetup(circuit, { onStep: (s) => cachedSteps.push(s) });
  const cachedMs = performance.now() - t;
  assert.deepEqual(cachedSteps, ['ptau'], 'a cached setup has no zkey, contribution or keys to make');
  assert.equal(cached.vkeyHash, setup.vkeyHash);
  assert.equal(cached.zkeyPath, setup.zkeyPath);

  const proveMs = await proveAndVerify(circuit, setup.zkeyPath, setup.vkey);
  console.log(
    `depth-2 membership (${circuit.nConstraints} constraints, power ${power}): setup ${(setupMs / 1000).toFixed(2)} s (incl. dev ptau), cached ${cachedMs.toFixed(1)} ms, prove ${(proveMs / 1000).toFixed(2)} s`,
  );
});

test('groth16 setup on a bigger ptau given through ZKAI_PTAU', async () => {
  const circuit = await buildCircuit(membershipCircuitSpec(2));
  const power = powerFor(circuit.nConstraints, circuit.nPublic) + 1;
  const big = await ensureDevPtau(power);
  process.env.ZKAI_PTAU = big.path;
  try {
    const { lines, log } = logCollector();
    const setup = await ensureCircuitSetup(circuit, { log });
    assert.ok(lines.some((l) => l.includes('ZKAI_PTAU')));
    assert.equal(setup.dir, path.join(circuit.dir, `setup-${big.sha256.slice(0, 12)}`));
    assert.equal(setup.insecure, true, 'still a dev file, so still insecure');
    await proveAndVerify(circuit, setup.zkeyPath, setup.vkey);
  } finally {
    delete process.env.ZKAI_PTAU;
  }
});

test('groth16 setup refuses a ptau that is too small', async () => {
  const circuit = await buildCircuit(membershipCircuitSpec(2));
  await expectCode(ensureCircuitSetup(circuit, { ptau: await ensureDevPtau(4) }), 'PTAU_TOO_SMALL');
});
