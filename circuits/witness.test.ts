// calculateWitness keeps a few instantiated calculators: concurrent calls each get their own witness, and a failure
// never colours the next one's message (circom_runtime keeps every failure's text in its instance).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuiltCircuit, buildCircuit } from './build.ts';
import { calculateWitness } from './witness.ts';

describe('calculateWitness', () => {
  let dir: string;
  let circuit: BuiltCircuit;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-witness-'));
    // Two checks on two lines, so that two failures can be told apart by their message.
    const source = [
      'pragma circom 2.1.6;',
      'template TwoChecks() {',
      '    signal input a;',
      '    signal input b;',
      '    signal output c;',
      '    a * b === 6;',
      '    a + b === 5;',
      '    c <== a * a;',
      '}',
      '',
    ];
    await writeFile(path.join(dir, 'two-checks.circom'), source.join('\n'));
    circuit = await buildCircuit({
      name: 'witness-two-checks',
      include: path.join(dir, 'two-checks.circom'),
      instance: 'TwoChecks()',
      publicInputs: [],
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each of several concurrent calls its own witness', async () => {
    const inputs = [
      { a: 2, b: 3 },
      { a: 3, b: 2 },
      { a: 2, b: 3 },
      { a: 3, b: 2 },
    ];
    const witnesses = await Promise.all(inputs.map((i) => calculateWitness(circuit.wasmPath, i)));
    for (const [k, w] of witnesses.entries()) assert.equal(w[1], BigInt(inputs[k]!.a) ** 2n, `call ${k}`);
  });

  it('reports each failure with its own line, also after another failure', async () => {
    const line = async (input: Record<string, number>) => {
      const err = await calculateWitness(circuit.wasmPath, input).then(
        () => assert.fail('a witness for a false statement'),
        (e: Error & { code?: string }) => e,
      );
      assert.equal(err.code, 'WITNESS_FAILED');
      return /line: (\d+)/.exec(err.message)?.[1];
    };
    const product = await line({ a: 1, b: 5 }); // a·b ≠ 6
    const sum = await line({ a: 6, b: 1 }); // a·b = 6, a + b ≠ 5
    assert.ok(product && sum);
    assert.notEqual(product, sum);
    assert.equal(await line({ a: 1, b: 5 }), product);
    assert.equal((await calculateWitness(circuit.wasmPath, { a: 2, b: 3 }))[1], 4n);
  });
});
