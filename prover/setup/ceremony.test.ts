import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildBn128 } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { membershipCircuitSpec } from '../../circuits/membership.ts';
import { binSections } from '../../common/binfile.ts';
import { isZkaiError } from '../../common/errors.ts';
import { membershipInput } from '../test-fixtures.ts';
import {
  contributePhase2,
  ensureCircuitSetup,
  ensureDevPtau,
  HERMEZ_FINAL_BLAKE2B,
  importCeremony,
  pickRegisteredPtau,
  readRegistry,
  setupStatus,
  verifyPhase2,
} from './index.ts';

// A fresh ZKAI_HOME: the registry, dev ptau, circuit and keys of this file never touch the shared cache.
let home: string;
let circuit: BuiltCircuit;
const savedHome = process.env.ZKAI_HOME;
const savedPtau = process.env.ZKAI_PTAU;
const savedGenerator = process.env.ZKAI_ZKEY_GENERATOR;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'zkai-ceremony-test-'));
  process.env.ZKAI_HOME = home;
  delete process.env.ZKAI_PTAU;
  // The keys come from zkai's own zkey generator (native engine, else its ffjavascript path), so the
  // contribution and verify tests below are about our zkey.
  process.env.ZKAI_ZKEY_GENERATOR = 'zkai';
  circuit = await buildCircuit(membershipCircuitSpec(2));
});

after(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  if (savedHome === undefined) delete process.env.ZKAI_HOME;
  else process.env.ZKAI_HOME = savedHome;
  if (savedPtau !== undefined) process.env.ZKAI_PTAU = savedPtau;
  if (savedGenerator === undefined) delete process.env.ZKAI_ZKEY_GENERATOR;
  else process.env.ZKAI_ZKEY_GENERATOR = savedGenerator;
  await rm(home, { recursive: true, force: true });
});

test('the known-ceremony table holds the 21 published Hermez files, blake2b-512 hex', () => {
  assert.equal(HERMEZ_FINAL_BLAKE2B.size, 21);
  assert.deepEqual(
    [...HERMEZ_FINAL_BLAKE2B.values()],
    Array.from({ length: 21 }, (_, i) => i + 8),
  );
  for (const h of HERMEZ_FINAL_BLAKE2B.keys()) assert.match(h, /^[0-9a-f]{128}$/);
});

test('import of a garbage file is BAD_PTAU and registers nothing', async () => {
  const bad = path.join(home, 'garbage.ptau');
  await writeFile(bad, Buffer.from('this is not a powers of tau file at all'));
  await assert.rejects(importCeremony(bad), (err: unknown) => isZkaiError(err) && err.code === 'BAD_PTAU');
  assert.deepEqual(await readRegistry(), []);
});

test('import of a dev ptau: unknown hash → full verification passes → registered, but insecure and never picked', async () => {
  const dev = await ensureDevPtau(11);
  const lines: string[] = [];
  const t = performance.now();
  const { ceremony, added } = await importCeremony(dev.path, { log: (m) => lines.push(m) });
  console.log(`import (full snarkjs verify) of dev 2^11: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  assert.equal(added, true);
  assert.equal(ceremony.trust, 'full-verify');
  assert.equal(ceremony.insecure, true);
  assert.equal(ceremony.power, 11);
  assert.match(ceremony.label, /insecure/);
  assert.ok(existsSync(ceremony.path));
  assert.ok(
    lines.some((l) => /full snarkjs powersoftau verify|full verification passed/.test(l)),
    lines.join('\n'),
  );
  const reg = JSON.parse(await readFile(path.join(home, 'ptau', 'registry.json'), 'utf8'));
  assert.equal(reg.ceremonies.length, 1);
  assert.equal(reg.ceremonies[0].blake2b, ceremony.blake2b);
  assert.equal(await pickRegisteredPtau(11), undefined, 'an insecure ceremony is never the default');
  // Importing the same file again is a no-op.
  assert.equal((await importCeremony(ceremony.path)).added, false);
});

test('two contributions: zkey verify passes with 3 contributions, a new proof verifies with the new vkey, status agrees', async () => {
  const initial = await ensureCircuitSetup(circuit);
  const t = performance.now();
  const c1 = await contributePhase2(circuit, { name: 'alice', entropy: 'alice typed this' });
  const c2 = await contributePhase2(circuit, { name: 'bob' });
  console.log(`two phase-2 contributions (depth-2 membership): ${((performance.now() - t) / 1000).toFixed(1)} s`);
  assert.equal(c1.version, 2);
  assert.equal(c2.version, 3);
  assert.match(c2.hash, /^[0-9a-f]{128}$/);
  assert.notEqual(c2.vkeyHash, initial.vkeyHash);
  assert.ok(existsSync(initial.zkeyPath), 'the old zkey is kept');

  const t2 = performance.now();
  const v = await verifyPhase2(circuit);
  console.log(`setup verify (verifyFromR1cs): ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  assert.equal(v.valid, true, v.errors.join('\n'));
  assert.equal(v.contributions.length, 3);
  assert.deepEqual(
    v.contributions.map((c) => c.name),
    ['zkai phase-2 contribution (OS CSPRNG entropy)', 'alice', 'bob'],
  );
  assert.equal(v.contributions[1]!.hash, c1.hash);
  assert.equal(v.contributions[2]!.hash, c2.hash);
  assert.equal(v.matchesSetupJson, true);

  // ensureCircuitSetup now hands out the contributed keys.
  const current = await ensureCircuitSetup(circuit);
  assert.equal(current.zkeyPath, c2.zkeyPath);
  assert.equal(current.vkeyHash, c2.vkeyHash);

  const A = (n: bigint) => ({ recordId: n, contributor: 0x1000n + n, contentHi: n * 7n, contentLo: n * 11n, weight: n * 10n });
  const input = await membershipInput([A(1n), A(2n), A(3n)], 1, 5n, 2);
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.wasmPath, current.zkeyPath);
  assert.equal(await snarkjs.groth16.verify(current.vkey, publicSignals, proof), true);
  assert.equal(await snarkjs.groth16.verify(initial.vkey, publicSignals, proof), false, 'the old vkey rejects it');

  const s = await setupStatus(circuit);
  assert.equal(s.circuitId, circuit.id);
  assert.equal(s.version, 3);
  assert.equal(s.insecure, true);
  assert.match(s.ptau.label, /INSECURE/);
  assert.equal(s.contributions.length, 3);
  assert.equal(s.vkeySha256, c2.vkeyHash);
  assert.equal(s.paths.zkey, c2.zkeyPath);
  assert.match(s.r1csSha256, /^[0-9a-f]{64}$/);
});

