// witnessBin (the fast copy-out of a circom 2 witness) gives exactly circom_runtime's calculateWTNSBin bytes, fails as
// it fails, and falls back to it for a calculator without the exports it reads.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { syntheticCircuitSpec, syntheticInput } from '../circuits/bench/synthetic.ts';
import { type BuiltCircuit, buildCircuit } from '../circuits/build.ts';
import { BN254_R } from '../common/bn254.ts';
import { parseWtns } from './groth16/wtns.ts';
import { type WasmWitnessCalculator, witnessBin } from './witness-bin.ts';

describe('witnessBin', () => {
  let synthetic: BuiltCircuit;
  let requant: BuiltCircuit;
  let max4: BuiltCircuit;
  before(async () => {
    max4 = await buildCircuit({ name: 'witness-bin-max', include: 'quant.circom', instance: 'Max(4, 16)', publicInputs: [] });
    synthetic = await buildCircuit(syntheticCircuitSpec(1000));
    requant = await buildCircuit({
      name: 'witness-bin-requant',
      include: 'quant.circom',
      instance: 'Requantize(20, 7, 8)',
      publicInputs: [],
    });
  });

  async function calculator(c: BuiltCircuit): Promise<WasmWitnessCalculator> {
    return (await WitnessCalculatorBuilder(await readFile(c.wasmPath))) as WasmWitnessCalculator;
  }

  it('gives the same bytes as calculateWTNSBin, every wire, over repeated calls on one instance', async () => {
    const calc = await calculator(synthetic);
    for (const seed of [1, 2, 3]) {
      const fast = await witnessBin(calc, syntheticInput(seed));
      const slow = await calc.calculateWTNSBin(syntheticInput(seed), true);
      assert.deepEqual(fast, slow);
      assert.ok(parseWtns(fast).nWitness > 100);
    }
  });

  it('reads negative values (field elements near p) and values of many words the same way', async () => {
    const calc = await calculator(requant);
    for (const v of [-524288n, -1n, 0n, 127n, 524287n]) {
      assert.deepEqual(await witnessBin(calc, { in: v.toString() }), await calc.calculateWTNSBin({ in: v.toString() }, true));
    }
    // Inputs are written straight into the instance (setInputs): bigint, number and string values, a value reduced
    // modulo p, and a value of several words all give circom_runtime's bytes.
    const p = BN254_R;
    for (const v of [-3n, 4096n, p - 7n, p + 9n, -p - 11n, 524287]) {
      const ours = await witnessBin(calc, { in: v });
      assert.deepEqual(ours, await calc.calculateWTNSBin({ in: v.toString() }, true), String(v));
      assert.deepEqual(await witnessBin(calc, { in: String(v) }), ours);
    }
    const vec = await calculator(max4);
    const values = [3n, -2n, 7n, 1n];
    const shifted = { in: values.map((x, i) => (i % 2 ? x + (1n << 200n) * p : Number(x))) };
    assert.deepEqual(await witnessBin(vec, shifted), await vec.calculateWTNSBin({ in: values.map(String) }, true));
    // Nested arrays are flattened in order, as circom_runtime does.
    assert.deepEqual(
      await witnessBin(vec, {
        in: [
          [3, -2],
          [7, 1],
        ],
      }),
      await vec.calculateWTNSBin({ in: values.map(String) }, true),
    );
  });

  it('refuses a wrong number of values for an input, and a missing input, with circom_runtime’s messages', async () => {
    const calc = await calculator(max4);
    await assert.rejects(witnessBin(calc, { in: [1, 2, 3] }), /Not enough values for input signal in/);
    await assert.rejects(witnessBin(calc, { in: [1, 2, 3, 4, 5] }), /Too many values for input signal in/);
    await assert.rejects(witnessBin(calc, {}), /Not all inputs have been set. Only 0 out of 4/);
    assert.deepEqual(await witnessBin(calc, { in: [4, 3, 2, 1] }), await calc.calculateWTNSBin({ in: [4, 3, 2, 1] }, true));
  });

  it('fails as calculateWTNSBin fails: an input outside the range has no witness, a wrong input name is refused', async () => {
    const calc = await calculator(requant);
    await assert.rejects(witnessBin(calc, { in: (1n << 19n).toString() }), /Assert Failed|Error in template/);
    await assert.rejects(witnessBin(calc, { nope: '1' }), /input signal nope|Signal nope not found/);
    // The instance stays usable after a failure.
    assert.deepEqual(await witnessBin(calc, { in: '5' }), await calc.calculateWTNSBin({ in: '5' }, true));
  });

  it("falls back to the calculator's own copy-out when the exports it reads are missing", async () => {
    let called = 0;
    const bytes = new Uint8Array([1, 2, 3]);
    const stub: WasmWitnessCalculator = {
      calculateWTNSBin: async () => {
        called++;
        return bytes;
      },
    };
    assert.equal(await witnessBin(stub, {}), bytes);
    assert.equal(called, 1);
  });
});
