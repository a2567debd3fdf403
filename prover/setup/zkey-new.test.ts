import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../../circuits/bench/synthetic.ts';
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { membershipCircuitSpec } from '../../circuits/membership.ts';
import { membershipInput } from '../test-fixtures.ts';
import { releaseVerifierResources } from '../verify.ts';
import { ensureCircuitSetup, ensureDevPtau, powerFor, setupStatus } from './index.ts';
import { ffjavascriptSetupEngine, nativeSetupEngine, type SetupEngine } from './setup-engine.ts';
import { newZkey } from './zkey-new.ts';

// A fresh ZKAI_HOME: dev ptaus and keys made here never touch the shared cache.
let home: string;
const saved = { home: process.env.ZKAI_HOME, ptau: process.env.ZKAI_PTAU, generator: process.env.ZKAI_ZKEY_GENERATOR };

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'zkai-zkey-new-test-'));
  process.env.ZKAI_HOME = home;
  delete process.env.ZKAI_PTAU;
  delete process.env.ZKAI_ZKEY_GENERATOR;
});

after(async () => {
  await releaseVerifierResources();
  for (const [key, value] of [
    ['ZKAI_HOME', saved.home],
    ['ZKAI_PTAU', saved.ptau],
    ['ZKAI_ZKEY_GENERATOR', saved.generator],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(home, { recursive: true, force: true });
});

/** Every engine this machine has: ffjavascript always, the native one when built. */
function engines(): SetupEngine[] {
  const native = nativeSetupEngine();
  return native ? [native, ffjavascriptSetupEngine] : [ffjavascriptSetupEngine];
}

/** Our zkey for (circuit, ptau of `extraPower` above the minimum) must be snarkjs zkey new's, byte for byte. */
async function assertSameAsSnarkjs(circuit: BuiltCircuit, extraPower: number, using = engines()): Promise<void> {
  const power = powerFor(circuit.nConstraints, circuit.nPublic) + extraPower;
  const ptau = await ensureDevPtau(power);
  const theirs = path.join(home, `${circuit.id}-${power}-snarkjs.zkey`);
  let t = performance.now();
  const theirHash = await snarkjs.zKey.newZKey(circuit.r1csPath, ptau.path, theirs);
  const snarkjsMs = performance.now() - t;
  assert.ok(theirHash instanceof Uint8Array);
  const expected = await readFile(theirs);
  for (const engine of using) {
    const ours = path.join(home, `${circuit.id}-${power}-${engine.name}.zkey`);
    t = performance.now();
    const r = await newZkey(circuit.r1csPath, ptau.path, ours, engine);
    const oursMs = performance.now() - t;
    assert.deepEqual(r.csHash, new Uint8Array(theirHash), `${engine.name}: circuit hash`);
    const actual = await readFile(ours);
    assert.equal(actual.length, expected.length, `${engine.name}: size`);
    const firstDiff = actual.findIndex((b, i) => b !== expected[i]);
    assert.equal(firstDiff, -1, `${engine.name}: first differing byte at ${firstDiff}`);
    console.log(
      `${circuit.id} (${circuit.nConstraints} constraints, ptau 2^${power}): zkey new ${engine.name} ${(oursMs / 1000).toFixed(2)} s, snarkjs ${(snarkjsMs / 1000).toFixed(2)} s`,
    );
  }
}

test('zkey new: byte-identical to snarkjs zkey new (depth-2 membership at its exact ptau power)', async () => {
  // The best engine here only: the ffjavascript path is as slow as snarkjs on Poseidon's full-size
  // coefficients, and the synthetic test below checks it too.
  await assertSameAsSnarkjs(await buildCircuit(membershipCircuitSpec(2)), 0, engines().slice(0, 1));
});

test('zkey new: byte-identical to snarkjs zkey new (synthetic circuit, exact power and a bigger ptau)', async () => {
  const circuit = await buildCircuit(syntheticCircuitSpec(300));
  await assertSameAsSnarkjs(circuit, 0);
  await assertSameAsSnarkjs(circuit, 1);
});

test('setup with zkai zkey generation: zkey verify accepts it, snarkjs proves and verifies, status names the generator', async () => {
  process.env.ZKAI_ZKEY_GENERATOR = 'zkai';
  try {
    const circuit = await buildCircuit(membershipCircuitSpec(2));
    const lines: string[] = [];
    const setup = await ensureCircuitSetup(circuit, { log: (m) => lines.push(m) });
    assert.ok(
      lines.some((l) => /zkai zkey generator/.test(l)),
      lines.join('\n'),
    );
    const status = await setupStatus(circuit);
    assert.equal(status.zkeyGenerator, nativeSetupEngine() ? 'zkai-native' : 'zkai-ffjavascript');
    assert.match(status.r1csSha256, /^[0-9a-f]{64}$/);
    const ptau = await ensureDevPtau(powerFor(circuit.nConstraints, circuit.nPublic));
    assert.equal(await snarkjs.zKey.verifyFromR1cs(circuit.r1csPath, ptau.path, setup.zkeyPath), true, 'snarkjs zkey verify');

    const A = (n: bigint) => ({ recordId: n, contributor: 0x1000n + n, contentHi: n * 7n, contentLo: n * 11n, weight: n * 10n });
    const input = await membershipInput([A(1n), A(2n), A(3n)], 2, 9n, 2);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.wasmPath, setup.zkeyPath);
    assert.equal(await snarkjs.groth16.verify(setup.vkey, publicSignals, proof), true);
    const forged = [...publicSignals];
    forged[2] = String(BigInt(forged[2]!) + 1n);
    assert.equal(await snarkjs.groth16.verify(setup.vkey, forged, proof), false, 'a changed public signal is rejected');
  } finally {
    delete process.env.ZKAI_ZKEY_GENERATOR;
  }
});

test('setup with zkai zkey generation proves the synthetic circuit', async () => {
  process.env.ZKAI_ZKEY_GENERATOR = 'zkai';
  try {
    const circuit = await buildCircuit(syntheticCircuitSpec(300));
    const setup = await ensureCircuitSetup(circuit);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(syntheticInput(2), circuit.wasmPath, setup.zkeyPath);
    assert.equal(await snarkjs.groth16.verify(setup.vkey, publicSignals, proof), true);
  } finally {
    delete process.env.ZKAI_ZKEY_GENERATOR;
  }
});

test('ZKAI_ZKEY_GENERATOR must name a generator', async () => {
  process.env.ZKAI_ZKEY_GENERATOR = 'fast';
  try {
    const circuit = await buildCircuit(syntheticCircuitSpec(200));
    await assert.rejects(ensureCircuitSetup(circuit), /ZKAI_ZKEY_GENERATOR/);
  } finally {
    delete process.env.ZKAI_ZKEY_GENERATOR;
  }
});
