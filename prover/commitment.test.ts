import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../circuits/build.ts';
import { isZkaiError } from '../common/errors.ts';
import { makeBundle } from './bundle.ts';
import {
  bindCommitment,
  type CommitmentKey,
  checkCommitmentKey,
  checkCommitmentKnowledge,
  commitmentId,
  commitPublicInputs,
  createCommitmentKey,
  g1Json,
  randomScalar,
  rerandomizeCommitmentKey,
  statementSignals,
  statementVkey,
} from './commitment.ts';
import { COMMITMENT_KEY_FILE, contributePhase2, ensureCircuitSetup, ensureCommitmentKey, verifyPhase2 } from './setup/index.ts';
import { COMMIT_TOY_COMMITTED, commitToySetup } from './test-fixtures.ts';
import { releaseVerifierResources, verifyBundle } from './verify.ts';
import { g1, verifyGroth16Noble } from './verify-noble.ts';

describe('commit-and-prove: Pedersen commitments over the verification key (prover/commitment.ts)', () => {
  let circuit: BuiltCircuit;
  let vkey: Record<string, unknown>;
  let zkeyPath: string;
  let key: CommitmentKey;
  // Public signals: [y, z, w0, w1, w2, blind]; committed: positions 2..5.
  const committed = COMMIT_TOY_COMMITTED;
  const w = [3n, 5n, 7n];
  const blind = randomScalar();

  async function prove(x: bigint, weights: bigint[], b: bigint) {
    return snarkjs.groth16.fullProve({ x, w: weights, blind: b }, circuit.wasmPath, zkeyPath) as Promise<{
      proof: Record<string, unknown>;
      publicSignals: string[];
    }>;
  }

  before(async () => {
    let setup: Awaited<ReturnType<typeof commitToySetup>>['setup'];
    ({ circuit, setup } = await commitToySetup());
    vkey = setup.vkey;
    zkeyPath = setup.zkeyPath;
    key = createCommitmentKey(vkey, committed);
  });
  after(releaseVerifierResources);

  it('a proof verifies, with snarkjs and noble, against IC0 + W and the statement alone', async () => {
    const { proof, publicSignals } = await prove(11n, w, blind);
    assert.deepEqual(publicSignals.slice(0, 2), ['38', '77']);
    const c = commitPublicInputs(key, [...w, blind]);
    assert.ok(checkCommitmentKnowledge(key.kappa_2, c));
    const stmt = statementSignals(publicSignals, committed);
    assert.deepEqual(stmt, ['38', '77']);
    const bound = bindCommitment(statementVkey(vkey, key), c.point);
    assert.equal(bound.nPublic, 2);
    assert.equal(await snarkjs.groth16.verify(bound, stmt, proof), true);
    assert.equal(verifyGroth16Noble(bound, proof, stmt), true);
    // A changed output, or the commitment of other weights, fails.
    assert.equal(verifyGroth16Noble(bound, proof, ['39', '77']), false);
    const other = commitPublicInputs(key, [3n, 6n, 7n, blind]);
    assert.equal(verifyGroth16Noble(bindCommitment(statementVkey(vkey, key), other.point), proof, stmt), false);
  });

  it('the blind hides the weights: the same weights under two blinds give unrelated commitments', () => {
    const a = commitPublicInputs(key, [...w, randomScalar()]);
    const b = commitPublicInputs(key, [...w, randomScalar()]);
    assert.notDeepEqual(a.point, b.point);
    assert.ok(checkCommitmentKnowledge(key.kappa_2, a) && checkCommitmentKnowledge(key.kappa_2, b));
    assert.notEqual(commitmentId(a.point), commitmentId(b.point));
  });

  it('the forgeries a bare point would allow fail the proof of knowledge', async () => {
    const ic = (vkey.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`));
    const honest = commitPublicInputs(key, [...w, blind]);
    // 1. Shift the statement: W' = W − IC_y makes a proof of y verify as y + 1.
    const { proof, publicSignals } = await prove(11n, w, blind);
    const shifted = g1Json(g1(honest.point, 'W').subtract(ic[1]!));
    const shiftedVkey = bindCommitment(statementVkey(vkey, key), shifted);
    assert.equal(verifyGroth16Noble(shiftedVkey, proof, ['39', publicSignals[1]!]), true, 'the bare point is forgeable');
    assert.equal(checkCommitmentKnowledge(key.kappa_2, { point: shifted, knowledge: honest.knowledge }), false);
    // 2. Cancel everything: W = −(IC0 + Σ s·IC) and A = α, B = β, C = 0 "proves" any statement (snarkjs's γ = 1).
    const stmt = ['1234', '5678'];
    const target = ic[0]!.add(ic[1]!.multiply(1234n)).add(ic[2]!.multiply(5678n));
    const zero = g1Json(target.negate());
    const fake = { pi_a: vkey.vk_alpha_1, pi_b: vkey.vk_beta_2, pi_c: ['0', '1', '0'], protocol: 'groth16', curve: 'bn128' };
    assert.equal(verifyGroth16Noble(bindCommitment(statementVkey(vkey, key), zero), fake, stmt), true, 'the bare point is forgeable');
    for (const knowledge of [zero, honest.knowledge, g1Json(bn254.G1.Point.BASE)]) {
      assert.equal(checkCommitmentKnowledge(key.kappa_2, { point: zero, knowledge }), false);
    }
  });

  it('checkCommitmentKey accepts the key and its rerandomisation, and catches a wrong base', () => {
    checkCommitmentKey(vkey, key);
    const next = rerandomizeCommitmentKey(key);
    checkCommitmentKey(vkey, next);
    assert.notDeepEqual(next.kappa_2, key.kappa_2);
    // A commitment made under the old κ does not pass under the new one, and vice versa.
    const c = commitPublicInputs(key, [...w, blind]);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, c), false);
    assert.ok(checkCommitmentKnowledge(next.kappa_2, commitPublicInputs(next, [...w, blind])));
    const tampered = { ...key, knowledgeBases: [key.knowledgeBases[1]!, ...key.knowledgeBases.slice(1)] };
    assert.throws(() => checkCommitmentKey(vkey, tampered), /knowledge bases are not κ times/);
    const mixed = { ...key, bases: [key.bases[1]!, ...key.bases.slice(1)] };
    assert.throws(() => checkCommitmentKey(vkey, mixed), /base 0 is not/);
  });

  it('bundles: verifyBundle checks the proof of knowledge, then the proof against IC0 + W; the commitment field is exact', async () => {
    const { proof, publicSignals } = await prove(2n, w, blind);
    const commitment = commitPublicInputs(key, [...w, blind]);
    const make = (c: typeof commitment | undefined, vk: Record<string, unknown> = statementVkey(vkey, key)) =>
      makeBundle({
        kind: 'inference',
        circuitId: circuit.id,
        vkey: vk,
        proof,
        publicSignals: statementSignals(publicSignals, committed),
        signalNames: ['y', 'z'],
        ...(c ? { commitment: c } : {}),
        metadata: { engine: 'test', insecureSetup: true },
      });
    const bundle = make(commitment);
    const ok = await verifyBundle(bundle);
    assert.equal(ok.valid, true, ok.reason);
    assert.deepEqual(ok.checks, { snarkjs: true, noble: true, vkeyHash: true, commitment: true });
    // The statement-shifting forgery: the proof checks out against the forged W, the commitment does not.
    const ic1 = g1((vkey.IC as unknown[])[1], 'IC[1]');
    const forged = { ...bundle, commitment: { ...commitment, point: g1Json(g1(commitment.point, 'W').subtract(ic1)) } };
    forged.publicSignals = [(BigInt(bundle.publicSignals[0]!) + 1n).toString(), bundle.publicSignals[1]!];
    forged.public = { y: forged.publicSignals[0]!, z: forged.publicSignals[1]! };
    const report = await verifyBundle(forged);
    assert.equal(report.valid, false);
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: true, commitment: false });
    assert.match(report.reason!, /proof of knowledge/);
    // Another commitment with a valid proof of knowledge (other weights): the Groth16 check fails.
    const other = await verifyBundle({ ...bundle, commitment: commitPublicInputs(key, [4n, 5n, 7n, blind]) });
    assert.deepEqual([other.valid, other.checks.commitment, other.checks.noble], [false, true, false]);
    // A statement key needs its commitment; an ordinary key takes none.
    assert.throws(
      () => make(undefined),
      (e: unknown) => isZkaiError(e) && e.code === 'BAD_BUNDLE' && /commitment/.test(e.message),
    );
    const { commitment: _c, ...bare } = bundle;
    await assert.rejects(verifyBundle(bare), /expected \{ point, knowledge \}/);
    assert.throws(() => make(commitment, vkey), /only a bundle whose vkey has zkai_commitment/);
  });

  it('the setup keeps one commitment key per circuit, and `zkai setup contribute` re-randomises its κ', async () => {
    const setup = await ensureCircuitSetup(circuit);
    const first = await ensureCommitmentKey(setup, committed);
    assert.deepEqual(await ensureCommitmentKey(setup, committed), first, 'created once, then read back');
    await assert.rejects(ensureCommitmentKey(setup, [2, 3]), /other public inputs/);
    await contributePhase2(circuit, { name: 'commitment key test' });
    const after = await ensureCircuitSetup(circuit);
    assert.notEqual(after.vkeyHash, setup.vkeyHash, 'δ changed');
    const next = await ensureCommitmentKey(after, committed); // checked against the new vkey inside
    assert.deepEqual(next.bases, first.bases, 'the bases are IC points, which δ does not touch');
    assert.notDeepEqual(next.kappa_2, first.kappa_2);
    // W stays the same; its proof of knowledge must be redone under the new κ.
    const before = commitPublicInputs(first, [...w, blind]);
    const now = commitPublicInputs(next, [...w, blind]);
    assert.deepEqual(now.point, before.point);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, before), false);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, now), true);

    // `zkai setup verify` checks the key against the current vkey too, and reports a tampered one.
    const verified = await verifyPhase2(circuit);
    assert.deepEqual([verified.valid, verified.commitmentKey], [true, 'valid'], verified.errors.join('; '));
    const file = path.join(after.dir, COMMITMENT_KEY_FILE);
    const original = await readFile(file, 'utf8');
    try {
      await writeFile(file, JSON.stringify({ ...next, knowledgeBases: [next.knowledgeBases[1], ...next.knowledgeBases.slice(1)] }));
      const tampered = await verifyPhase2(circuit);
      assert.deepEqual([tampered.valid, tampered.commitmentKey], [false, 'invalid']);
      assert.match(tampered.errors.join('; '), /knowledge bases are not κ times/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('refuses bad indices and values', () => {
    assert.throws(() => createCommitmentKey(vkey, [2, 2]), /distinct/);
    assert.throws(() => createCommitmentKey(vkey, [0, 1, 2, 3, 4, 5]), /at least one public signal uncommitted/);
    assert.throws(() => createCommitmentKey(vkey, [6]), /\[0, 6\)/);
    assert.throws(() => commitPublicInputs(key, [1n]), /expected 4 committed values/);
    assert.throws(() => commitPublicInputs(key, [1n, 2n, 3n, -1n]), /not a field element/);
  });
});
