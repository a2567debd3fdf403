import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { isZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { makeBundle, type ProofBundle, parseBundle } from './bundle.ts';
import { proofBundleSchema } from './bundle-schema.ts';
import { type Groth16Fixture, membershipInput, membershipTestSetup, proveWithSnarkjs, type SnarkjsProof } from './test-fixtures.ts';
import { releaseVerifierResources } from './verify.ts';

const CONTRIBUTOR = 0x00c0ffee00000000000000000000000000000042n;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Asserts parseBundle rejects `json` with BAD_BUNDLE and a message naming `field`. */
function rejects(json: unknown, field: string, why?: string): void {
  assert.throws(
    () => parseBundle(json),
    (err: unknown) => {
      assert.ok(isZkaiError(err), `not a ZkaiError: ${String(err)}`);
      assert.equal(err.code, 'BAD_BUNDLE');
      assert.ok(err.message.includes(`bundle.${field}`), `message ${JSON.stringify(err.message)} does not name bundle.${field}`);
      return true;
    },
    why ?? field,
  );
}

describe('proof bundle', () => {
  let fx: Groth16Fixture;
  let proof: SnarkjsProof;
  let signals: string[];
  let bundle: ProofBundle;

  before(async () => {
    fx = await membershipTestSetup(2);
    const records = [{ recordId: 9n, contributor: CONTRIBUTOR, contentHi: 1n, contentLo: 2n, weight: 250n }];
    ({ proof, publicSignals: signals } = await proveWithSnarkjs(fx, await membershipInput(records, 0, 3n)));
    bundle = makeBundle({
      kind: 'membership',
      circuitId: fx.circuit.id,
      vkey: fx.vkey,
      proof,
      publicSignals: signals,
      metadata: { engine: 'snarkjs@0.7.6', provingMs: 512, insecureSetup: true, setup: 'insecure test ptau', datasetId: 'ds-1' },
    });
  });

  after(async () => {
    await releaseVerifierResources();
  });

  test('makeBundle fills in the hash, names and time, and the result parses after a JSON round trip', () => {
    assert.equal(bundle.format, 'zkai-proof-bundle');
    assert.equal(bundle.version, 1);
    assert.equal(bundle.vkeyHash, sha256Hex(canonicalJson(fx.vkey)));
    assert.equal(bundle.vkeyHash, fx.vkeyHash);
    assert.deepEqual(Object.keys(bundle.public), ['root', 'total', 'contributor', 'weight', 'epoch', 'nullifier']);
    assert.equal(bundle.public.total, '250');
    assert.equal(bundle.public.contributor, '0x00c0ffee00000000000000000000000000000042');
    assert.equal(bundle.public.weight, '250');
    assert.equal(bundle.public.epoch, '3');
    assert.equal(bundle.public.root, signals[0]);
    assert.ok(!Number.isNaN(Date.parse(bundle.metadata.createdAt)));
    assert.equal(bundle.metadata.datasetId, 'ds-1');
    const again = parseBundle(JSON.parse(JSON.stringify(bundle)));
    assert.deepEqual(again, clone(bundle));
  });

  test('a checksummed (mixed-case) contributor address is accepted', () => {
    const b = clone(bundle);
    b.public.contributor = '0x00C0FFEE00000000000000000000000000000042';
    assert.equal(parseBundle(b).public.contributor, b.public.contributor);
  });

  test('a tampered `public` is caught', () => {
    const other = (mutate: (b: ProofBundle) => void) => {
      const b = clone(bundle);
      mutate(b);
      return b;
    };
    rejects(
      other((b) => {
        b.public.contributor = '0x00c0ffee00000000000000000000000000000043';
      }),
      'public.contributor',
    );
    rejects(
      other((b) => {
        b.public.contributor = signals[2]!; // a decimal where an address belongs
      }),
      'public.contributor',
    );
    rejects(
      other((b) => {
        b.public.weight = '251';
      }),
      'public.weight',
    );
    rejects(
      other((b) => {
        b.public.root = `${b.public.root}0`;
      }),
      'public.root',
    );
    rejects(
      other((b) => {
        delete (b.public as Record<string, string | undefined>).nullifier;
      }),
      'public',
    );
    rejects(
      other((b) => {
        b.public.extra = '1';
      }),
      'public',
    );
    rejects(
      other((b) => {
        // the signal changes but its name does not
        b.publicSignals[3] = '251';
      }),
      'public.weight',
    );
  });

  test('a tampered vkeyHash or vkey is caught', () => {
    const b1 = clone(bundle);
    b1.vkeyHash = sha256Hex('another key');
    rejects(b1, 'vkeyHash');
    const b2 = clone(bundle);
    (b2.vkey.IC as string[][])[1]![0] = '1';
    rejects(b2, 'vkeyHash', 'vkey changed, hash kept');
    const b3 = clone(bundle);
    b3.vkeyHash = b3.vkeyHash.toUpperCase();
    rejects(b3, 'vkeyHash', 'uppercase hash');
  });

  test('every field is validated, and the error names it', () => {
    const set = (path: string[], value: unknown) => {
      const b = clone(bundle) as unknown as Record<string, unknown>;
      let o = b;
      for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
      if (value === undefined) delete o[path.at(-1)!];
      else o[path.at(-1)!] = value;
      return b;
    };
    const cases: [string[], unknown, string][] = [
      [['format'], 'zkai-bundle', 'format'],
      [['version'], 2, 'version'],
      [['version'], '1', 'version'],
      [['kind'], 'other', 'kind'],
      [['circuitId'], '../etc/passwd', 'circuitId'],
      [['circuitId'], 42, 'circuitId'],
      [['vkeyHash'], 'abc', 'vkeyHash'],
      [['vkey'], [], 'vkey'],
      [['vkey', 'protocol'], 'plonk', 'vkey.protocol'],
      [['vkey', 'curve'], 'bls12381', 'vkey.curve'],
      [['vkey', 'nPublic'], 4, 'vkey.IC'],
      [['vkey', 'nPublic'], 1.5, 'vkey.nPublic'],
      [['vkey', 'vk_alpha_1'], ['1', '2'], 'vkey.vk_alpha_1'],
      [
        ['vkey', 'vk_delta_2'],
        [
          ['1', '2'],
          ['3', 'x'],
          ['1', '0'],
        ],
        'vkey.vk_delta_2[1][1]',
      ],
      [['proof'], undefined, 'proof'],
      [['proof', 'pi_a'], ['1', '2', 'three'], 'proof.pi_a[2]'],
      [
        ['proof', 'pi_b'],
        [
          ['1', '2'],
          ['3', '4'],
        ],
        'proof.pi_b',
      ],
      [['proof', 'pi_c'], [1, 2, 1], 'proof.pi_c[0]'],
      [['proof', 'protocol'], undefined, 'proof.protocol'],
      [['publicSignals'], 'all of them', 'publicSignals'],
      [['publicSignals'], ['1', '2', '3', '4'], 'publicSignals'],
      [['publicSignals', '0'], '-1', 'publicSignals[0]'],
      [['publicSignals', '0'], '0x10', 'publicSignals[0]'],
      [['publicSignals', '0'], '007', 'publicSignals[0]'],
      [['publicSignals', '0'], 7, 'publicSignals[0]'],
      [['public'], null, 'public'],
      [['public', 'weight'], 250, 'public.weight'],
      [['metadata'], undefined, 'metadata'],
      [['metadata', 'createdAt'], 'yesterday', 'metadata.createdAt'],
      [['metadata', 'createdAt'], '2024-02-31T00:00:00Z', 'metadata.createdAt'],
      [['metadata', 'engine'], '', 'metadata.engine'],
      [['metadata', 'provingMs'], -1, 'metadata.provingMs'],
      [['metadata', 'insecureSetup'], undefined, 'metadata.insecureSetup'],
      [['metadata', 'insecureSetup'], 'no', 'metadata.insecureSetup'],
      [['metadata', 'setup'], 5, 'metadata.setup'],
      [['surprise'], 1, 'surprise'],
    ];
    for (const [path, value, field] of cases) rejects(set(path, value), field, `${path.join('.')} = ${JSON.stringify(value)}`);
    assert.throws(() => parseBundle('{}'), /expected a JSON object/);
    assert.throws(() => parseBundle(null), /expected a JSON object/);
  });

  test('makeBundle refuses what it cannot name', () => {
    const base = {
      kind: 'membership' as const,
      circuitId: fx.circuit.id,
      vkey: fx.vkey,
      proof,
      metadata: { engine: 'x', insecureSetup: true },
    };
    assert.throws(() => makeBundle({ ...base, publicSignals: signals.slice(0, 4) }), /4 public signals but 6 names/);
    const wide = [...signals];
    wide[2] = (1n << 160n).toString(); // the contributor
    assert.throws(() => makeBundle({ ...base, publicSignals: wide }), /not a 160-bit address/);
    assert.throws(() => makeBundle({ ...base, kind: 'inference', publicSignals: signals }), /needs signalNames/);
  });

  test("makeBundle takes the caller's `public` map, and checks it", () => {
    const base = {
      kind: 'membership' as const,
      circuitId: fx.circuit.id,
      vkey: fx.vkey,
      proof,
      publicSignals: signals,
      metadata: { engine: 'x', insecureSetup: true },
    };
    const named = { ...bundle.public };
    assert.deepEqual(makeBundle({ ...base, public: named }).public, named);
    assert.throws(() => makeBundle({ ...base, public: { ...named, weight: '1' } }), /bundle\.public\.weight/);
  });

  test('inference bundles name their signals from the circuit, and parse by key order', () => {
    const names = ['modelCommitment', 'inputHash', 'out_0', 'out_1', 'out_2', 'out_3'];
    const b = makeBundle({
      kind: 'inference',
      circuitId: fx.circuit.id,
      vkey: fx.vkey,
      proof,
      publicSignals: signals,
      signalNames: names,
      metadata: { engine: 'x', insecureSetup: true },
    });
    assert.deepEqual(Object.keys(b.public), names);
    assert.equal(b.public.inputHash, signals[1]); // no address formatting for inference
    const round = parseBundle(JSON.parse(JSON.stringify(b)));
    assert.deepEqual(round.public, b.public);
    // reorder the names: the values no longer line up with publicSignals
    const swapped = clone(b);
    swapped.public = {
      inputHash: b.public.inputHash!,
      modelCommitment: b.public.modelCommitment!,
      out_0: '0',
      out_1: '0',
      out_2: '0',
      out_3: '0',
    };
    assert.throws(() => parseBundle(swapped), /bundle\.public\./);
    // explicit names override the key order
    assert.deepEqual(parseBundle(JSON.parse(JSON.stringify(b)), { signalNames: names }).public, b.public);
  });

  test('proofBundleSchema works as a fastify body schema', async () => {
    const app = Fastify();
    app.post('/bundles', { schema: { body: proofBundleSchema } }, async (req) => ({ vkeyHash: parseBundle(req.body).vkeyHash }));
    await app.ready();
    try {
      const ok = await app.inject({ method: 'POST', url: '/bundles', payload: bundle });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().vkeyHash, bundle.vkeyHash);
      const missing = clone(bundle) as Partial<ProofBundle>;
      delete missing.proof;
      const r1 = await app.inject({ method: 'POST', url: '/bundles', payload: missing });
      assert.equal(r1.statusCode, 400);
      assert.match(r1.json().message, /proof/);
      const badSignal = clone(bundle);
      badSignal.publicSignals[0] = 'abc';
      const r2 = await app.inject({ method: 'POST', url: '/bundles', payload: badSignal });
      assert.equal(r2.statusCode, 400);
      assert.match(r2.json().message, /publicSignals/);
    } finally {
      await app.close();
    }
  });
});
