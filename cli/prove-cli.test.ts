// `zkai prove <zkey> <wtns> <proof.json> <public.json>`, both as TypeScript (tsx) and as the compiled bundle: the
// files are what the snarkjs CLI writes (same JSON layout, same public signals) and snarkjs verifies the proof; a
// bad zkey or witness is one typed line on stderr and exit 2; a stale bundle is never run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as snarkjs from 'snarkjs';
import { REPO_ROOT } from '../common/config.ts';
import { loadNativeEngine } from '../prover/native/index.ts';
import { type Groth16Fixture, membershipInput, membershipTestSetup } from '../prover/test-fixtures.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { currentBundle, currentProveBundle } from './bundles.mjs';

const BIN = path.join(REPO_ROOT, 'cli', 'bin.js');

let dir: string;
let dist: string;
let fixture: Groth16Fixture;
let wtns: string;
/** What `snarkjs groth16 prove` writes to public.json for this witness. */
let expectedPublic: string;

function run(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `zkai prove` through the TypeScript CLI, or straight from the test's compiled bundle. */
const viaTsx = (args: string[], env: Record<string, string> = {}) => run([BIN, 'prove', ...args], { ZKAI_CLI_BUNDLE: 'off', ...env });
const viaBundle = (args: string[], env: Record<string, string> = {}) => run([path.join(dist, 'prove.mjs'), 'prove', ...args], env);

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-prove-cli-'));
  // Inside the repository (cli/dist is ignored), where the bundle resolves its packages as cli/dist/prove.mjs does.
  dist = path.join(REPO_ROOT, 'cli', 'dist', `test-${process.pid}`);
  const built = spawnSync(process.execPath, [path.join(REPO_ROOT, 'cli', 'build-bundle.mjs'), dist], { encoding: 'utf8' });
  assert.match(built.stdout, /zkai prove compiled/, `bundle build: ${built.stdout}${built.stderr}`);
  fixture = await membershipTestSetup(2);
  const records = [1n, 2n, 3n].map((i) => ({ recordId: i, contributor: 100n + i, contentHi: 7n, contentLo: 8n, weight: 10n * i }));
  const input = await membershipInput(records, 1, 5n, 2);
  wtns = path.join(dir, 'witness.wtns');
  await snarkjs.wtns.calculate(input, fixture.circuit.wasmPath, wtns);
  const reference = (await snarkjs.groth16.prove(fixture.zkeyPath, wtns)) as { publicSignals: string[] };
  expectedPublic = JSON.stringify(reference.publicSignals, null, 1);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (dist) await rm(dist, { recursive: true, force: true });
  await releaseVerifierResources(); // snarkjs's worker threads would keep the test process alive
});

async function checkOutputs(proofFile: string, publicFile: string): Promise<void> {
  const proofText = await readFile(path.join(dir, proofFile), 'utf8');
  const publicText = await readFile(path.join(dir, publicFile), 'utf8');
  assert.equal(publicText, expectedPublic, 'public.json is byte for byte what snarkjs writes');
  const proof = JSON.parse(proofText);
  // snarkjs's layout: bfj with one-space indent, keys in its order, no final newline.
  assert.equal(proofText, JSON.stringify(proof, null, 1));
  assert.deepEqual(Object.keys(proof), ['pi_a', 'pi_b', 'pi_c', 'protocol', 'curve']);
  assert.equal(await snarkjs.groth16.verify(fixture.vkey, JSON.parse(publicText), proof), true, 'snarkjs verifies the proof');
  // Another statement under the same proof must not verify (the check above can fail).
  const other = JSON.parse(publicText) as string[];
  other[4] = String(BigInt(other[4]!) + 1n);
  assert.equal(await snarkjs.groth16.verify(fixture.vkey, other, proof), false);
}

