/**
 * Issue 13 item 2: a bundle carries its own verification key, so a forger can bring a key whose trapdoor they know.
 * With a statement key (zkai_commitment) whose κ the forger chose, W = −(IC₀ + Σ sᵢ·ICᵢ) makes L = 0, K = κ·W passes
 * the proof of knowledge, and A = α, B = β + δ, C = α satisfies e(A,B) = e(α,β)·e(L,γ)·e(C,δ) for ANY statement.
 * These tests build that forgery from scratch and show it is never `valid` unless its key is pinned.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { g2Json, randomScalar } from './commitment.ts';
import { forge, forgerKey } from './test-forgery.ts';
import { releaseVerifierResources, verifyBundle } from './verify.ts';

const G2 = bn254.G2.Point.BASE;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('verification keys are pinned, never taken from the bundle (issue 13, item 2)', () => {
  after(async () => {
    await releaseVerifierResources();
  });

  test('a forgery under a key the forger made is not valid: its key is not pinned', async () => {
    const kappa = randomScalar();
    const forged = forge(forgerKey(3, kappa), kappa, [7n, 123456789n, 42n]);
    const report = await verifyBundle(forged);
    // Both pairing checks and the proof of knowledge pass against the forger's own key: that is the attack.
    assert.deepEqual(
      { snarkjs: report.checks.snarkjs, noble: report.checks.noble, commitment: report.checks.commitment },
      { snarkjs: true, noble: true, commitment: true },
    );
    assert.equal(report.valid, false);
    assert.equal(report.pinned, false);
    assert.equal(report.reasonCode, 'KEY_NOT_PINNED');
    assert.equal(report.vkeyHash, forged.vkeyHash);
  });

  test('a forgery carrying another key than the pinned one is not valid (VKEY_MISMATCH)', async () => {
    const honest = forgerKey(3, randomScalar());
    const kappa = randomScalar();
    const forged = forge(forgerKey(3, kappa), kappa, [1n, 2n, 3n]);
    const pinned = sha256Hex(canonicalJson(honest));
    const report = await verifyBundle(forged, { expectedVkeyHash: pinned });
    assert.equal(report.valid, false);
    assert.equal(report.pinned, false);
    assert.equal(report.checks.vkeyHash, false);
    assert.equal(report.reasonCode, 'VKEY_MISMATCH');
    // The same with a set of trusted keys (the service's own circuits).
    const many = await verifyBundle(forged, { trustedVkeyHashes: [pinned, 'cd'.repeat(32)] });
    assert.equal(many.valid, false);
    assert.equal(many.reasonCode, 'VKEY_MISMATCH');
  });

  test('the pinned hash covers κ·G2: the pinned key with a substituted κ is another key', async () => {
    const honest = forgerKey(2, randomScalar()); // κ of the honest key: forgotten
    const pinned = sha256Hex(canonicalJson(honest));
    // The forger keeps every point of the pinned key and replaces only κ·G2 by one whose κ they know.
    const kappa = randomScalar();
    const substituted = clone(honest);
    (substituted.zkai_commitment as { kappa_2: unknown }).kappa_2 = g2Json(G2.multiply(kappa));
    const forged = forge(substituted, kappa, [5n, 6n]);
    assert.notEqual(forged.vkeyHash, pinned);
    const report = await verifyBundle(forged, { expectedVkeyHash: pinned });
    assert.equal(report.checks.snarkjs && report.checks.noble && report.checks.commitment, true);
    assert.equal(report.valid, false);
    assert.equal(report.reasonCode, 'VKEY_MISMATCH');
    // Claiming the pinned hash while carrying the substituted key is a malformed bundle.
    await assert.rejects(verifyBundle({ ...clone(forged), vkeyHash: pinned }, { expectedVkeyHash: pinned }), /vkeyHash/);
  });

  test('the same proof is valid once its key is pinned (the check is the pin, not the proof)', async () => {
    const kappa = randomScalar();
    const vkey = forgerKey(1, kappa);
    const bundle = forge(vkey, kappa, [9n]);
    const report = await verifyBundle(bundle, { expectedVkeyHash: sha256Hex(canonicalJson(vkey)) });
    assert.equal(report.valid, true);
    assert.equal(report.pinned, true);
    assert.equal(report.reasonCode, undefined);
  });
});
