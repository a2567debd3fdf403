/**
 * Issue 13, item 1: circuit source injection. An ONNX file's strings (node, tensor, input and output names, string
 * attributes, doc strings, the producer) once went into `//` comments of the generated circom: a name with a newline
 * ended its comment and the rest became circuit code (a free private input wired over an output; a second name
 * opening a comment over the honest wiring). Now (a) no string from the file reaches the source at all, the guard
 * (common/source-guard.ts) refusing any that would, and (b) a source that does something the generator did not write
 * fails the compile-time count check (circuit-checks.ts) with both numbers named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isZkaiError } from '../../common/errors.ts';
import { assertSafeGeneratedSource } from '../../common/source-guard.ts';
import { readR1csHeader } from '../r1cs.ts';
import { CIRCOM_GUARD, checkCompiledCounts, sourceSafeModel } from './circuit-checks.ts';
import { buildModelCircuit, compileGeneratedModel, generateCircom, WEIGHTS_MODES } from './codegen.ts';
import { importOnnx, untrustedStrings } from './import.ts';
import { encodeOnnx } from './onnx.ts';
import { type QDense, quantizeModel } from './quantize.ts';

// After a newline: declare a free private input and wire it over an output, then open a comment for what follows.
const PAYLOAD = '\n    signal input evil;\n    logits[0] <== evil;\n//';
const HOSTILE = {
  input: `x${PAYLOAD}`,
  fc1: `fc1'${PAYLOAD}`,
  // The second name starts a block comment, to swallow the honest wiring up to a later name that closes it.
  relu: 'relu /*',
  fc2: `*/ fc2${PAYLOAD}`,
  hidden: `h${PAYLOAD}`,
  w1: `fc1.weight${PAYLOAD}`,
  output: `y'${PAYLOAD}`,
  attribute: `NOTSET${PAYLOAD}`,
  producer: `torch${PAYLOAD}`,
};

/** x[4] → Gemm 4→3 → ReLU → Gemm 3→2 → y, every name and free-text field hostile. */
function hostileModel(): Uint8Array {
  return encodeOnnx({
    producer: HOSTILE.producer,
    inputs: [{ name: HOSTILE.input, shape: [1, 4] }],
    outputs: [{ name: HOSTILE.output, shape: [1, 2] }],
    initializers: [
      { name: HOSTILE.w1, dims: [3, 4], floats: [0.5, -0.25, 0.75, 0.1, -0.5, 0.3, 0.2, -0.6, 0.9, 0.05, -0.35, 0.4] },
      { name: `b1${PAYLOAD}`, dims: [3], floats: [0.1, -0.2, 0.05] },
      { name: `w2${PAYLOAD}`, dims: [2, 3], floats: [0.7, -0.4, 0.2, -0.3, 0.6, 0.5] },
      { name: `b2${PAYLOAD}`, dims: [2], floats: [0, 0.1] },
    ],
    nodes: [
      {
        name: HOSTILE.fc1,
        opType: 'Gemm',
        input: [HOSTILE.input, HOSTILE.w1, `b1${PAYLOAD}`],
        output: [`a${PAYLOAD}`],
        int: { transB: 1 },
        // A string attribute no op reads, and a doc string: neither may reach the source.
        strings: { zkai_note: HOSTILE.attribute },
        docString: PAYLOAD,
      },
      { name: HOSTILE.relu, opType: 'Relu', input: [`a${PAYLOAD}`], output: [HOSTILE.hidden] },
      {
        name: HOSTILE.fc2,
        opType: 'Gemm',
        input: [HOSTILE.hidden, `w2${PAYLOAD}`, `b2${PAYLOAD}`],
        output: [HOSTILE.output],
        int: { transB: 1 },
      },
    ],
  });
}

const CALIBRATION = Array.from({ length: 16 }, (_, i) => [((i * 7) % 9) - 4, (i % 5) - 2, ((i * 3) % 7) - 3, (i % 3) - 1]);
const ir = importOnnx(hostileModel());
const qm = quantizeModel(ir, CALIBRATION);

function throwsInternal(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err) => isZkaiError(err) && err.code === 'INTERNAL' && pattern.test(err.message));
}