for (const [label, prove] of [
  ['TypeScript CLI', viaTsx],
  ['compiled bundle', viaBundle],
] as const) {
  describe(`zkai prove (${label})`, () => {
    it('writes a proof snarkjs verifies and the public signals snarkjs writes, silently on the native engine', async () => {
      const res = prove([fixture.zkeyPath, wtns, `proof-${label}.json`, `public-${label}.json`]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '');
      if (loadNativeEngine()) assert.equal(res.stderr, '', 'no fallback note when the native engine is built');
      await checkOutputs(`proof-${label}.json`, `public-${label}.json`);
    });

    it('proves with snarkjs when asked (ZKAI_ENGINE=snarkjs), same files', async () => {
      const res = prove([fixture.zkeyPath, wtns, `sj-proof-${label}.json`, `sj-public-${label}.json`], { ZKAI_ENGINE: 'snarkjs' });
      assert.equal(res.code, 0, res.stderr);
      await checkOutputs(`sj-proof-${label}.json`, `sj-public-${label}.json`);
    });

    it('a bad zkey or witness is one typed line on stderr and exit 2', async () => {
      const zkey = await readFile(fixture.zkeyPath);
      await writeFile(path.join(dir, 'truncated.zkey'), zkey.subarray(0, zkey.byteLength - 100));
      await writeFile(path.join(dir, 'garbage.zkey'), Buffer.from('this is not a proving key at all'));
      await writeFile(path.join(dir, 'truncated.wtns'), (await readFile(wtns)).subarray(0, 200));
      const cases: [string[], RegExp][] = [
        [['garbage.zkey', wtns], /not a usable Groth16 zkey: magic is "this"/],
        [['truncated.zkey', wtns], /not a usable Groth16 zkey: truncated/],
        [[fixture.zkeyPath, 'truncated.wtns'], /not a usable BN254 witness: truncated/],
        [[fixture.zkeyPath, fixture.zkeyPath], /not a usable BN254 witness: magic is "zkey"/],
        [[fixture.zkeyPath, 'missing.wtns'], /cannot read the witness missing\.wtns/],
      ];
      for (const [inputs, message] of cases) {
        const res = prove([...inputs, 'p.json', 'q.json']);
        assert.equal(res.code, 2, `${inputs.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, /^error \[BAD_INPUT\]: [^\n]*\n$/, 'exactly one line');
        assert.match(res.stderr, message);
      }
      const usage = prove([fixture.zkeyPath, wtns, 'p.json']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /^error \[BAD_INPUT\]: usage: zkai prove <circuit\.zkey> <witness\.wtns> <proof\.json> <public\.json>\n$/);
    });
  });
}

describe('zkai prove: which code runs', () => {
  it('a witness of another circuit is refused before proving', async () => {
    const other = await membershipTestSetup(4);
    const res = viaBundle([other.zkeyPath, wtns, 'p.json', 'q.json']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^error \[BAD_INPUT\]: the witness has \d+ values, the proving key's circuit has \d+ variables\n$/);
  });

  it('the bundle is current while its sources are unchanged, and stale once one differs', async () => {
    const url = pathToFileURL(`${dist}/`);
    assert.equal(currentProveBundle(url), pathToFileURL(path.join(dist, 'prove.mjs')).href);
    const stale = path.join(dir, 'stale');
    await cp(dist, stale, { recursive: true });
    const meta = JSON.parse(await readFile(path.join(stale, 'prove.meta.json'), 'utf8')) as { inputs: { file: string; size: number }[] };
    assert.ok(
      meta.inputs.some((i) => i.file === 'prover/groth16/prove.ts'),
      'the prover is among the recorded sources',
    );
    meta.inputs.find((i) => i.file === 'prover/groth16/prove.ts')!.size += 1;
    await writeFile(path.join(stale, 'prove.meta.json'), JSON.stringify(meta));
    assert.equal(currentProveBundle(pathToFileURL(`${stale}/`)), null);
    assert.equal(currentProveBundle(pathToFileURL(`${path.join(dir, 'nowhere')}/`)), null);
  });
});

describe('the compiled full CLI (cli/dist/zkai, every command)', () => {
  const viaFullBundle = (args: string[], env: Record<string, string> = {}) => run([path.join(dist, 'zkai', 'main.js'), ...args], env);

  it('ZKAI_ENGINE=wasm (the full engine selection, left out of the prove bundle) proves; snarkjs verifies', async () => {
    const res = viaFullBundle(['prove', fixture.zkeyPath, wtns, 'wasm-proof.json', 'wasm-public.json'], { ZKAI_ENGINE: 'wasm' });
    assert.equal(res.code, 0, res.stderr);
    await checkOutputs('wasm-proof.json', 'wasm-public.json');
  });

  it('prints what the TypeScript prints (zkai config), and is current only while its sources are unchanged', async () => {
    const compiled = viaFullBundle(['config'], { ZKAI_CLI_BUNDLE: 'off' });
    const ts = run([BIN, 'config'], { ZKAI_CLI_BUNDLE: 'off' });
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.equal(compiled.stdout, ts.stdout);
    assert.match(compiled.stdout, /ZKAI_CLI_BUNDLE/);

    const url = pathToFileURL(`${dist}/`);
    assert.equal(currentBundle(url, 'zkai'), pathToFileURL(path.join(dist, 'zkai', 'main.js')).href);
    const stale = path.join(dir, 'stale-cli');
    await cp(dist, stale, { recursive: true });
    const meta = JSON.parse(await readFile(path.join(stale, 'zkai.meta.json'), 'utf8')) as { inputs: { file: string; mtimeMs: number }[] };
    const main = meta.inputs.find((i) => i.file === 'cli/main.ts');
    assert.ok(main, 'cli/main.ts is among the recorded sources');
    main.mtimeMs += 1;
    await writeFile(path.join(stale, 'zkai.meta.json'), JSON.stringify(meta));
    assert.equal(currentBundle(pathToFileURL(`${stale}/`), 'zkai'), null);
  });
});
