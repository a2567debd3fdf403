/**
 * The on-chain model commands through the CLI, as a provider and an auditor would run them, against a dev chain:
 * compile (Pedersen weights) → prove → model deploy → model register → model audit → model attest → model audit;
 * a proof of another commitment of the same circuit fails the audit, a second attestation reverts AlreadyAttested;
 * a copy of the model registered by another account attests none of the provider's proofs (BindingMismatch); and a
 * model with Poseidon-committed weights registers and attests too, and so does one compiled with LogUp lookups (its
 * proofs carry D: forged lookups are refused on chain).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JsonRpcProvider, Wallet } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { commitmentId } from '../prover/commitment.ts';
import { type DevChain, freePort, startDevChain } from '../verifier-contracts/chain.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installContractSource } from '../verifier-contracts/generated.ts';
import {
  attestInference,
  circuitIdHash,
  committedAttestSignals,
  inferenceAttestorAt,
  modelRegistryAt,
  registerCommittedModel,
} from '../verifier-contracts/models.ts';
import { verifierContractName } from './model-chain.ts';
import { runZkai } from './run-cli.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const row = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n')[150]!.split(',').map(Number);

describe('zkai model deploy / register / attest / audit on a dev chain', () => {
  let dir: string;
  let chain: DevChain;
  let rpc: string;
  let attestor: string;
  let registry: string;
  let modelId: string;
  /** The Pedersen model's attestation (gas, next to the lookup model's). */
  let pedersenAttestTx: string;
  /** The provider: the dev account the CLI signs with when ZKAI_CHAIN_KEY is unset, so the registrant. */
  let provider: string;
  // Without ZKAI_CHAIN_KEY the CLI signs with the dev account on a local chain (and says so); ensure it is unset.
  const savedKey = process.env.ZKAI_CHAIN_KEY;

  const zkai = (args: string[]) => runZkai(args, dir);
  const ok = (args: string[]) => {
    const res = zkai(args);
    assert.equal(res.code, 0, `zkai ${args.join(' ')}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  /** The digits MLP compiled into `out` (`extra`: more flags, e.g. lookups, with the name they need). */
  const compile = (out: string, weights: 'pedersen' | 'poseidon', extra: string[] = ['--name', 'mlp-digits']) =>
    ok([
      'model',
      'compile',
      path.join(FIXTURES, 'mlp_digits.onnx'),
      '--calibration',
      path.join(FIXTURES, 'digits_test.csv'),
      '--out',
      out,
      '--weights',
      weights,
      ...extra,
    ]);
  const audit = (file: string, id: string, ...extra: string[]) =>
    zkai(['model', 'audit', file, '--rpc', rpc, '--attestor', attestor, '--model', id, ...extra]);

  before(async () => {
    delete process.env.ZKAI_CHAIN_KEY;
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-model-chain-'));
    chain = await startDevChain({ port: await freePort() });
    rpc = chain.url;
    provider = new Wallet(chain.accounts[0]!).address;
    await writeFile(path.join(dir, 'input.json'), JSON.stringify({ input: row.slice(0, 64) }));
  });
  after(async () => {
    if (savedKey !== undefined) process.env.ZKAI_CHAIN_KEY = savedKey;
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('derives valid, distinct Solidity contract names for the verifiers', () => {
    assert.match(verifierContractName('model-mlp-digits-aaa'), /^ModelVerifier_[0-9a-f]{16}$/);
    assert.notEqual(verifierContractName('a'), verifierContractName('b'));
  });

  it('compiles two Pedersen commitments of the same model and proves one inference under each', () => {
    compile('mlp', 'pedersen');
    compile('mlp-other', 'pedersen'); // same circuit and setup (cached), another blind: another W
    // Bound to the account that will register the models (InferenceAttestor checks the binding).
    ok(['model', 'prove', 'mlp', '--input', 'input.json', '--out', 'proof.json', '--owner', provider]);
    ok(['model', 'prove', 'mlp-other', '--input', 'input.json', '--out', 'other.json', '--owner', provider]);
    const bundle = JSON.parse(readFileSync(path.join(dir, 'proof.json'), 'utf8'));
    assert.equal(bundle.public.binding, provider.toLowerCase());
    assert.equal(BigInt(bundle.publicSignals.at(-1)), BigInt(provider));
  });

  it('deploy prints the contracts; without ZKAI_CHAIN_KEY it signs with the dev account and says so', () => {
    const res = zkai(['model', 'deploy', '--rpc', rpc]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.match(out.ModelRegistry, /^0x[0-9a-fA-F]{40}$/);
    assert.match(out.InferenceAttestor, /^0x[0-9a-fA-F]{40}$/);
    assert.equal(out.chainId, chain.chainId);
    assert.match(res.stderr, /ZKAI_CHAIN_KEY is not set; signing with the dev chain's account 0/);
    // The key is never printed.
    assert.ok(!`${res.stdout}${res.stderr}`.toLowerCase().includes(chain.accounts[0]!.slice(2).toLowerCase()));
    registry = out.ModelRegistry;
    attestor = out.InferenceAttestor;
  });

  it('register deploys the committed verifier and registers the Pedersen commitment', () => {
    const out = ok(['model', 'register', 'mlp', '--rpc', rpc, '--registry', registry]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'mlp', 'model.json'), 'utf8'));
    assert.match(out.modelId, /^0x[0-9a-f]{64}$/);
    assert.equal(out.registrant, provider);
    assert.equal(out.weightCommitment, manifest.weightCommitment);
    assert.equal(out.numPublicSignals, manifest.publicSignals.length + 1);
    assert.match(out.txHash, /^0x[0-9a-f]{64}$/);
    modelId = out.modelId;
  });

  it('register refuses a model with public weights (exit 2) and a key that is not one', async () => {
    await mkdir(path.join(dir, 'public'), { recursive: true });
    await writeFile(
      path.join(dir, 'public', 'model.json'),
      JSON.stringify({ format: 'zkai-model', version: 1, weights: 'public-constants' }),
    );
    const res = zkai(['model', 'register', 'public', '--rpc', rpc, '--registry', registry]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /public weights/);
    const badKey = runZkaiWithKey(['model', 'deploy', '--rpc', rpc], dir, 'not-a-key');
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /ZKAI_CHAIN_KEY must be a private key/);
    assert.ok(!badKey.stderr.includes('not-a-key'));
    // The public dev key is only a default on this machine; a remote chain needs ZKAI_CHAIN_KEY (refused before any RPC).
    const remote = zkai(['model', 'deploy', '--rpc', 'http://chain.example.invalid:8545']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /set ZKAI_CHAIN_KEY/);
  });

  it('audit: the proof checks out against the chain before it is attested; --require-attested fails it', () => {
    const res = audit('proof.json', modelId);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const report = JSON.parse(res.stdout);
    assert.equal(report.valid, true);
    assert.equal(report.attested, false);
    for (const name of [
      'offChain',
      'registered',
      'active',
      'weightCommitment',
      'commitmentPoint',
      'circuitId',
      'numPublicSignals',
      'binding',
      'chainVerifier',
    ])
      assert.equal(report.checks[name]?.ok, true, name);
    const required = audit('proof.json', modelId, '--require-attested');
    assert.equal(required.code, 1);
    assert.equal(JSON.parse(required.stdout).checks.attested.ok, false);
  });

  it('attest records the inference; audit then finds it; attesting again reverts AlreadyAttested (exit 1)', () => {
    const out = ok(['model', 'attest', 'proof.json', '--rpc', rpc, '--attestor', attestor, '--model', modelId]);
    pedersenAttestTx = out.txHash;
    assert.match(out.attestationId, /^0x[0-9a-f]{64}$/);
    assert.equal(out.record.modelId, modelId);
    assert.equal(out.outputs.length, 11); // 10 logits + the label, as signed integers
    assert.equal(out.outputs[10], String(row[64]));

    const report = JSON.parse(audit('proof.json', modelId, '--require-attested').stdout);
    assert.equal(report.valid, true);
    assert.equal(report.attested, true);
    assert.equal(report.attestationId, out.attestationId);
    assert.equal(report.attestation.inputHash, out.record.inputHash);

    const again = zkai(['model', 'attest', 'proof.json', '--rpc', rpc, '--attestor', attestor, '--model', modelId]);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).contractError, 'AlreadyAttested');
    assert.match(again.stderr, /AlreadyAttested/);
  });

  it('a copy registered by another account attests none of the provider’s proofs: BindingMismatch (exit 1)', () => {
    // The copier registers the provider's model directory as is (the same W, K and circuit), signing with account 1.
    const copier = new Wallet(chain.accounts[1]!).address;
    const registered = runZkaiWithKey(['model', 'register', 'mlp', '--rpc', rpc, '--registry', registry], dir, chain.accounts[1]!);
    assert.equal(registered.code, 0, registered.stderr);
    const copy = JSON.parse(registered.stdout);
    assert.equal(copy.registrant, copier);
    assert.equal(copy.weightCommitment, JSON.parse(readFileSync(path.join(dir, 'mlp', 'model.json'), 'utf8')).weightCommitment);
    assert.notEqual(copy.modelId, modelId);
    const report = JSON.parse(audit('proof.json', copy.modelId).stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(report.checks.binding, { ok: false, registrant: copier, bundle: provider });
    assert.equal(report.checks.weightCommitment.ok, true, 'the copy has the same commitment');
    assert.equal(report.checks.chainVerifier.contractError, 'BindingMismatch');
    const replay = runZkaiWithKey(
      ['model', 'attest', 'proof.json', '--rpc', rpc, '--attestor', attestor, '--model', copy.modelId],
      dir,
      chain.accounts[1]!,
    );
    assert.equal(replay.code, 1);
    assert.equal(JSON.parse(replay.stdout).contractError, 'BindingMismatch');
  });

  it("audit fails a valid proof made under another commitment than the registered model's (exit 1)", () => {
    const res = audit('other.json', modelId);
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout);
    assert.equal(report.valid, false);
    assert.equal(report.checks.offChain.ok, true, 'the proof itself is valid');
    assert.equal(report.checks.weightCommitment.ok, false);
    assert.equal(report.checks.commitmentPoint.ok, false);
    assert.equal(report.checks.chainVerifier.ok, false);
    assert.equal(report.checks.circuitId.ok, true);
  });

  it('audit of an unregistered model id fails registered (exit 1); a malformed id is bad input (exit 2)', () => {
    const res = audit('proof.json', `0x${'ab'.repeat(32)}`);
    assert.equal(res.code, 1);
    assert.equal(JSON.parse(res.stdout).checks.registered.ok, false);
    assert.equal(audit('proof.json', '0x1234').code, 2);
  });

  it('a Poseidon-committed model registers (snarkjs verifier) and attests', () => {
    compile('mlp-poseidon', 'poseidon');
    // ZKAI_CHAIN_KEY's address is the default binding (here the provider's own key, as register will sign with it).
    const proved = runZkaiWithKey(
      ['model', 'prove', 'mlp-poseidon', '--input', 'input.json', '--out', 'poseidon.json'],
      dir,
      chain.accounts[0]!,
    );
    assert.equal(proved.code, 0, proved.stderr);
    assert.doesNotMatch(proved.stderr, /bound to no registrant/);
    const reg = ok(['model', 'register', 'mlp-poseidon', '--rpc', rpc, '--registry', registry, '--dataset-root', '12345']);
    const proof = JSON.parse(readFileSync(path.join(dir, 'poseidon.json'), 'utf8'));
    assert.equal(reg.weightCommitment, proof.public.weightsHash);
    assert.equal(proof.public.binding, provider.toLowerCase());
    assert.equal(reg.numPublicSignals, proof.publicSignals.length);
    const out = ok(['model', 'attest', 'poseidon.json', '--rpc', rpc, '--attestor', attestor, '--model', reg.modelId]);
    assert.equal(out.record.modelId, reg.modelId);
    const report = JSON.parse(audit('poseidon.json', reg.modelId, '--require-attested').stdout);
    assert.equal(report.valid, true);
    assert.equal(report.model.datasetRoot, '12345');
    // The Pedersen proof is not one of this model's.
    assert.equal(audit('proof.json', reg.modelId).code, 1);
  });

  it('a model compiled with --lookups logup registers its lookup verifier, audits and attests with D; forged lookups are InvalidProof', async (t) => {
    // Pedersen weights and lookups: the verifier takes W (registered), D and K (lookup-verifier.ts). The name is
    // cli/model-cli.test.ts's, so the two share the circuit's cache.
    compile('mlp-logup', 'pedersen', ['--name', 'mlp-digits-logup', '--lookups', 'logup']);
    const other = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n')[151]!.split(',').map(Number);
    await writeFile(path.join(dir, 'input-2.json'), JSON.stringify({ input: other.slice(0, 64) }));
    ok(['model', 'prove', 'mlp-logup', '--input', 'input.json', '--out', 'logup.json', '--owner', provider]);
    ok(['model', 'prove', 'mlp-logup', '--input', 'input-2.json', '--out', 'logup-2.json', '--owner', provider]);
    const reg = ok(['model', 'register', 'mlp-logup', '--rpc', rpc, '--registry', registry]);
    const bundle = JSON.parse(readFileSync(path.join(dir, 'logup.json'), 'utf8'));
    assert.ok(bundle.lookupCommitment);
    assert.equal(reg.numPublicSignals, bundle.publicSignals.length + 1);
    const before = JSON.parse(audit('logup.json', reg.modelId).stdout);
    assert.equal(before.valid, true, JSON.stringify(before.checks));
    assert.equal(before.checks.verifierCode.ok, true);
    assert.equal(before.checks.chainVerifier.ok, true);

    // Forgeries, each a bundle the CLI submits with attestWithLookup.
    const second = JSON.parse(readFileSync(path.join(dir, 'logup-2.json'), 'utf8'));
    const alphaAt = bundle.vkey.zkai_lookup.alphaIndex as number;
    const swapped = { ...bundle, lookupCommitment: second.lookupCommitment };
    const swappedWithAlpha = structuredClone(swapped);
    swappedWithAlpha.publicSignals[alphaAt] = second.publicSignals[alphaAt];
    swappedWithAlpha.public.logupAlpha = second.public.logupAlpha;
    const noKnowledge = structuredClone(bundle);
    noKnowledge.lookupCommitment.knowledge = noKnowledge.lookupCommitment.point;
    for (const [name, forged] of Object.entries({ swapped, swappedWithAlpha, noKnowledge })) {
      await writeFile(path.join(dir, `logup-${name}.json`), JSON.stringify(forged));
      const res = zkai(['model', 'attest', `logup-${name}.json`, '--rpc', rpc, '--attestor', attestor, '--model', reg.modelId]);
      assert.equal(res.code, 1, `${name}: ${res.stderr}`);
      assert.equal(JSON.parse(res.stdout).contractError, 'InvalidProof', name);
      const report = JSON.parse(audit(`logup-${name}.json`, reg.modelId).stdout);
      assert.equal(report.checks.chainVerifier.ok, false, name);
    }
    // The honest proof through plain attest (without D and K): the lookup verifier has no such function.
    const rpcProvider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const signer = new Wallet(chain.accounts[0]!, rpcProvider);
      const signals = committedAttestSignals(commitmentId(bundle.commitment.point), bundle.publicSignals);
      await assert.rejects(attestInference(inferenceAttestorAt(attestor, signer), reg.modelId, bundle.proof, signals), /InvalidProof/);
    } finally {
      rpcProvider.destroy();
    }

    const out = ok(['model', 'attest', 'logup.json', '--rpc', rpc, '--attestor', attestor, '--model', reg.modelId]);
    assert.equal(out.record.modelId, reg.modelId);
    const gasOf = async (hash: string) => {
      const p = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
      try {
        return (await p.getTransactionReceipt(hash))!.gasUsed;
      } finally {
        p.destroy();
      }
    };
    t.diagnostic(`attest gas: with lookups ${await gasOf(out.txHash)}, Pedersen model without lookups ${await gasOf(pedersenAttestTx)}`);
    const after = JSON.parse(audit('logup.json', reg.modelId, '--require-attested').stdout);
    assert.equal(after.valid, true, JSON.stringify(after.checks));
  });

  it('audit reports a registrant-chosen verifier that answers true to everything (verifierCode, exit 1)', async () => {
    // The provider registers its own commitment, but with a verifier of its choosing instead of zkai's (issue 13 item 2).
    const source = [
      '// SPDX-License-Identifier: MIT',
      'pragma solidity 0.8.28;',
      'contract AlwaysTrueModelChainTestVerifier {',
      '    fallback(bytes calldata) external returns (bytes memory) { return abi.encode(true); }',
      '}',
      '',
    ].join('\n');
    const installed = await installContractSource({ contractName: 'AlwaysTrueModelChainTestVerifier', source });
    // No request cache: ethers would otherwise reuse the nonce of the previous transaction's request.
    const rpcProvider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const signer = new Wallet(chain.accounts[0]!, rpcProvider);
      const verifier = await deployArtifact(signer, installed.artifact);
      const bundle = JSON.parse(readFileSync(path.join(dir, 'proof.json'), 'utf8'));
      const manifest = JSON.parse(readFileSync(path.join(dir, 'mlp', 'model.json'), 'utf8'));
      const { modelId: rogue } = await registerCommittedModel(modelRegistryAt(registry, signer), {
        commitment: bundle.commitment,
        circuitId: circuitIdHash(manifest.circuitId),
        verifier,
        numPublicSignals: manifest.publicSignals.length + 1,
        datasetRoot: 0n,
      });
      const res = audit('proof.json', rogue);
      assert.equal(res.code, 1, res.stdout + res.stderr);
      const report = JSON.parse(res.stdout);
      assert.equal(report.valid, false);
      // Every registry check and the simulated attestation pass: only the code comparison sees the rogue verifier.
      for (const name of ['offChain', 'registered', 'weightCommitment', 'commitmentPoint', 'circuitId', 'binding', 'chainVerifier'])
        assert.equal(report.checks[name]?.ok, true, name);
      assert.equal(report.checks.verifierCode.ok, false);
      assert.notEqual(report.checks.verifierCode.deployed, report.checks.verifierCode.expected);
    } finally {
      rpcProvider.destroy();
    }
  });
});

/** runZkai with ZKAI_CHAIN_KEY set for the child only. */
function runZkaiWithKey(args: string[], cwd: string, key: string) {
  process.env.ZKAI_CHAIN_KEY = key;
  try {
    return runZkai(args, cwd);
  } finally {
    delete process.env.ZKAI_CHAIN_KEY;
  }
}
