import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { runZkai } from './run-cli.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

const zkai = runZkai;

describe('zkai model compile → model prove → verify', () => {
  let dir: string;
  const row = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n')[152]!.split(',').map(Number);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-model-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('compile prints the per-layer constraints, the agreement and the weight commitment', () => {
    const res = zkai(
      [
        'model',
        'compile',
        path.join(FIXTURES, 'mlp_digits.onnx'),
        '--calibration',
        path.join(FIXTURES, 'digits_test.csv'),
        '--out',
        'mlp',
        '--name',
        'mlp-digits',
      ],
      dir,
    );
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.ok(out.agreement.agreement >= 0.97);
    assert.match(out.weightCommitment, /^\d+$/);
    // Pedersen weights by default: W and its proof of knowledge, to register on chain.
    assert.equal(out.commitment.point.length, 3);
    assert.match(res.stderr, /constraints per layer/);
    assert.match(res.stderr, /total\s+\d+/);
  });

  it('prove makes a bundle that verify accepts (exit 0); a changed logit is refused (exit 1)', async () => {
    await writeFile(path.join(dir, 'input.json'), JSON.stringify({ input: row.slice(0, 64) }));
    const res = zkai(['model', 'prove', 'mlp', '--input', 'input.json', '--out', 'proof.json'], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).label, String(row[64]));
    // Logits are printed signed (issue 16: a negative one showed as a field element), and are the bundle's.
    const printed = JSON.parse(res.stdout).logits as string[];
    const written = JSON.parse(await readFile(path.join(dir, 'proof.json'), 'utf8'));
    assert.deepEqual(printed, written.metadata.logits);
    assert.ok(
      printed.some((l) => l.startsWith('-')),
      'this row has a negative logit',
    );
    const verified = JSON.parse(zkai(['verify', 'proof.json'], dir).stdout);
    assert.deepEqual(verified.outputs, { logits: printed, label: String(row[64]) });
    // No --owner and no ZKAI_CHAIN_KEY (run-cli.ts passes the environment): bound to nobody, and said so.
    if (!process.env.ZKAI_CHAIN_KEY) {
      assert.match(res.stderr, /bound to no registrant \(binding 0\)/);
      assert.equal(JSON.parse(res.stdout).public.binding, `0x${'0'.repeat(40)}`);
    }
    assert.equal(zkai(['verify', 'proof.json'], dir).code, 0);
    // Without ZKAI_HOME, from a folder inside the project whose .zkai compiled the model (issue 16: "no trusted key"
    // when the command ran elsewhere than the service): the project's data directory is found, and its key pinned.
    const fromInside = zkai(['verify', path.join(dir, 'proof.json')], path.join(REPO_ROOT, 'circuits', 'model'), null);
    assert.equal(fromInside.code, 0, fromInside.stderr);
    assert.equal(JSON.parse(fromInside.stdout).keys, 'local');

    const bundle = JSON.parse(await readFile(path.join(dir, 'proof.json'), 'utf8'));
    const i = bundle.publicSignals.length - 3; // the last logit: [inputHash, logits…, label, binding]
    bundle.publicSignals[i] = (BigInt(bundle.publicSignals[i]) + 1n).toString();
    bundle.public['logits[9]'] = bundle.publicSignals[i];
    await writeFile(path.join(dir, 'tampered.json'), JSON.stringify(bundle));
    assert.equal(zkai(['verify', 'tampered.json'], dir).code, 1);

    // A commitment whose proof of knowledge is another point's is refused too (exit 1).
    const forged = JSON.parse(await readFile(path.join(dir, 'proof.json'), 'utf8'));
    forged.commitment.knowledge = forged.commitment.point;
    await writeFile(path.join(dir, 'forged.json'), JSON.stringify(forged));
    const refused = zkai(['verify', 'forged.json'], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /"commitment": false/);
  });

  it('prove --owner binds the proof to that address (the last public signal); a bad address is refused (exit 2)', async () => {
    const owner = '0x00000000000000000000000000000000DeaDBeef';
    const res = zkai(['model', 'prove', 'mlp', '--input', 'input.json', '--out', 'bound.json', '--owner', owner], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /bound to no registrant/);
    const bundle = JSON.parse(await readFile(path.join(dir, 'bound.json'), 'utf8'));
    assert.equal(bundle.public.binding, owner.toLowerCase());
    assert.equal(BigInt(bundle.publicSignals.at(-1)), BigInt(owner));
    assert.equal(zkai(['verify', 'bound.json'], dir).code, 0);
    // The binding is proven: re-binding the proof to another address makes it invalid.
    bundle.publicSignals[bundle.publicSignals.length - 1] = String(BigInt(owner) + 1n);
    bundle.public.binding = `0x${(BigInt(owner) + 1n).toString(16).padStart(40, '0')}`;
    await writeFile(path.join(dir, 'rebound.json'), JSON.stringify(bundle));
    assert.equal(zkai(['verify', 'rebound.json'], dir).code, 1);
    const refused = zkai(['model', 'prove', 'mlp', '--input', 'input.json', '--out', 'x.json', '--owner', '0x1234'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--owner "0x1234" is not an Ethereum address/);
  });

  it('--lookups logup: compile, prove (two rounds, D in the bundle), verify; a swapped D or a changed α is refused', async () => {
    const compiled = zkai(
      [
        'model',
        'compile',
        path.join(FIXTURES, 'mlp_digits.onnx'),
        '--calibration',
        path.join(FIXTURES, 'digits_test.csv'),
        '--out',
        'mlp-logup',
        '--name',
        'mlp-digits-logup',
        '--lookups',
        'logup',
      ],
      dir,
    );
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.match(compiled.stderr, /LogUp tables/);
    const manifest = JSON.parse(await readFile(path.join(dir, 'mlp-logup', 'model.json'), 'utf8'));
    assert.equal(manifest.lookups, 'logup');
    assert.deepEqual(manifest.publicSignals.slice(-2), ['logupAlpha', 'binding']);
    const res = zkai(['model', 'prove', 'mlp-logup', '--input', 'input.json', '--out', 'logup.json'], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).label, String(row[64]));
    const bundle = JSON.parse(await readFile(path.join(dir, 'logup.json'), 'utf8'));
    assert.equal(bundle.lookupCommitment.point.length, 3);
    const ok = zkai(['verify', 'logup.json'], dir);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /"challenge": true/);
    // α is a statement signal: changed, it no longer equals H(D).
    const alphaAt = manifest.publicSignals.indexOf('logupAlpha');
    const moved = structuredClone(bundle);
    moved.publicSignals[alphaAt] = (BigInt(moved.publicSignals[alphaAt]) + 1n).toString();
    moved.public.logupAlpha = moved.publicSignals[alphaAt];
    await writeFile(path.join(dir, 'logup-alpha.json'), JSON.stringify(moved));
    const alpha = zkai(['verify', 'logup-alpha.json'], dir);
    assert.equal(alpha.code, 1);
    assert.match(alpha.stdout, /CHALLENGE_MISMATCH/);
    // D without its proof of knowledge.
    const forged = structuredClone(bundle);
    forged.lookupCommitment.knowledge = forged.lookupCommitment.point;
    await writeFile(path.join(dir, 'logup-forged.json'), JSON.stringify(forged));
    const refused = zkai(['verify', 'logup-forged.json'], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /COMMITMENT_INVALID/);
  });

  it('prove refuses an input of the wrong size (exit 2)', async () => {
    await writeFile(path.join(dir, 'short.json'), JSON.stringify([1, 2, 3]));
    const res = zkai(['model', 'prove', 'mlp', '--input', 'short.json', '--out', 'x.json'], dir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /64 finite numbers/);
  });
});
