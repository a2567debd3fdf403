import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import * as snarkjs from 'snarkjs';
import { BN254_Q, BN254_R } from '../common/bn254.ts';
import { isZkaiError } from '../common/errors.ts';
import { makeBundle, type ProofBundle } from './bundle.ts';
import {
  type Groth16Fixture,
  type MembershipRecord,
  membershipInput,
  membershipTestSetup,
  proveWithSnarkjs,
  type SnarkjsProof,
} from './test-fixtures.ts';
import { DEFAULT_VERIFIERS, releaseVerifierResources, VERIFIER_DISAGREEMENT, verifyBundle, verifyBundleWith } from './verify.ts';
import { verifyGroth16Noble } from './verify-noble.ts';

const records: MembershipRecord[] = [1n, 2n, 3n].map((k) => ({
  recordId: 1000n + k,
  contributor: 0x00a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3n + k,
  contentHi: 0x1111n * k,
  contentLo: 0x2222n * k,
  weight: 100n * k,
}));

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function isBadBundle(err: unknown): boolean {
  return isZkaiError(err) && err.code === 'BAD_BUNDLE';
}

/** Runs both verifiers directly and asserts they agree; returns their common answer. */
async function bothAgree(vkey: unknown, proof: unknown, signals: unknown): Promise<boolean> {
  const noble = verifyGroth16Noble(vkey, proof, signals);
  const sj = (await snarkjs.groth16.verify(vkey, signals, proof)) as boolean;
  assert.equal(noble, sj, `verifiers disagree: noble=${noble} snarkjs=${sj}`);
  return noble;
}

/** What snarkjs says about input noble rejects as malformed: false, or a throw, is "did not accept". */
async function snarkjsAccepts(vkey: unknown, proof: unknown, signals: unknown): Promise<boolean> {
  try {
    return (await snarkjs.groth16.verify(vkey, signals, proof)) === true;
  } catch {
    return false;
  }
}

function g1Json(p: InstanceType<typeof bn254.G1.Point>): string[] {
  const { x, y } = p.toAffine();
  return [x.toString(), y.toString(), '1'];
}

function g2Json(p: InstanceType<typeof bn254.G2.Point>): string[][] {
  const { x, y } = p.toAffine();
  return [
    [x.c0.toString(), x.c1.toString()],
    [y.c0.toString(), y.c1.toString()],
    ['1', '0'],
  ];
}

/** A point on the G2 twist that is NOT in the order-r subgroup (G2's cofactor is huge, so almost any twist point). */
function twistPointOutsideSubgroup(): string[][] {
  const { Fp2 } = bn254.fields;
  const b = bn254.G2.Point.CURVE().b;
  for (let i = 1n; ; i++) {
    const x = Fp2.fromBigTuple([i, 0n]);
    let y: ReturnType<typeof Fp2.sqrt>;
    try {
      y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b));
    } catch {
      continue;
    }
    const p = bn254.G2.Point.fromAffine({ x, y });
    if (!p.isTorsionFree()) return g2Json(p);
  }
}

