// witnessBin (the fast copy-out of a circom 2 witness) gives exactly circom_runtime's calculateWTNSBin bytes, fails as
// it fails, and falls back to it for a calculator without the exports it reads.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { syntheticCircuitSpec, syntheticInput } from '../circuits/bench/synthetic.ts';
import { type BuiltCircuit, buildCircuit } from '../circuits/build.ts';
import { parseWtns } from './groth16/wtns.ts';
import { type WasmWitnessCalculator, witnessBin } from './witness-bin.ts';

describe('witnessBin', () => {
  let synthetic: BuiltCircuit;
  let requant: BuiltCircuit;
  before(async () => {
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
