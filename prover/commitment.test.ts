import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import * as snarkjs from 'snarkjs';
import type { BuiltCircuit } from '../circuits/build.ts';
import { BN254_R, invMod } from '../common/bn254.ts';
import { isZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
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
  g2Json,
  randomScalar,
  rerandomizeCommitmentKey,
  statementSignals,
  statementVkey,
} from './commitment.ts';
import { appendKappaContribution, historyGenesis, signKappaEntry, verifyKappaHistory } from './commitment-history.ts';
import {
  COMMITMENT_KEY_FILE,
  contributePhase2,
  ensureCircuitSetup,
  ensureCommitmentKey,
  knownVkeyHashes,
  verifyPhase2,
} from './setup/index.ts';
import { COMMIT_TOY_COMMITTED, commitToySetup } from './test-fixtures.ts';
import { releaseVerifierResources, verifyBundle } from './verify.ts';
import { g1, g2, verifyGroth16Noble } from './verify-noble.ts';

const G1 = bn254.G1.Point.BASE;
const G2 = bn254.G2.Point.BASE;

/** The key the last writer of commitkey.json would like: its own κ′, consistent bases and κ′·G2, the honest history kept. */
function substituteKappa(key: CommitmentKey, kappa: bigint): CommitmentKey {
  return {
    ...key,
    knowledgeBases: key.bases.map((p, j) => g1Json(g1(p, `bases[${j}]`).multiply(kappa))),
    kappa_2: g2Json(G2.multiply(kappa)),
  };
}

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
    key = await createCommitmentKey(vkey, committed);
  });
  after(releaseVerifierResources);

  it('a proof verifies, with snarkjs and noble, against IC0 + W and the statement alone', async () => {
    const { proof, publicSignals } = await prove(11n, w, blind);
    assert.deepEqual(publicSignals.slice(0, 2), ['38', '77']);
    const c = await commitPublicInputs(key, [...w, blind]);
    assert.ok(checkCommitmentKnowledge(key.kappa_2, c));
    const stmt = statementSignals(publicSignals, committed);
    assert.deepEqual(stmt, ['38', '77']);
    const bound = bindCommitment(statementVkey(vkey, key), c.point);
    assert.equal(bound.nPublic, 2);
    assert.equal(await snarkjs.groth16.verify(bound, stmt, proof), true);
    assert.equal(verifyGroth16Noble(bound, proof, stmt), true);
    // A changed output, or the commitment of other weights, fails.
    assert.equal(verifyGroth16Noble(bound, proof, ['39', '77']), false);
    const other = await commitPublicInputs(key, [3n, 6n, 7n, blind]);
    assert.equal(verifyGroth16Noble(bindCommitment(statementVkey(vkey, key), other.point), proof, stmt), false);
  });

  it('the blind hides the weights: the same weights under two blinds give unrelated commitments', async () => {
    const a = await commitPublicInputs(key, [...w, randomScalar()]);
    const b = await commitPublicInputs(key, [...w, randomScalar()]);
    assert.notDeepEqual(a.point, b.point);
    assert.ok(checkCommitmentKnowledge(key.kappa_2, a) && checkCommitmentKnowledge(key.kappa_2, b));
    assert.notEqual(commitmentId(a.point), commitmentId(b.point));
  });

  it('the forgeries a bare point would allow fail the proof of knowledge', async () => {
    const ic = (vkey.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`));
    const honest = await commitPublicInputs(key, [...w, blind]);
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

  it('checkCommitmentKey accepts the key and its rerandomisation, and catches a wrong base', async () => {
    await checkCommitmentKey(vkey, key);
    const next = await rerandomizeCommitmentKey(key);
    await checkCommitmentKey(vkey, next);
    assert.notDeepEqual(next.kappa_2, key.kappa_2);
    // A commitment made under the old κ does not pass under the new one, and vice versa.
    const c = await commitPublicInputs(key, [...w, blind]);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, c), false);
    assert.ok(checkCommitmentKnowledge(next.kappa_2, await commitPublicInputs(next, [...w, blind])));
    const tampered = { ...key, knowledgeBases: [key.knowledgeBases[1]!, ...key.knowledgeBases.slice(1)] };
    await assert.rejects(checkCommitmentKey(vkey, tampered), /knowledge bases are not κ times/);
    const mixed = { ...key, bases: [key.bases[1]!, ...key.bases.slice(1)] };
    await assert.rejects(checkCommitmentKey(vkey, mixed), /base 0 is not/);
  });

  it('bundles: verifyBundle checks the proof of knowledge, then the proof against IC0 + W; the commitment field is exact', async () => {
    const { proof, publicSignals } = await prove(2n, w, blind);
    const commitment = await commitPublicInputs(key, [...w, blind]);
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
    const pin = { expectedVkeyHash: bundle.vkeyHash }; // the statement key this test made itself
    const ok = await verifyBundle(bundle, pin);
    assert.equal(ok.valid, true, ok.reason);
    assert.deepEqual(ok.checks, { snarkjs: true, noble: true, vkeyHash: true, commitment: true });
    // The statement-shifting forgery: the proof checks out against the forged W, the commitment does not.
    const ic1 = g1((vkey.IC as unknown[])[1], 'IC[1]');
    const forged = { ...bundle, commitment: { ...commitment, point: g1Json(g1(commitment.point, 'W').subtract(ic1)) } };
    forged.publicSignals = [(BigInt(bundle.publicSignals[0]!) + 1n).toString(), bundle.publicSignals[1]!];
    forged.public = { y: forged.publicSignals[0]!, z: forged.publicSignals[1]! };
    const report = await verifyBundle(forged, pin);
    assert.equal(report.valid, false);
    assert.deepEqual(report.checks, { snarkjs: true, noble: true, vkeyHash: true, commitment: false });
    assert.match(report.reason!, /proof of knowledge/);
    // Another commitment with a valid proof of knowledge (other weights): the Groth16 check fails.
    const other = await verifyBundle({ ...bundle, commitment: await commitPublicInputs(key, [4n, 5n, 7n, blind]) }, pin);
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
    const contribution = await contributePhase2(circuit, { name: 'commitment key test' });
    assert.equal(contribution.commitmentKey?.index, first.history.length + 1);
    const after = await ensureCircuitSetup(circuit);
    assert.notEqual(after.vkeyHash, setup.vkeyHash, 'δ changed');
    const next = await ensureCommitmentKey(after, committed); // checked against the new vkey inside
    assert.deepEqual(next.bases, first.bases, 'the bases are IC points, which δ does not touch');
    assert.notDeepEqual(next.kappa_2, first.kappa_2);
    // W stays the same; its proof of knowledge must be redone under the new κ.
    const before = await commitPublicInputs(first, [...w, blind]);
    const now = await commitPublicInputs(next, [...w, blind]);
    assert.deepEqual(now.point, before.point);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, before), false);
    assert.equal(checkCommitmentKnowledge(next.kappa_2, now), true);

    // `zkai setup verify` checks the key against the current vkey, its κ history and the history against the zkey chain.
    const verified = await verifyPhase2(circuit);
    assert.deepEqual([verified.valid, verified.commitmentKey], [true, 'valid'], verified.errors.join('; '));
    assert.equal(verified.commitmentKeyHistory!.at(-1)!.zkeyContribution, contribution.hash);
    assert.equal(verified.commitmentKeyHistory!.at(-1)!.hash, contribution.commitmentKey!.hash);
    assert.equal(verified.statementVkeyHash, sha256Hex(canonicalJson(statementVkey(after.vkey, next))));
    assert.ok((await knownVkeyHashes(circuit.id)).includes(verified.statementVkeyHash!));
    const file = path.join(after.dir, COMMITMENT_KEY_FILE);
    const original = await readFile(file, 'utf8');
    try {
      await writeFile(file, JSON.stringify({ ...next, knowledgeBases: [next.knowledgeBases[1], ...next.knowledgeBases.slice(1)] }));
      const tampered = await verifyPhase2(circuit);
      assert.deepEqual([tampered.valid, tampered.commitmentKey], [false, 'invalid']);
      assert.match(tampered.errors.join('; '), /knowledge bases are not κ times/);
      // The last writer's own κ′: refused by verify, by the prover (ensureCommitmentKey) and by the pinning of keys.
      const forged = substituteKappa(next, randomScalar());
      await writeFile(file, JSON.stringify(forged));
      const substituted = await verifyPhase2(circuit);
      assert.deepEqual([substituted.valid, substituted.commitmentKey], [false, 'invalid']);
      assert.match(substituted.errors.join('; '), /κ was substituted/);
      await assert.rejects(ensureCommitmentKey(after, committed), /κ was substituted/);
      assert.ok(!(await knownVkeyHashes(circuit.id)).includes(sha256Hex(canonicalJson(statementVkey(after.vkey, forged)))));
      // Rolled back to the key before the contribution (a valid history, one step short of the zkey's chain).
      await writeFile(file, JSON.stringify(first));
      const rolledBack = await verifyPhase2(circuit);
      assert.equal(rolledBack.valid, false);
      assert.match(rolledBack.errors.join('; '), /last 1 zkey contribution\(s\) did not re-randomise κ/);
    } finally {
      await writeFile(file, original);
    }
  });

  it("κ has a history from κ0 = 1 (the key's creation is contribution #1); each step is chained and checked", async () => {
    assert.equal(key.history.length, 1);
    assert.deepEqual(key.history[0]!.f_2, key.kappa_2, 'κ1 = f1');
    const next = await rerandomizeCommitmentKey(key, { name: 'bob', zkeyContribution: 'ab'.repeat(64) });
    assert.equal(next.history.length, 2);
    assert.deepEqual(next.history[0], key.history[0]);
    assert.deepEqual(next.history[1]!.kappa_2, next.kappa_2);
    assert.equal(next.history[1]!.zkeyContribution, 'ab'.repeat(64));
    await checkCommitmentKey(vkey, next);
    assert.ok(verifyKappaHistory(historyGenesis(next.publicIndices, next.bases), next.history).equals(g2(next.kappa_2, 'κ')));
  });

  it("a substituted κ (the last writer's own κ′, with matching κ′·IC and κ′·G2) is refused, and it would forge", async () => {
    const kappaPrime = randomScalar();
    const forged = substituteKappa(key, kappaPrime);
    // What κ′ buys: a "commitment" W = −(IC0 + Σ s·IC) that cancels any statement, with a valid K = κ′·W.
    const ic = (vkey.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`));
    const zero = ic[0]!.add(ic[1]!.multiply(1234n)).add(ic[2]!.multiply(5678n)).negate();
    const k = g1Json(zero.multiply(kappaPrime));
    assert.equal(checkCommitmentKnowledge(forged.kappa_2, { point: g1Json(zero), knowledge: k }), true, 'κ′ forges');
    await assert.rejects(checkCommitmentKey(vkey, forged), /not the last contribution's κ·G2 \(κ was substituted/);
    // Without a history, or with an empty one, nothing can be checked: refused.
    await assert.rejects(checkCommitmentKey(vkey, { ...forged, history: [] }), /history: missing/);
    await assert.rejects(checkCommitmentKey(vkey, { ...forged, version: 1 } as unknown as CommitmentKey), /version 1/);
    // The attacker appends a step of its own (a secret f′ it knows, a valid proof) that claims κ′: the κ step fails.
    const f = randomScalar();
    const last = key.history.at(-1)!;
    const step = signKappaEntry(
      last.hash,
      {
        index: 2,
        name: 'mallory',
        zkeyContribution: '',
        f_1: g1Json(G1.multiply(f)),
        f_2: g2Json(G2.multiply(f)),
        kappa_2: forged.kappa_2,
      },
      f,
    );
    await assert.rejects(checkCommitmentKey(vkey, { ...forged, history: [...key.history, step] }), /#2 \("mallory"\): κ·G2 is not f times/);
  });

  it('a forged proof of knowledge, an f·G2 that does not match, a replayed or edited step are refused', async () => {
    const genesis = historyGenesis(key.publicIndices, key.bases);
    const f1 = randomScalar();
    const first = appendKappaContribution(genesis, [], f1, { name: 'alice' });
    // The test knows κ1 = f1, so it can build the step an attacker would need to reach a κ′ it knows: f = κ′/κ1 makes
    // every pairing check hold. Without f (the attacker's case) its proof of knowledge is made with another scalar.
    const kappaPrime = randomScalar();
    const f = (kappaPrime * invMod(f1, BN254_R)) % BN254_R;
    const fields = {
      index: 2,
      name: 'mallory',
      zkeyContribution: '',
      f_1: g1Json(G1.multiply(f)),
      f_2: g2Json(G2.multiply(f)),
      kappa_2: g2Json(G2.multiply(kappaPrime)),
    };
    const forgedPok = signKappaEntry(first.hash, fields, (f + 1n) % BN254_R);
    assert.throws(() => verifyKappaHistory(genesis, [first, forgedPok]), /#2 \("mallory"\): its proof of knowledge of f does not verify/);
    const known = signKappaEntry(first.hash, fields, f); // control: with the real f the same step verifies
    assert.ok(verifyKappaHistory(genesis, [first, known]).equals(G2.multiply(kappaPrime)));
    // f·G2 that is not the f of f·G1 (proof of knowledge of f valid).
    const wrongF2 = signKappaEntry(first.hash, { ...fields, f_2: g2Json(G2.multiply(f + 1n)) }, f);
    assert.throws(() => verifyKappaHistory(genesis, [first, wrongF2]), /#2 \("mallory"\): f·G2 does not match f·G1/);
    // An honest step replayed after another first step: its proof is bound to the previous entry's hash.
    const second = appendKappaContribution(genesis, [first], randomScalar(), { name: 'bob' });
    const otherFirst = appendKappaContribution(genesis, [], randomScalar(), { name: 'alice' });
    assert.throws(() => verifyKappaHistory(genesis, [otherFirst, second]), /#2 \("bob"\): its proof of knowledge/);
    // Edits: a renamed step, a rewritten hash, a history moved to a key with other bases, entries out of order.
    assert.throws(() => verifyKappaHistory(genesis, [{ ...first, name: 'eve' }, second]), /#1 \("eve"\): its proof/);
    assert.throws(() => verifyKappaHistory(genesis, [{ ...first, hash: second.hash }, second]), /hash does not cover/);
    assert.throws(() => verifyKappaHistory(historyGenesis([2, 3], key.bases.slice(0, 2)), [first]), /#1 \("alice"\): its proof/);
    assert.throws(() => verifyKappaHistory(genesis, [second, first]), /#1 says it is #2/);
    assert.ok(verifyKappaHistory(genesis, [first, second]));
  });

  it('refuses bad indices and values', async () => {
    await assert.rejects(createCommitmentKey(vkey, [2, 2]), /distinct/);
    await assert.rejects(createCommitmentKey(vkey, [0, 1, 2, 3, 4, 5]), /at least one public signal uncommitted/);
    await assert.rejects(createCommitmentKey(vkey, [6]), /\[0, 6\)/);
    await assert.rejects(commitPublicInputs(key, [1n]), /expected 4 committed values/);
    await assert.rejects(commitPublicInputs(key, [1n, 2n, 3n, -1n]), /not a field element/);
  });
});