test('a tampered contribution is detected by setup verify (snarkjs zkey verify of our zkey)', async () => {
  const s = await setupStatus(circuit);
  assert.match(s.zkeyGenerator, /^zkai-/, 'the initial zkey is ours');
  const original = await readFile(s.paths.zkey);
  const tampered = Buffer.from(original);
  const contributions = binSections(tampered, 'zkey').get(10)![0]!;
  assert.equal(tampered.readUInt32LE(contributions.start + 64), 3, 'three contributions after the test above');
  // Contribution #1's δ after it: replace it with the generator, a valid point its proof of knowledge does not match.
  const curve = await buildBn128(true);
  const g1 = new Uint8Array(64);
  curve.G1.toRprLEM(g1, 0, curve.G1.g);
  assert.ok(!tampered.subarray(contributions.start + 68, contributions.start + 132).equals(g1));
  tampered.set(g1, contributions.start + 68);
  await writeFile(s.paths.zkey, tampered);
  try {
    const v = await verifyPhase2(circuit);
    assert.equal(v.valid, false, 'the tampered zkey must not verify');
    assert.ok(v.errors.length > 0, 'with a reason');
    console.log(`tampered contribution: ${v.errors.join('; ')}`);
  } finally {
    await writeFile(s.paths.zkey, original);
  }
});

test('import of a truncated ptau or of one with a tampered point is BAD_PTAU with a clear message; nothing is registered', async () => {
  const before = await readRegistry();
  const dev = await ensureDevPtau(4);
  const truncated = path.join(home, 'truncated.ptau');
  await copyFile(dev.path, truncated);
  await truncate(truncated, Math.floor((await readFile(dev.path)).length / 2));
  await assert.rejects(importCeremony(truncated), (err: unknown) => {
    assert.ok(isZkaiError(err) && err.code === 'BAD_PTAU', String(err));
    assert.match(err.message, /runs past the end of the file|truncated/);
    return true;
  });

  // Same size and structure, but one Lagrange point (section 12) is another valid point: only the full verification sees it.
  const wrong = path.join(home, 'wrong.ptau');
  const buf = await readFile(dev.path);
  const sections = binSections(buf, 'ptau');
  const s2 = sections.get(2)![0]!;
  const s12 = sections.get(12)![0]!;
  buf.copy(buf, s12.start + 5 * 64, s2.start + 64, s2.start + 128); // L_? ← τ·G1
  await writeFile(wrong, buf);
  await assert.rejects(importCeremony(wrong), (err: unknown) => {
    assert.ok(isZkaiError(err) && err.code === 'BAD_PTAU', String(err));
    assert.match(err.message, /did not verify|verification failed/);
    return true;
  });
  assert.deepEqual(await readRegistry(), before);
});

test('contribute rejects a name snarkjs would truncate', async () => {
  await assert.rejects(contributePhase2(circuit, { name: 'x'.repeat(65) }), (err: unknown) => isZkaiError(err) && err.code === 'BAD_INPUT');
});

test('a registered secure ceremony is preferred over the dev ptau (smallest that fits), and ZKAI_PTAU still wins', async () => {
  // No real ceremony file can be had offline: register a dev file by hand as if it were trusted, to test the choice.
  const p12 = await ensureDevPtau(12);
  const p13 = await ensureDevPtau(13);
  const entry = (p: typeof p12, label: string) => ({
    label,
    power: p.power,
    blake2b: label,
    sha256: p.sha256,
    path: p.path,
    trust: 'known-hash',
    insecure: false,
    importedAt: new Date().toISOString(),
  });
  const regFile = path.join(home, 'ptau', 'registry.json');
  const saved = await readFile(regFile, 'utf8');
  try {
    await writeFile(regFile, JSON.stringify({ version: 1, ceremonies: [entry(p13, 'fake-13'), entry(p12, 'fake-12')] }));
    assert.equal((await pickRegisteredPtau(11))?.label, 'fake-12');
    assert.equal((await pickRegisteredPtau(13))?.label, 'fake-13');
    assert.equal(await pickRegisteredPtau(14), undefined);
    const lines: string[] = [];
    const s = await ensureCircuitSetup(circuit, { log: (m) => lines.push(m) });
    assert.equal(s.ptauLabel, 'fake-12');
    assert.ok(s.dir.endsWith(`setup-${p12.sha256.slice(0, 12)}`));
    assert.ok(
      lines.some((l) => l.includes('using registered ceremony fake-12')),
      lines.join('\n'),
    );
    process.env.ZKAI_PTAU = (await ensureDevPtau(11)).path;
    assert.match((await ensureCircuitSetup(circuit)).ptauLabel, /INSECURE/);
  } finally {
    delete process.env.ZKAI_PTAU;
    await writeFile(regFile, saved);
  }
});