describe('Groth16 verification: snarkjs and @noble/curves agree', () => {
  let fx: Groth16Fixture;
  let proof: SnarkjsProof;
  let signals: string[];
  let bundle: ProofBundle;
  let otherProof: SnarkjsProof;
  let otherSignals: string[];

  const bundleFor = (p: object, s: string[]) =>
    makeBundle({
      kind: 'membership',
      circuitId: fx.circuit.id,
      vkey: fx.vkey,
      proof: p,
      publicSignals: s,
      metadata: { engine: `snarkjs@0.7.6`, insecureSetup: true, setup: 'insecure test ptau' },
    });

  before(async () => {
    fx = await membershipTestSetup(2);
    ({ proof, publicSignals: signals } = await proveWithSnarkjs(fx, await membershipInput(records, 2, 7n)));
    ({ proof: otherProof, publicSignals: otherSignals } = await proveWithSnarkjs(fx, await membershipInput(records, 0, 8n)));
    bundle = bundleFor(proof, signals);
  });

  after(async () => {
    await releaseVerifierResources();
  });

  test('a valid proof passes both verifiers', async (t) => {
    assert.equal(await bothAgree(fx.vkey, proof, signals), true);
    const t0 = performance.now();
    const report = await verifyBundle(bundle, { expectedVkeyHash: fx.vkeyHash });
    t.diagnostic(`verifyBundle (warm): ${(performance.now() - t0).toFixed(1)} ms`);
    assert.deepEqual(report, { valid: true, pinned: true, vkeyHash: fx.vkeyHash, checks: { snarkjs: true, noble: true, vkeyHash: true } });
    // and after a JSON round trip, as a file or HTTP body would arrive
    assert.equal((await verifyBundle(JSON.parse(JSON.stringify(bundle)), { expectedVkeyHash: fx.vkeyHash })).valid, true);
    assert.equal(await bothAgree(fx.vkey, otherProof, otherSignals), true);
  });

  test('the public signals are what the circuit says', () => {
    // [root, total, contributor, weight, epoch, nullifier]
    assert.equal(signals.length, 6);
    assert.equal(signals[1], records.reduce((s, r) => s + r.weight, 0n).toString());
    assert.equal(BigInt(signals[2]!), records[2]!.contributor);
    assert.equal(signals[3], records[2]!.weight.toString());
    assert.equal(signals[4], '7');
    assert.equal(bundle.public.contributor, `0x${records[2]!.contributor.toString(16).padStart(40, '0')}`);
  });

  test('changing any one public signal makes both verifiers reject', async () => {
    for (let i = 0; i < signals.length; i++) {
      const changed = [...signals];
      changed[i] = ((BigInt(changed[i]!) + 1n) % BN254_R).toString();
      assert.equal(await bothAgree(fx.vkey, proof, changed), false, `signal ${i}`);
      const report = await verifyBundle(bundleFor(proof, changed), { expectedVkeyHash: fx.vkeyHash });
      assert.deepEqual(report.checks, { snarkjs: false, noble: false, vkeyHash: true }, `signal ${i}`);
      assert.equal(report.valid, false);
      assert.equal(report.reasonCode, 'PROOF_INVALID');
      assert.ok(!report.reason?.includes(VERIFIER_DISAGREEMENT));
    }
  });

  test('when the two verifiers disagree, in either direction, the report is invalid and says so (and warns)', async () => {
    // Issue 13 item 7: with the disagreement check disabled, each case below would pass as valid.
    const pin = { expectedVkeyHash: fx.vkeyHash };
    const wrong = [...signals];
    wrong[3] = '999'; // another epoch: a proof that does not hold
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'ZKAI_VERIFIER_DISAGREEMENT') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const cases: [string, Partial<typeof DEFAULT_VERIFIERS>, ProofBundle][] = [
        ['snarkjs rejects a valid proof', { snarkjs: async () => ({ ok: false, error: 'injected' }) }, bundle],
        ['noble accepts a wrong proof', { noble: () => true }, bundleFor(proof, wrong)],
        ['snarkjs accepts a wrong proof', { snarkjs: async () => ({ ok: true }) }, bundleFor(proof, wrong)],
        ['noble rejects a valid proof', { noble: () => false }, bundle],
      ];
      for (const [name, faulty, b] of cases) {
        const report = await verifyBundleWith({ ...DEFAULT_VERIFIERS, ...faulty }, b, pin);
        assert.equal(report.valid, false, name);
        assert.equal(report.reasonCode, 'VERIFIER_DISAGREEMENT', name);
        assert.ok(report.reason?.startsWith(VERIFIER_DISAGREEMENT), name);
        assert.notEqual(report.checks.snarkjs, report.checks.noble, name);
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.equal(warnings.length, cases.length);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test("one record's proof does not verify with another record's signals", async () => {
    assert.equal(await bothAgree(fx.vkey, proof, otherSignals), false);
    assert.equal(await bothAgree(fx.vkey, otherProof, signals), false);
  });

  test('changed proof points make both verifiers reject', async () => {
    const G1 = bn254.G1.Point.BASE;
    const G2 = bn254.G2.Point.BASE;
    const variants: Record<string, SnarkjsProof> = {
      'pi_a := 5·G1': { ...clone(proof), pi_a: g1Json(G1.multiply(5n)) },
      'pi_c negated': { ...clone(proof), pi_c: [proof.pi_c[0]!, (BN254_Q - BigInt(proof.pi_c[1]!)).toString(), '1'] },
      'pi_a negated': { ...clone(proof), pi_a: [proof.pi_a[0]!, (BN254_Q - BigInt(proof.pi_a[1]!)).toString(), '1'] },
      'pi_b := 3·G2': { ...clone(proof), pi_b: g2Json(G2.multiply(3n)) },
      'pi_a, pi_c swapped': { ...clone(proof), pi_a: proof.pi_c, pi_c: proof.pi_a },
      'pi_c from another proof': { ...clone(proof), pi_c: otherProof.pi_c },
      'pi_a at infinity': { ...clone(proof), pi_a: ['0', '1', '0'] },
    };
    for (const [name, p] of Object.entries(variants)) {
      assert.equal(await bothAgree(fx.vkey, p, signals), false, name);
      const report = await verifyBundle(bundleFor(p, signals), { expectedVkeyHash: fx.vkeyHash });
      assert.equal(report.valid, false, name);
      assert.deepEqual(report.checks, { snarkjs: false, noble: false, vkeyHash: true }, name);
    }
  });

  test('an unexpected verification key hash is not valid, even with a correct proof', async () => {
    const report = await verifyBundle(bundle, { expectedVkeyHash: 'ab'.repeat(32) });
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: false });
    assert.equal(report.valid, false);
    assert.match(report.reason ?? '', /not the expected/);
    assert.equal(report.reasonCode, 'VKEY_MISMATCH');
  });

  test('a valid proof under a key nobody pinned is not valid (KEY_NOT_PINNED), though every proof check passes', async () => {
    const report = await verifyBundle(bundle);
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: false });
    assert.deepEqual([report.valid, report.pinned, report.reasonCode], [false, false, 'KEY_NOT_PINNED']);
    assert.equal((await verifyBundle(bundle, { trustedVkeyHashes: ['00'.repeat(32), fx.vkeyHash.toUpperCase()] })).valid, true);
  });

  test('a proof against a different verification key is rejected by both', async () => {
    const vkey = clone(fx.vkey) as { vk_delta_2: string[][] };
    vkey.vk_delta_2 = g2Json(bn254.G2.Point.BASE.multiply(7n));
    assert.equal(await bothAgree(vkey, proof, signals), false);
  });

  test('malformed input is BAD_BUNDLE from noble and never accepted by snarkjs', async () => {
    const { vkey } = fx;
    const cases: Record<string, [unknown, unknown, unknown]> = {
      'coordinate not a number': [vkey, { ...clone(proof), pi_a: ['abc', proof.pi_a[1], '1'] }, signals],
      'coordinate with a sign': [vkey, { ...clone(proof), pi_a: [`-${proof.pi_a[0]}`, proof.pi_a[1], '1'] }, signals],
      'coordinate as a JSON number': [vkey, { ...clone(proof), pi_c: [1, 2, 1] }, signals],
      'pi_a off the curve': [vkey, { ...clone(proof), pi_a: [proof.pi_a[0], (BigInt(proof.pi_a[1]!) + 1n).toString(), '1'] }, signals],
      'pi_b off the twist': [vkey, { ...clone(proof), pi_b: [proof.pi_b[0], [proof.pi_b[1]![0], '5'], ['1', '0']] }, signals],
      'pi_b with c0/c1 swapped': [
        vkey,
        { ...clone(proof), pi_b: [[...proof.pi_b[0]!].reverse(), [...proof.pi_b[1]!].reverse(), ['1', '0']] },
        signals,
      ],
      'pi_b outside the G2 subgroup': [vkey, { ...clone(proof), pi_b: twistPointOutsideSubgroup() }, signals],
      'pi_a not affine (z = 2)': [vkey, { ...clone(proof), pi_a: [proof.pi_a[0], proof.pi_a[1], '2'] }, signals],
      'signal = r': [vkey, proof, [BN254_R.toString(), ...signals.slice(1)]],
      'signal ≥ r (aliased)': [vkey, proof, [(BigInt(signals[0]!) + BN254_R).toString(), ...signals.slice(1)]],
      'signal not decimal': [vkey, proof, ['0x1', ...signals.slice(1)]],
      'too few signals': [vkey, proof, signals.slice(0, 4)],
      'too many signals': [vkey, proof, [...signals, '1']],
      'vkey IC point off the curve': [{ ...clone(vkey), IC: [['1', '3', '1'], ...(vkey.IC as unknown[]).slice(1)] }, proof, signals],
    };
    for (const [name, [v, p, s]] of Object.entries(cases)) {
      assert.throws(() => verifyGroth16Noble(v, p, s), isBadBundle, name);
      assert.equal(await snarkjsAccepts(v, p, s), false, `snarkjs accepted: ${name}`);
    }
  });

  test('loose encodings of a valid proof are BAD_BUNDLE, although snarkjs accepts them', async () => {
    // The same curve point written non-canonically: snarkjs reads it (reduces mod p, ignores a missing z or a fourth coordinate,
    // parses leading zeros) and accepts. We refuse, so one proof has exactly one JSON encoding.
    const loose: Record<string, [SnarkjsProof, RegExp]> = {
      'x + p': [
        { ...clone(proof), pi_a: [(BigInt(proof.pi_a[0]!) + BN254_Q).toString(), proof.pi_a[1]!, '1'] },
        /not below the BN254 base field modulus p/,
      ],
      'no z coordinate': [{ ...clone(proof), pi_a: proof.pi_a.slice(0, 2) }, /expected an array of 3/],
      'a fourth coordinate': [{ ...clone(proof), pi_a: [...proof.pi_a, '5'] }, /expected an array of 3/],
      'leading zero': [{ ...clone(proof), pi_c: [`0${proof.pi_c[0]}`, proof.pi_c[1]!, '1'] }, /expected a decimal string/],
    };
    for (const [name, [p, message]] of Object.entries(loose)) {
      assert.throws(() => verifyGroth16Noble(fx.vkey, p, signals), message, name);
      assert.equal(await snarkjsAccepts(fx.vkey, p, signals), true, name);
      await assert.rejects(verifyBundle({ ...clone(bundle), proof: p }), isBadBundle, name);
    }
    // snarkjs.groth16.verify never looks at vkey.protocol; we do.
    const plonkKey = { ...clone(fx.vkey), protocol: 'plonk' };
    assert.throws(() => verifyGroth16Noble(plonkKey, proof, signals), /vkey\.protocol/);
    assert.equal(await snarkjsAccepts(plonkKey, proof, signals), true);
  });

  test('verifyBundle rejects malformed bundles with BAD_BUNDLE', async () => {
    const withProof = (p: unknown) => ({ ...clone(bundle), proof: p });
    await assert.rejects(verifyBundle(withProof({ ...clone(proof), pi_a: ['x', '1', '1'] })), isBadBundle);
    await assert.rejects(
      verifyBundle(withProof({ ...clone(proof), pi_a: [proof.pi_a[0], (BigInt(proof.pi_a[1]!) + 1n).toString(), '1'] })),
      (err: unknown) => isBadBundle(err) && /proof\.pi_a: not a point on the BN254 curve/.test((err as Error).message),
    );
    await assert.rejects(verifyBundle({ ...clone(bundle), publicSignals: signals.slice(0, 4) }), isBadBundle);
    await assert.rejects(verifyBundle(null), isBadBundle);
  });
});
