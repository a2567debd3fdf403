import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { forgeRequantize, forgerBits, seededRandom, witnessWriter } from '../../common/test-random.ts';
import { type R1cs, readR1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { calculateWitness, readSymbols } from '../witness.ts';
import { buildModelCircuit, type ModelCircuit, modelCircuitInput } from './codegen.ts';
import { inputHash, weightCommitment, weightElements } from './commit.ts';
import { importOnnx } from './import.ts';
import { linearAccumulators, quantizeInput, runInt } from './int-exec.ts';
import { fromField, toField } from './int-reference.ts';
import { insertNode, MODEL_INPUT, type ModelIR } from './ir.ts';
import { evaluateAgreement, lastLinearIndex, type QDense, type QuantizedModel, quantizeModel } from './quantize.ts';

// Both fixtures compile fast enough with circom2 to test both in every variant: public constants ~1-2 s
// (MLP 1618 constraints, CNN 8262), private committed weights + hashed input ~10-20 s (11313 / 12161).
// Calibration uses CSV rows 0..99; "held-out" circuit checks use rows 100..119, which calibration never saw.

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number))
  .map((r) => ({ input: r.slice(0, 64), label: r[64]! }));

const { u32: rand32 } = seededRandom(0x6d6f646c);
const bitsFor = forgerBits;

interface Fixture {
  ir: ModelIR;
  qm: QuantizedModel;
  model: ModelCircuit;
  r1cs: R1cs;
  sym: Map<string, number>;
}

/**
 * For every input: the circuit's logits and label (public outputs from witness index `first`: 1 unless
 * commitments come before them) equal the integer executor's, and the witness satisfies the R1CS.
 */
async function assertAgreesWithIntExec(
  qm: QuantizedModel,
  model: ModelCircuit,
  opts: Parameters<typeof modelCircuitInput>[2],
  inputs: bigint[][],
  first = 1,
): Promise<bigint[][]> {
  const r1cs = await readR1cs(model.circuit.r1csPath);
  const witnesses: bigint[][] = [];
  for (const input of inputs) {
    const ref = runInt(qm, input);
    const w = await calculateWitness(model.circuit.wasmPath, modelCircuitInput(qm, input, opts));
    assert.deepEqual(w.slice(first, first + 10).map(fromField), ref.logits);
    assert.equal(w[first + 10], BigInt(ref.label));
    assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    witnesses.push(w);
  }
  return witnesses;
}

const CONFIGS = [
  { name: 'mlp', weights: 'public-constants', input: 'public' },
  { name: 'cnn', weights: 'public-constants', input: 'public' },
  { name: 'mlp', weights: 'private-committed', input: 'private-hashed' },
  { name: 'cnn', weights: 'private-committed', input: 'private-hashed' },
] as const;

