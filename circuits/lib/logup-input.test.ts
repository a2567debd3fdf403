/**
 * LogUpSignedPack / LogUpSignedRange (circuits/lib/logup-quant.circom): a model's input range by LogUp limbs instead of
 * SignedPack's bit decompositions (codegen.ts with `lookups: 'logup'`). The packed elements equal layers.circom's
 * SignedPack (commit.ts `packSigned` semantics) for values at both ends of the range, the count equals the generator's
 * (0 constraints besides the α rows for a private input), a value one past the range has no witness, and a forged
 * witness that puts it into its limb anyway fails exactly the table's sum and its proof is refused. Two widths: an
 * 8-bit input (one 8-bit limb) and a 10-bit one (an 8-bit and a 2-bit limb), so the limbs are routed by width.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BN254_R, mod } from '../../common/bn254.ts';
import { commitPublicInputs, randomScalar } from '../../prover/commitment.ts';
import { logupChallenge } from '../../prover/lookup/challenge.ts';
import { proveLookupWitness, proveWithLookups } from '../../prover/lookup/prove.ts';
import type { LookupSetup } from '../../prover/lookup/setup.ts';
import { verifyLookupProof } from '../../prover/lookup/verify.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { BuiltCircuit } from '../build.ts';
import { emitLogUpMain, type LogUpMain, signedRangeCounts } from '../model/logup-emit.ts';
import { type R1cs, unsatisfiedConstraints } from '../r1cs.ts';
import { readSymbols, witnessIgnoringAsserts } from '../witness.ts';
import { buildHarnessCircuit, lookupHarness, recountMultiplicities, setTableInverses } from './test-harness.ts';

const NARROW = [-128n, 127n, 0n, -1n, 1n, 100n]; // signed 8 bits
const WIDE = [-512n, 511n, 0n, -1n, 300n, -300n]; // signed 10 bits

/** SignedPack's elements: Σ_t (v + 2^(b−1))·2^(b·t), 248 / b values per element. */
function packed(values: readonly bigint[], b: number): bigint[] {
  const k = Math.floor(248 / b);
  const out: bigint[] = [];
  values.forEach((v, i) => {
    const j = Math.floor(i / k);
    out[j] = (out[j] ?? 0n) + ((v + (1n << BigInt(b - 1))) << BigInt(b * (i % k)));
  });
  return out;
}

interface Harness {
  circuit: BuiltCircuit;
  main: LogUpMain;
}

async function buildHarness(): Promise<Harness> {
  const n = NARROW.length;
  const main = emitLogUpMain([
    { component: 'narrow', counts: signedRangeCounts(n, 8) },
    { component: 'wide', counts: signedRangeCounts(n, 10) },
  ]);
  const source = [
    'pragma circom 2.1.6;',
    'include "logup.circom";',
    'include "logup-quant.circom";',
    'template LogUpInputHarness() {',
    `    signal input a[${n}];`,
    `    signal input b[${n}];`,
    '    signal input logupAlpha;',
    '    signal output packedA;',
    '    signal output packedB;',
    `    component narrow = LogUpSignedPack(${n}, 8, 8);`,
    '    narrow.in <== a;',
    '    packedA <== narrow.out[0];',
    `    component wide = LogUpSignedPack(${n}, 10, 8);`,
    '    wide.in <== b;',
    '    packedB <== wide.out[0];',
    ...main.lines,
    '}',
    '',
  ].join('\n');
  const circuit = await buildHarnessCircuit('logup-input-harness', 'LogUpInputHarness', source, ['logupAlpha', 'logupBlind']);
  return { circuit, main };
}

describe('LogUpSignedPack: a model input range-checked by LogUp limbs', () => {
  let h: Harness;
  let ls: LookupSetup;
  let r1cs: R1cs;
  before(async () => {
    ({ h, ls, r1cs } = await lookupHarness(buildHarness));
  });
  after(releaseVerifierResources);

  const input = (a: readonly bigint[]) => ({ a: a.map(String), b: WIDE.map(String) });

  it('packs exactly as SignedPack, with no constraint besides the lookups (one α row per limb and table row)', async () => {
    // Plus one row per packed output: here they are public signals, linear in the committed limbs (in a model they
    // feed the input hash and are substituted away).
    assert.equal(h.circuit.nConstraints, h.main.constraints + 2);
    assert.deepEqual(
      h.main.tables.map((t) => [t.width, t.limbs.length]),
      [
        [2, NARROW.length],
        [8, 2 * NARROW.length],
      ],
    );
    const p = await proveWithLookups(ls, input(NARROW));
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: true });
    assert.deepEqual(p.publicSignals.slice(0, 2), [String(packed(NARROW, 8)[0]), String(packed(WIDE, 10)[0])]);
  });

  it('refuses an input one past its signed range (no witness)', async () => {
    await assert.rejects(proveWithLookups(ls, input([128n, ...NARROW.slice(1)])), { code: 'WITNESS_FAILED' });
    await assert.rejects(proveWithLookups(ls, input([-129n, ...NARROW.slice(1)])), { code: 'WITNESS_FAILED' });
  });

  it('a forged input of 128 (its limb 256) satisfies every constraint but the 8-bit table sum, and is refused', async () => {
    const forged = [128n, ...NARROW.slice(1)];
    const sym = await readSymbols(h.circuit.symPath);
    const blind = randomScalar();
    // The honest witness of the values forged[0] replaces (−128, limb 0), then changed where the forgery needs it.
    const { w } = await witnessIgnoringAsserts(h.circuit.wasmPath, { ...input(NARROW), logupAlpha: '5', logupBlind: String(blind) });
    const committedWire = (k: number) => ls.layout.committedIndices[k]! + 1;
    const values = ls.layout.committedIndices.map((i) => w[i + 1]!);
    // Input 0 of `narrow` is the first limb of the 8-bit group: its recomposition needs the limb 128 + 128 = 256.
    const t8 = h.main.tables.find((t) => t.width === 8)!;
    assert.equal(values[t8.limbs[0]!], 0n);
    values[t8.limbs[0]!] = 256n;
    recountMultiplicities(h.main, values);
    values[values.length - 1] = blind;
    const commitment = await commitPublicInputs(ls.key, values);
    const alpha = logupChallenge(commitment.point);
    w[sym.get('main.logupAlpha')!] = alpha;
    values.forEach((v, k) => {
      w[committedWire(k)] = v;
    });
    const set = (name: string, v: bigint) => {
      const wire = sym.get(name);
      if (wire !== undefined && wire >= 0) w[wire] = mod(v, BN254_R);
    };
    // The input itself (if circom kept its wire) and the packed element of the forged values.
    set('main.a[0]', forged[0]!);
    set('main.packedA', packed(forged, 8)[0]!);
    setTableInverses(h.main, values, alpha, set);
    const bad = unsatisfiedConstraints(r1cs, w);
    assert.equal(bad.length, 1, `only the 8-bit table's sum fails (failing: ${bad.join(', ')})`);
    const p = await proveLookupWitness(ls, w);
    assert.deepEqual(verifyLookupProof(ls.statementKey, p), { ok: false, reason: 'PROOF_INVALID' });
  });
});
