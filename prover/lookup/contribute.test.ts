/**
 * The lookup key's κ is toxic waste of its own (whoever knows it can open D to out-of-range limbs): `zkai setup
 * contribute` re-randomises it with the zkey, its history is bound to the zkey's contribution chain, and `zkai setup
 * verify` checks it. A circuit of its own (LogUpRangeDemo(3, 8, 4)), since contributing changes the cached setup.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildCircuit } from '../../circuits/build.ts';
import { canonicalJson, sha256Hex } from '../../common/hash.ts';
import { contributePhase2, LOOKUP_KEY_FILE, verifyPhase2 } from '../setup/index.ts';
import { knownVkeyHashes } from '../setup/known-keys.ts';
import { releaseVerifierResources } from '../verify.ts';
import { proveWithLookups } from './prove.ts';
import { ensureLookupSetup } from './setup.ts';
import { demoSpec } from './test-forge.ts';
import { verifyLookupProof } from './verify.ts';

after(releaseVerifierResources);

describe('lookup keys in a ceremony: `zkai setup contribute` re-randomises the lookup key’s κ', () => {
  it('contribute → a new κ bound to the contribution; proofs verify under the new statement key only; verify checks it', async () => {
    const circuit = await buildCircuit({ ...demoSpec(3, 8, 4), name: 'logup-contribute-3x8-b4' });
    const before = await ensureLookupSetup(circuit);
    const x = { x: ['1', '200', '255'] };
    const old = await proveWithLookups(before, x);
    const contribution = await contributePhase2(circuit, { name: 'lookup key test' });
    assert.equal(contribution.lookupKey?.index, before.key.history.length + 1);
    const now = await ensureLookupSetup(circuit);
    assert.deepEqual(now.key.bases, before.key.bases, 'the bases are IC points, which δ does not touch');
    assert.notDeepEqual(now.key.kappa_2, before.key.kappa_2, 'κ re-randomised');
    assert.equal(now.key.history.at(-1)!.zkeyContribution, contribution.hash);
    const proof = await proveWithLookups(now, x);
    assert.deepEqual(verifyLookupProof(now.statementKey, proof), { ok: true });
    // A proof made under the old κ: its D's proof of knowledge no longer matches the key.
    assert.deepEqual(verifyLookupProof(now.statementKey, old), { ok: false, reason: 'COMMITMENT_INVALID' });
    const hash = sha256Hex(canonicalJson(now.statementKey));
    assert.ok((await knownVkeyHashes(circuit.id)).includes(hash), 'the CLI trusts the new statement key');
    assert.ok(!(await knownVkeyHashes(circuit.id)).includes(sha256Hex(canonicalJson(before.statementKey))));

    const verified = await verifyPhase2(circuit);
    assert.deepEqual([verified.valid, verified.lookupKey], [true, 'valid'], verified.errors.join('; '));
    assert.equal(verified.lookupKeyHistory!.at(-1)!.hash, contribution.lookupKey!.hash);
    // Rolled back to the key before the contribution: a valid history, one step short of the zkey chain.
    const file = path.join(now.setup.dir, LOOKUP_KEY_FILE);
    const current = await readFile(file, 'utf8');
    try {
      await writeFile(file, JSON.stringify(before.key));
      const rolledBack = await verifyPhase2(circuit);
      assert.deepEqual([rolledBack.valid, rolledBack.lookupKey], [false, 'invalid']);
      assert.match(rolledBack.errors.join('; '), /lookup key .*did not re-randomise κ/);
    } finally {
      await writeFile(file, current);
    }
  });
});
