import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../../circuits/bench/synthetic.ts';
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { releaseVerifierResources } from '../verify.ts';
import { ensureDevPtau, powerFor } from './index.ts';
import { nativeSetupEngine } from './setup-engine.ts';
import { type ContributionEngine, contributeZkey, ffjavascriptContributionEngine, pickContributionEngine } from './zkey-contribute.ts';
import { newZkey } from './zkey-new.ts';

// A fresh ZKAI_HOME: the dev ptau made here never touches the shared cache.
let home: string;
const saved = { home: process.env.ZKAI_HOME, ptau: process.env.ZKAI_PTAU };
let circuit: BuiltCircuit;
let ptauPath: string;
let zkey0: string;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'zkai-zkey-contribute-test-'));
  process.env.ZKAI_HOME = home;
  delete process.env.ZKAI_PTAU;
  circuit = await buildCircuit(syntheticCircuitSpec(300));
  ptauPath = (await ensureDevPtau(powerFor(circuit.nConstraints, circuit.nPublic))).path;
  zkey0 = path.join(home, 'circuit_0000.zkey');
  await snarkjs.zKey.newZKey(circuit.r1csPath, ptauPath, zkey0);
});

after(async () => {
  await releaseVerifierResources();
  for (const [key, value] of [
    ['ZKAI_HOME', saved.home],
    ['ZKAI_PTAU', saved.ptau],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(home, { recursive: true, force: true });
});

/** Every engine this machine has: the native one when built, ffjavascript always. */
function engines(): ContributionEngine[] {
  return nativeSetupEngine() ? [pickContributionEngine(), ffjavascriptContributionEngine] : [ffjavascriptContributionEngine];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const BEACON = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';

test('a beacon contribution is byte for byte snarkjs zkey beacon, on every engine, after a random contribution too', async () => {
  // Start from a zkey that already has one (random) contribution: the transcript then covers an earlier record.
  const first = path.join(home, 'first.zkey');
  await contributeZkey(zkey0, first, { name: 'alice', randomness: { entropy: 'test entropy' } });
  for (const from of [zkey0, first]) {
    const theirs = path.join(home, 'beacon-snarkjs.zkey');
    const theirHash = await snarkjs.zKey.beacon(from, theirs, 'final beacon', BEACON, 10);
    assert.ok(theirHash instanceof Uint8Array);
    const expected = await readFile(theirs);
    for (const engine of engines()) {
      const ours = path.join(home, `beacon-${engine.name}.zkey`);
      const r = await contributeZkey(from, ours, {
        name: 'final beacon',
        randomness: { beaconHash: Buffer.from(BEACON, 'hex'), numIterationsExp: 10 },
        engine,
      });
      assert.equal(hex(r.hash), hex(theirHash), `${engine.name}: contribution hash`);
      const actual = await readFile(ours);
      assert.equal(actual.length, expected.length, `${engine.name}: size`);
      const firstDiff = actual.findIndex((b, i) => b !== expected[i]);
      assert.equal(firstDiff, -1, `${engine.name}: first differing byte at ${firstDiff}`);
    }
  }
});

test('random contributions on zkai zkey new: snarkjs zkey verify accepts the chain, snarkjs proves and verifies', async () => {
  const ours0 = path.join(home, 'zkai0.zkey');
  const engine = nativeSetupEngine();
  if (engine) await newZkey(circuit.r1csPath, ptauPath, ours0, engine);
  const start = engine ? ours0 : zkey0;
  const one = path.join(home, 'one.zkey');
  const two = path.join(home, 'two.zkey');
  const a = await contributeZkey(start, one, { name: 'zkai phase-2 contribution', randomness: { entropy: '' } });
  const b = await contributeZkey(one, two, { name: 'bob', randomness: { entropy: 'bob types here' } });
  assert.notEqual(hex(a.hash), hex(b.hash));
  const chain: string[] = [];
  const logger = {
    debug() {},
    info: (m: unknown) => {
      const c = /^contribution #(\d+) ?(.*):\n([\s0-9a-f]+)$/s.exec(String(m));
      if (c) chain.push(`${c[2]}:${c[3]!.replace(/\s+/g, '')}`);
    },
    warn() {},
    error() {},
  };
  assert.equal(await snarkjs.zKey.verifyFromR1cs(circuit.r1csPath, ptauPath, two, logger), true, 'snarkjs zkey verify');
  assert.deepEqual(chain.sort(), [`bob:${hex(b.hash)}`, `zkai phase-2 contribution:${hex(a.hash)}`].sort());
  const vkey = await snarkjs.zKey.exportVerificationKey(two);
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(syntheticInput(3), circuit.wasmPath, two);
  assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
});

test('a zkey whose L section was scaled by a wrong secret fails snarkjs zkey verify', async () => {
  const good = path.join(home, 'good.zkey');
  await contributeZkey(zkey0, good, { randomness: { entropy: 'x' } });
  const wrong: ContributionEngine = {
    name: 'wrong',
    g1BatchScale: (points) => ffjavascriptContributionEngine.g1BatchScale(points, new Uint8Array(32).fill(7, 0, 1)),
  };
  const bad = path.join(home, 'bad.zkey');
  await contributeZkey(zkey0, bad, { randomness: { entropy: 'x' }, engine: wrong });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const log = console.log;
  console.log = () => {}; // snarkjs prints its verdict with console.log
  try {
    assert.equal(await snarkjs.zKey.verifyFromR1cs(circuit.r1csPath, ptauPath, bad, quiet), false);
  } finally {
    console.log = log;
  }
});

test('a file that is not a zkey is BAD_INPUT', async () => {
  await assert.rejects(
    contributeZkey(circuit.r1csPath, path.join(home, 'x.zkey'), { randomness: { entropy: '' } }),
    /not a usable zkey .*: magic is "r1cs", expected "zkey"/,
  );
});