describe('circuit source injection through ONNX strings', () => {
  it('the hostile strings are really in the imported model (the test is not vacuous)', () => {
    assert.equal(ir.inputName, HOSTILE.input);
    assert.equal(ir.outputName, HOSTILE.output);
    assert.deepEqual(
      qm.layers.map((l) => l.name),
      [HOSTILE.fc1, HOSTILE.relu, HOSTILE.fc2],
    );
    const strings = untrustedStrings(ir);
    for (const s of [HOSTILE.input, HOSTILE.output, HOSTILE.w1, HOSTILE.fc1, HOSTILE.relu, HOSTILE.fc2]) assert.ok(strings.includes(s), s);
  });

  for (const weights of WEIGHTS_MODES) {
    it(`weights ${weights}: no string from the file is in the source; names live only in the cost table (manifest)`, () => {
      const input = weights === 'public-constants' ? 'public' : 'private-hashed';
      const g = generateCircom(qm, { name: 'hostile', weights, input, untrusted: untrustedStrings(ir) });
      for (const bad of ['evil', '/*', '*/', "'", 'fc1', 'relu /', 'torch', 'NOTSET', 'fc1.weight'])
        assert.ok(!g.source.includes(bad), bad);
      // One private input more than the generator declares would be the injected one: there is none.
      assert.equal(g.source.match(/signal input/g)?.length, g.source.match(/signal input \w+(\[\d+\])?;/g)?.length);
      assert.doesNotThrow(() => assertSafeGeneratedSource(g.source, CIRCOM_GUARD, untrustedStrings(ir)));
      assert.deepEqual(
        g.layerCosts.filter((c) => c.layer.includes(PAYLOAD) || c.layer === HOSTILE.relu).map((c) => c.layer),
        [HOSTILE.fc1, HOSTILE.relu, HOSTILE.fc2],
      );
    });
  }

  it('the guard refuses source written the old way (a name in a comment), and any line with a control character', () => {
    const honest = generateCircom(qm, { name: 'hostile', weights: 'public-constants', input: 'public' }).source;
    // What the generator wrote before the fix: the layer name quoted inside the layer's comment.
    const old = honest.replace('// layer 0: dense', `// layer 0: dense '${HOSTILE.fc1}'`);
    throwsInternal(() => assertSafeGeneratedSource(old, CIRCOM_GUARD), /line \d+ has a character outside/);
    // Without a quote or a newline a name cannot do harm in a comment, but it is still found.
    const named = honest.replace('// layer 0: dense', '// layer 0: dense fc1.weight');
    throwsInternal(() => assertSafeGeneratedSource(named, CIRCOM_GUARD, ['fc1.weight']), /contains a string from the uploaded file/);
    for (const sep of ['\r', '\u2028', '\t', '\u0000']) {
      throwsInternal(() => assertSafeGeneratedSource(honest.replace('// layer 0:', `// layer 0:${sep}`), CIRCOM_GUARD), /allow-list/);
    }
  });

  it('a quantized model carrying code in a number field (a hostile quantized.json) is refused before codegen', () => {
    const layer = qm.layers[0] as QDense;
    const tampered = { ...qm, layers: [{ ...layer, accBits: '20); signal input evil; (1' as unknown as number }, ...qm.layers.slice(1)] };
    assert.throws(() => generateCircom(tampered, { name: 'hostile', weights: 'public-constants', input: 'public' }), { code: 'BAD_INPUT' });
    const kind = { ...qm, layers: [{ ...layer, kind: 'dense; evil' as 'dense' }, ...qm.layers.slice(1)] };
    assert.throws(() => sourceSafeModel(kind), { code: 'BAD_INPUT' });
    const bias = { ...qm, layers: [{ ...layer, bias: ['1; evil' as unknown as bigint] }, ...qm.layers.slice(1)] };
    assert.throws(() => sourceSafeModel(bias), { code: 'BAD_INPUT' });
  });

  it("compiles with circom's count equal to the generator's, and a hand-tampered source fails the compile", async () => {
    const opts = { name: 'hostile', weights: 'public-constants', input: 'public', untrusted: untrustedStrings(ir) } as const;
    const honest = await buildModelCircuit(qm, opts);
    assert.deepEqual(honest.constraints, { predicted: honest.generated.totalConstraints, measured: honest.circuit.nConstraints });
    assert.equal(honest.constraints.predicted, honest.constraints.measured);
    const last = qm.layers.length - 1;

    // The injection the guard prevents, as if it had got through: a free private input wired over logits[0].
    const src = honest.generated.source;
    assert.ok(src.includes(`    logits[0] <== x${last}[0];`));
    const freeInput = src
      .replace('    signal output label;', '    signal output label;\n    signal input evil;')
      .replace(`    logits[0] <== x${last}[0];`, '    logits[0] <== evil;');
    await assert.rejects(compileGeneratedModel({ ...honest.generated, source: freeInput }, 'hostile-tampered'), (err) => {
      assert.ok(isZkaiError(err) && err.code === 'CIRCUIT_COMPILE_FAILED', String(err));
      assert.match(err.message, /1 private inputs where the code generator predicted 0/);
      return true;
    });

    // A weakened range check (a narrower Requantize) changes the constraint count, and the error names both numbers.
    const layer = qm.layers[0] as QDense;
    // Layer 0's template comes first (ops/linear-emit.ts): narrow its Requantize gadgets.
    const narrow = src.replace(`= RequantizeRelu(${layer.accBits}, `, `= RequantizeRelu(${layer.accBits - 2}, `);
    assert.notEqual(narrow, src);
    await assert.rejects(compileGeneratedModel({ ...honest.generated, source: narrow }, 'hostile-tampered'), (err) => {
      assert.ok(isZkaiError(err) && err.code === 'CIRCUIT_COMPILE_FAILED', String(err));
      const want = honest.generated.totalConstraints;
      const measured = Number(/compiled (\d+) constraints where the code generator predicted (\d+)/.exec(err.message)?.[1]);
      assert.ok(measured < want, err.message);
      assert.match(err.message, new RegExp(`predicted ${want}\\b`));
      return true;
    });
  });

  it('the count check compares constraints, public signals and private inputs with the R1CS header', async () => {
    const honest = await buildModelCircuit(qm, { name: 'hostile', weights: 'public-constants', input: 'public' });
    const header = await readR1csHeader(honest.circuit.r1csPath);
    assert.doesNotThrow(() => checkCompiledCounts(honest.generated, header));
    for (const off of [{ nConstraints: header.nConstraints + 1 }, { nPubIn: header.nPubIn + 1 }, { nPrvIn: header.nPrvIn + 1 }]) {
      assert.throws(() => checkCompiledCounts(honest.generated, { ...header, ...off }), { code: 'CIRCUIT_COMPILE_FAILED' });
    }
  });
});