for (const { name, weights, input: inputMode } of CONFIGS) {
  const priv = weights === 'private-committed';
  const opts = { name: `${name}-digits${priv ? '-committed' : ''}`, weights, input: inputMode } as const;
  describe(`${name} model circuit (weights ${weights}, input ${inputMode})`, () => {
    const f = {} as Fixture;

    before(async () => {
      f.ir = importOnnx(path.join(FIXTURES, `${name}_digits.onnx`));
      f.qm = quantizeModel(
        f.ir,
        rows.slice(0, 100).map((r) => r.input),
      );
      f.model = await buildModelCircuit(f.qm, opts);
      f.r1cs = await readR1cs(f.model.circuit.r1csPath);
      f.sym = await readSymbols(f.model.circuit.symPath);
      const { generated, circuit } = f.model;
      const table = generated.layerCosts.map((c) => `${c.kind.padEnd(10)} ${c.layer.padEnd(18)} ${String(c.constraints).padStart(6)}`);
      console.log(
        `${opts.name}: ${circuit.nConstraints} constraints (${circuit.compileSeconds}s compile when built)\n  ${table.join('\n  ')}\n  total ${generated.totalConstraints}`,
      );
    });

    const nOut = () => f.qm.layers.at(-1)!.outShape.reduce((a, b) => a * b, 1);
    const wire = (signal: string) => f.sym.get(`main.${signal}`);

    // Agreement depends on the quantized model only, not on the circuit variant: measured once per model.
    if (!priv)
      it('quantized argmax agrees with float on >= 98% of the 200 CSV rows (measured: 100%)', () => {
        const all = evaluateAgreement(f.ir, f.qm, rows);
        const heldOut = evaluateAgreement(f.ir, f.qm, rows.slice(100));
        console.log(`${name} agreement: all 200 rows ${JSON.stringify(all)}; rows 100..199 ${JSON.stringify(heldOut)}`);
        assert.ok(all.agreement >= 0.98, `agreement ${all.agreement}`);
        assert.ok(heldOut.agreement >= 0.98, `held-out agreement ${heldOut.agreement}`);
        assert.ok(all.quantAccuracy! >= all.floatAccuracy! - 0.01, `quantized accuracy ${all.quantAccuracy} vs float ${all.floatAccuracy}`);
      });

    it('has exactly the constraints the gadget cost formulas predict (hidden ReLU fused into its Requantize)', () => {
      assert.equal(f.model.circuit.nConstraints, f.model.generated.totalConstraints);
      // Both fixtures have one dense/conv → ReLU pair: codegen must emit the fused gadget and no standalone ReLU.
      // One layer template (ops/linear-emit.ts) instantiates the fused gadget in a loop, one per ReLU element.
      const fused = /template Layer(\d+)\(\) \{[^}]*?component rq\[(\d+)\];[\s\S]*?= RequantizeRelu\(/.exec(f.model.generated.source);
      assert.equal(f.model.generated.source.match(/= RequantizeRelu\(/g)?.length, 1);
      assert.equal(
        Number(fused?.[2]),
        f.qm.layers.find((l) => l.kind === 'relu')!.outShape.reduce((a, b) => a * b, 1),
      );
      assert.doesNotMatch(f.model.generated.source, /= ReLU\(/);
      assert.deepEqual(
        f.model.generated.layerCosts.filter((c) => c.kind.startsWith('relu')).map((c) => c.kind),
        ['relu (fused)'],
      );
      assert.equal(f.model.circuit.nPublic, f.model.generated.publicSignals.length);
    });

    it('outputs equal the integer executor bit for bit, and the honest witness satisfies the R1CS', async () => {
      const weightsHash = priv ? await weightCommitment(f.qm) : 0n;
      // Fewer cases for the (slower) committed variants.
      const inputs: bigint[][] = rows.slice(100, priv ? 105 : 120).map((r) => quantizeInput(f.qm, r.input));
      // Random inputs over the whole signed input range drive the saturating paths too.
      for (let i = 0; i < (priv ? 3 : 10); i++) inputs.push(Array.from({ length: 64 }, () => BigInt((rand32() % 256) - 128)));
      const m = nOut();
      for (const [k, input] of inputs.entries()) {
        const ref = runInt(f.qm, input);
        const w = await calculateWitness(f.model.circuit.wasmPath, modelCircuitInput(f.qm, input, opts));
        // Public signals occupy wires 1.. in the order codegen reports: [weightsHash?, inputHash?, logits, label, in?, binding].
        const names = f.model.generated.publicSignals;
        const pub = w.slice(1, 1 + names.length);
        const at = (name: string) => pub[names.indexOf(name)]!;
        assert.deepEqual(
          ref.logits.map((_, i) => fromField(at(`logits[${i}]`))),
          ref.logits,
          `input ${k}: logits`,
        );
        assert.equal(at('label'), BigInt(ref.label), `input ${k}: label`);
        if (priv) {
          assert.deepEqual(names.slice(0, 2), ['weightsHash', 'inputHash'], 'commitments lead the public signals');
          assert.equal(at('weightsHash'), weightsHash, `input ${k}: weight commitment`);
          assert.equal(at('inputHash'), await inputHash(f.qm, input), `input ${k}: input hash`);
          assert.equal(pub.length, m + 4);
        } else {
          assert.deepEqual(pub.slice(m + 1, -1).map(fromField), input, `input ${k}: echoed input`);
        }
        // The binding (issue 13) is the last public signal: 0 unless the prover sets it (modelCircuitInput's default).
        assert.equal(names.at(-1), 'binding');
        assert.equal(pub.at(-1), 0n);
        for (let i = 0; i < m; i++) assert.equal(fromField(w[wire(`logits[${i}]`)!]!), ref.logits[i]);
        assert.deepEqual(unsatisfiedConstraints(f.r1cs, w), [], `input ${k}: honest witness`);
      }
    });

    it('constrains the binding: it is a proven public input, not one the optimiser dropped', async () => {
      const input = quantizeInput(f.qm, rows[100]!.input);
      const owner = 0xdeadbeefn;
      const w = await calculateWitness(f.model.circuit.wasmPath, modelCircuitInput(f.qm, input, { ...opts, binding: owner }));
      const at = wire('binding')!;
      assert.equal(at, 1 + f.model.generated.publicSignals.indexOf('binding'));
      assert.equal(w[at], owner);
      assert.deepEqual(unsatisfiedConstraints(f.r1cs, w), []);
      // Another binding with everything else unchanged (bindingSquare too) breaks the square constraint.
      const forged = [...w];
      forged[at] = owner + 1n;
      assert.equal(unsatisfiedConstraints(f.r1cs, forged).length, 1);
      assert.throws(() => modelCircuitInput(f.qm, input, { ...opts, binding: 1n << 160n }), /not a 160-bit address/);
    });

    it('has no witness for an input outside the signed input range (and int-exec rejects it too)', async () => {
      const input = Array<bigint>(64).fill(0n);
      input[5] = 128n;
      assert.throws(() => runInt(f.qm, input), { code: 'BAD_INPUT' });
      await assert.rejects(calculateWitness(f.model.circuit.wasmPath, modelCircuitInput(f.qm, input, opts)), { code: 'WITNESS_FAILED' });
    });

    // Only the committed variants have private weights to commit to.
    if (priv)
      it('commits to the weights: changing one private weight changes the public weightsHash', async () => {
        const input = quantizeInput(f.qm, rows[101]!.input);
        const honest = modelCircuitInput(f.qm, input, opts);
        const li = lastLinearIndex(f.qm.layers);
        // p<li>[0] packs the first input's weights of a group of channels: +1 raises channel 0's weight by one.
        const other = { ...honest, [`p${li}`]: (honest[`p${li}`] as bigint[]).map((v, i) => (i === 0 ? toField(v + 1n) : v)) };
        const wire = 1 + f.model.generated.publicSignals.indexOf('weightsHash');
        const [a, b] = [await calculateWitness(f.model.circuit.wasmPath, honest), await calculateWitness(f.model.circuit.wasmPath, other)];
        assert.equal(a[wire], await weightCommitment(f.qm));
        assert.notEqual(b[wire], a[wire]);
        assert.deepEqual(unsatisfiedConstraints(f.r1cs, b), [], 'other weights have a valid witness, just a different commitment');
      });

    it('rejects a forged witness that raises a logit by one with consistent Requantize helpers', async () => {
      const li = lastLinearIndex(f.qm.layers);
      const last = f.qm.layers[li] as QDense;
      const input = quantizeInput(f.qm, rows[100]!.input);
      const ref = runInt(f.qm, input);
      // A losing logit at least 2 below the max, so the forged one still loses and ArgMax's checks stay consistent.
      const max = ref.logits[ref.label]!;
      const j = ref.logits.findIndex((v, i) => i !== ref.label && max - v >= 2);
      assert.ok(j >= 0);
      const w = await calculateWitness(f.model.circuit.wasmPath, modelCircuitInput(f.qm, input, opts));
      assert.deepEqual(unsatisfiedConstraints(f.r1cs, w), []);

      const s = last.shift[j]!;
      const yBits = last.accBits - s;
      // The layer's own template (ops/linear-emit.ts) holds its Requantize gadgets.
      const rq = `layer${li}.rq[${j}]`;
      // The accumulator of logit j (what the linear combination feeds Requantize), from the integer executor.
      const layerIn = li === 0 ? input : ref.trace[li - 1]!;
      const acc = linearAccumulators(last, layerIn)[j]!;
      assert.equal(acc >> BigInt(s), ref.logits[j], 'final layer is a plain floor shift');
      // in = y·2^s + r stays true with y' = y + 1 and r' = r - 2^s < 0: only r's range check can catch it.
      const forgedY = ref.logits[j]! + 1n;
      const { set, kept } = witnessWriter(w, wire, toField);
      forgeRequantize(set, rq, forgedY, acc - forgedY * (1n << BigInt(s)), s, yBits);
      set(`x${li}[${j}]`, forgedY);
      set(`layer${li}.y[${j}]`, forgedY);
      set(`logits[${j}]`, forgedY);
      set(`argmax.in[${j}]`, forgedY);
      // ArgMax: j is not the winner, so its check is max - in[j] - (1 - seen) with seen = (j > label).
      const diff = max - forgedY - (j > ref.label ? 0n : 1n);
      set(`argmax.ge[${j}].in`, diff);
      set(`argmax.ge[${j}].bits.in`, diff);
      for (const [i, bit] of bitsFor(diff, f.qm.outputBits).entries()) set(`argmax.ge[${j}].bits.bits[${i}]`, bit);
      assert.ok(kept() >= 5, `forged signals not found (${kept()} kept): naming changed?`);
      assert.equal(fromField(w[1 + f.model.generated.publicSignals.indexOf(`logits[${j}]`)]!), forgedY, 'the public logit is forged');
      const bad = unsatisfiedConstraints(f.r1cs, w);
      assert.equal(bad.length, 1, `exactly the remainder's range check fails (got ${bad.length})`);
    });
  });
}

describe('quantizer and circuit paths the fixtures do not reach', () => {
  it('folds an unfused BatchNorm (channel-affine) into the conv: same integer model as the importer-folded one, up to rounding', () => {
    const calib = rows.slice(0, 100).map((r) => r.input);
    const folded = quantizeModel(importOnnx(path.join(FIXTURES, 'cnn_digits.onnx')), calib);
    const irAffine = importOnnx(path.join(FIXTURES, 'cnn_digits.onnx'), { foldBatchNorm: false });
    assert.ok(irAffine.layers.some((l) => l.kind === 'channel-affine'));
    const affine = quantizeModel(irAffine, calib);
    assert.deepEqual(
      affine.layers.map((l) => l.kind),
      folded.layers.map((l) => l.kind),
    );
    assert.ok(evaluateAgreement(irAffine, affine, rows).agreement >= 0.98);
  });

  it('a ReLU that follows no dense/conv layer stays a standalone ReLU gadget, and matches the integer executor', async () => {
    // The MLP with a ReLU on its input: that one cannot be fused (no Requantize before it), fc1's can.
    const ir = importOnnx(path.join(FIXTURES, 'mlp_digits.onnx'));
    ir.layers = insertNode(
      ir.layers,
      0,
      { kind: 'relu', name: 'inputRelu', inputs: [MODEL_INPUT], inShape: ir.inputShape, outShape: ir.inputShape },
      true,
    );
    const qm = quantizeModel(
      ir,
      rows.slice(0, 100).map((r) => r.input),
    );
    const opts = { name: 'mlp-input-relu', weights: 'public-constants', input: 'public' } as const;
    const model = await buildModelCircuit(qm, opts);
    const kinds = model.generated.layerCosts.filter((c) => c.kind.startsWith('relu'));
    assert.deepEqual(
      kinds.map((c) => [c.layer, c.kind]),
      [
        ['inputRelu', 'relu'],
        ['/Relu', 'relu (fused)'],
      ],
    );
    assert.equal(kinds[0]!.constraints, 64 * (qm.inputBits + 1));
    assert.equal(model.generated.source.match(/= ReLU\(/g)?.length, 64);
    assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
    const inputs = rows.slice(120, 123).map((r) => quantizeInput(qm, r.input));
    for (let i = 0; i < 3; i++) inputs.push(Array.from({ length: 64 }, () => BigInt((rand32() % 256) - 128)));
    await assertAgreesWithIntExec(qm, model, opts, inputs);
  });

  it('average pooling (DivByConst) matches the integer executor bit for bit', async () => {
    // The CNN with its max pool swapped for a 2×2 average pool (same shapes): a model with a different float
    // function, quantized and compiled like any other.
    const ir = importOnnx(path.join(FIXTURES, 'cnn_digits.onnx'));
    ir.layers = ir.layers.map((l) => (l.kind === 'maxpool2d' ? { ...l, kind: 'avgpool2d' as const, countIncludePad: false } : l));
    const qm = quantizeModel(
      ir,
      rows.slice(0, 100).map((r) => r.input),
    );
    const opts = { name: 'cnn-avgpool', weights: 'public-constants', input: 'public' } as const;
    const model = await buildModelCircuit(qm, opts);
    assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
    const inputs = rows.slice(120, 125).map((r) => quantizeInput(qm, r.input));
    for (let i = 0; i < 3; i++) inputs.push(Array.from({ length: 64 }, () => BigInt((rand32() % 256) - 128)));
    await assertAgreesWithIntExec(qm, model, opts, inputs);
  });
});

describe("the issue's 64-32-16-10 MLP (mlp3_digits.onnx: trained on the digits, exported by PyTorch)", () => {
  const ir = importOnnx(path.join(FIXTURES, 'mlp3_digits.onnx'));
  const qm = quantizeModel(
    ir,
    rows.slice(0, 100).map((r) => r.input),
  );
  const inputs = [quantizeInput(qm, rows[110]!.input), Array.from({ length: 64 }, () => BigInt((rand32() % 256) - 128))];
  const table = (model: ModelCircuit) =>
    model.generated.layerCosts.map((c) => `${c.kind.padEnd(10)} ${c.layer.padEnd(18)} ${String(c.constraints).padStart(6)}`).join('\n  ');

  it('quantized argmax agrees with the float model on >= 97% of the held-out rows', () => {
    assert.deepEqual(
      qm.layers.filter((l) => l.kind === 'dense').map((l) => l.outShape),
      [[32], [16], [10]],
    );
    const heldOut = evaluateAgreement(ir, qm, rows.slice(100));
    console.log(`mlp3 agreement, rows 100..199 (calibrated on 0..99): ${JSON.stringify(heldOut)}`);
    assert.ok(heldOut.agreement >= 0.97, `held-out agreement ${heldOut.agreement}`);
  });

  it('Poseidon-committed weights: the predicted constraint count, outputs equal to the integer executor', async () => {
    const opts = { name: 'mlp3-digits-poseidon', weights: 'private-committed', input: 'private-hashed' } as const;
    const model = await buildModelCircuit(qm, opts);
    console.log(`64-32-16-10 Poseidon-committed: ${model.circuit.nConstraints} constraints\n  ${table(model)}`);
    assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
    // Public signals: the weight commitment, the input hash, then the logits and label.
    const witnesses = await assertAgreesWithIntExec(qm, model, opts, inputs, 3);
    for (const w of witnesses) assert.equal(w[1], await weightCommitment(qm));
  });

  it('Pedersen-committed weights: within the budget of 8,000 constraints, outputs equal to the integer executor', async () => {
    // Commit-and-prove (prover/commitment.ts): the packed weights and the blind are committed public inputs, so
    // binding them costs no constraint.
    const opts = { name: 'mlp3-digits-pedersen', weights: 'private-pedersen', input: 'private-hashed' } as const;
    const model = await buildModelCircuit(qm, opts);
    console.log(`64-32-16-10 Pedersen-committed: ${model.circuit.nConstraints} constraints\n  ${table(model)}`);
    assert.equal(model.circuit.nConstraints, model.generated.totalConstraints);
    assert.ok(model.circuit.nConstraints <= 8000, `${model.circuit.nConstraints} constraints, over the budget of 8,000`);
    const blind = 0x1234567890abcdefn;
    // Public signals: the input hash, then the logits and label, then the committed inputs.
    const witnesses = await assertAgreesWithIntExec(qm, model, { ...opts, blind }, inputs, 2);
    // Every public signal sits at the wire its name says (circom orders public inputs by declaration), and the
    // committed ones hold exactly weightElements + blind, the values prover/inference.ts commits to.
    const names = model.generated.publicSignals;
    const sym = await readSymbols(model.circuit.symPath);
    for (const [i, name] of names.entries()) assert.equal(sym.get(`main.${name}`), i + 1, name);
    const committedValues = [...weightElements(qm), blind];
    assert.equal(model.generated.committedSignals.length, committedValues.length);
    for (const w of witnesses) {
      for (const [j, name] of model.generated.committedSignals.entries())
        assert.equal(w[1 + names.indexOf(name)], committedValues[j], name);
    }
  });
});
