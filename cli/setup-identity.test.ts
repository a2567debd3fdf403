/**
 * `zkai model audit --dir`'s setup checks (issue 15 item 6): a listing's declared setup identity against the model's
 * setup. The digits MLP with Pedersen weights under a name of its own (this file contributes to its setup, which
 * would change the keys every other test's digits MLP proves with), registered with zkai's verifier for its key:
 * the honest listing passes; a listing declaring another contribution hash or another ptau fails setupIdentity with
 * that part named; a registered, unlisted model is "not listed" and passes; after one more contribution the
 * registered verifier no longer embeds the setup's key (setupKey fails) and the identity has one more contribution.
 * A model compiled with lookups records its lookup key's κ history too: a listing declaring another entry of it fails
 * setupIdentity with that lookup κ entry named.
 * The listing's localSetup (what `zkai model listing` and the listing route add: the node's own setup files against
 * the declared identity, read) says matches, differs or unknown for the same listings.
 * The setup is verified once for the listings declared against it (the slow part); the command runs once, in a child.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Contract, type JsonRpcProvider, Wallet } from 'ethers';
import { REPO_ROOT } from '../common/config.ts';
import { type CompiledModel, compileModel, proveInference } from '../prover/inference.ts';
import { ProverPool } from '../prover/pool.ts';
import { contributePhase2, readCommitmentKeyFile } from '../prover/setup/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import type { DevChain } from '../verifier-contracts/chain.ts';
import { deployArtifact, deployContract } from '../verifier-contracts/deploy.ts';
import { localSetupMatch } from '../verifier-contracts/economy-read.ts';
import {
  getSetupIdentity,
  type ListingParams,
  listModel,
  modelGovernanceAt,
  type SetupIdentity,
  setupIdentityDifferences,
  setupIdentityOf,
} from '../verifier-contracts/market.ts';
import { installModelVerifier } from '../verifier-contracts/model-verifier.ts';
import { bindingOf, circuitIdHash, deployInference, modelRegistryAt, registerCommittedModel } from '../verifier-contracts/models.ts';
import { startTestChain } from '../verifier-contracts/test/helpers.ts';
import { deployMarketStack, registerAndList as listMockModel, type MarketStack } from '../verifier-contracts/test/market-fixture.ts';
import { runZkai } from './run-cli.ts';
import { type AuditedSetup, auditedSetup, type SetupChecks, setupChecksAgainst, setupIdentityChecks } from './setup-identity.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

after(releaseVerifierResources);

describe('setupIdentityDifferences names each differing part', () => {
  const id: SetupIdentity = {
    ceremony: `0x${'01'.repeat(32)}`,
    zkeyContributions: [`0x${'aa'.repeat(64)}`, `0x${'bb'.repeat(64)}`],
    kappaContributions: [`0x${'cc'.repeat(32)}`],
    lookupKappaContributions: [`0x${'c1'.repeat(32)}`, `0x${'c2'.repeat(32)}`],
  };
  it('equal identities (hex case aside) have none', () => {
    assert.deepEqual(setupIdentityDifferences(id, { ...id, ceremony: id.ceremony.toUpperCase().replace('0X', '0x') }), []);
  });
  it('the ceremony, a contribution by number, a κ entry, and a count', () => {
    const other = {
      ceremony: `0x${'02'.repeat(32)}`,
      zkeyContributions: [id.zkeyContributions[0]!, `0x${'dd'.repeat(64)}`, `0x${'ee'.repeat(64)}`],
      kappaContributions: [`0x${'ff'.repeat(32)}`],
      lookupKappaContributions: id.lookupKappaContributions,
    };
    const d = setupIdentityDifferences(id, other);
    assert.equal(d.length, 4, d.join('\n'));
    assert.match(d[0]!, /^ceremony \(ptau sha256\) differs: the listing declares 0x0101.*, the setup used 0x0202/);
    assert.match(d[1]!, /^phase-2 contribution #2 differs: the listing declares 0xbbbb.*, the setup has 0xdddd/);
    assert.match(d[2]!, /^phase-2 contributions: the listing declares 2, the setup has 3$/);
    assert.match(d[3]!, /^κ contribution #1 differs/);
  });
  it('the lookup key’s κ entries are their own list: a differing one is named as a lookup κ contribution, by number', () => {
    const lookupKappaContributions = [id.lookupKappaContributions[0]!, `0x${'d2'.repeat(32)}`];
    assert.deepEqual(setupIdentityDifferences(id, { ...id, lookupKappaContributions }), [
      `lookup κ contribution #2 differs: the listing declares 0x${'c2'.repeat(32)}, the setup has 0x${'d2'.repeat(32)}`,
    ]);
    // A setup without lookups against a listing that declares a lookup key's history: the count differs.
    assert.deepEqual(setupIdentityDifferences(id, { ...id, lookupKappaContributions: [] }), [
      'lookup κ contributions: the listing declares 2, the setup has 0',
    ]);
  });
});

describe('model audit --dir: a listed model’s setup against its declared identity', () => {
  let chain: DevChain;
  let provider: JsonRpcProvider;
  let accounts: Wallet[];
  let stack: MarketStack;
  let tmp: string;
  let modelDir: string;
  let compiled: CompiledModel;
  let verifier: string;
  let honest: SetupIdentity;
  let governance: Contract;
  const models: Record<'honest' | 'otherContribution' | 'otherPtau' | 'unlisted', string> = {} as never;

  /** Registers the compiled model under `signer` with zkai's verifier for its key; lists it declaring `setup`. */
  async function registerAndList(
    signer: Wallet,
    setup: SetupIdentity | undefined,
    model = compiled,
    modelVerifier = verifier,
  ): Promise<string> {
    const registry = modelRegistryAt(stack.registry, signer);
    const { modelId } = await registerCommittedModel(registry, {
      commitment: model.pedersen!.commitment,
      circuitId: circuitIdHash(model.manifest.circuitId),
      verifier: modelVerifier,
      numPublicSignals: model.manifest.publicSignals.length + 1,
    });
    const params: ListingParams = { owners: [signer.address], shares: [1n], fee: 1000n, setup: setup! };
    if (setup) await listModel(registry, modelGovernanceAt(stack.governance, signer), modelId, params);
    return modelId;
  }
  /** The full check, as `zkai model audit --dir` runs it (verifies the setup: seconds). */
  const audit = (modelId: string): Promise<SetupChecks> => setupIdentityChecks({ provider, governance, modelId, verifier, dir: modelDir });
  /** The setup as it stands before the contribution, verified once for the listings that declare against it. */
  let verifiedOnce: Promise<AuditedSetup> | undefined;
  const auditListed = async (modelId: string): Promise<SetupChecks> => {
    verifiedOnce ??= auditedSetup(modelDir);
    return setupChecksAgainst(await verifiedOnce, { provider, verifier, declared: await getSetupIdentity(governance, modelId) });
  };

  before(async () => {
    const t = await startTestChain();
    ({ chain, provider } = t);
    accounts = [t.owner, t.alice, t.bob, new Wallet(chain.accounts[3]!, provider)];
    stack = await deployMarketStack(t.owner);
    governance = modelGovernanceAt(stack.governance, provider);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-setup-identity-'));
    modelDir = path.join(tmp, 'm');
    compiled = await compileModel(path.join(FIXTURES, 'mlp_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
      outDir: modelDir,
      name: 'mlp-digits-setup-audit',
      weights: 'private-pedersen',
    });
    const installed = await installModelVerifier({
      contractName: 'SetupAuditTestVerifier',
      vkey: compiled.vkey,
      snarkjsSolidity: () => readFile(compiled.setup.solidityVerifierPath, 'utf8'),
    });
    verifier = await deployArtifact(t.owner, installed.artifact);
    const meta = JSON.parse(await readFile(path.join(compiled.setup.dir, 'setup.json'), 'utf8'));
    honest = setupIdentityOf(meta, compiled.pedersen!.key);
    const [owner, alice, bob, carol] = accounts as [Wallet, Wallet, Wallet, Wallet];
    models.honest = await registerAndList(owner, honest);
    const zkeyContributions = [...honest.zkeyContributions];
    zkeyContributions[zkeyContributions.length - 1] = `0x${'ab'.repeat(64)}`;
    models.otherContribution = await registerAndList(alice, { ...honest, zkeyContributions });
    models.otherPtau = await registerAndList(bob, { ...honest, ceremony: `0x${'cd'.repeat(32)}` });
    models.unlisted = await registerAndList(carol, undefined);
  });
  after(async () => {
    provider?.destroy();
    await chain?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the honest listing passes: the chain verifies, the verifier embeds the setup’s key, the identity is equal', async () => {
    const c = await auditListed(models.honest);
    for (const name of ['setupChain', 'setupKey', 'setupIdentity'] as const)
      assert.equal(c[name]?.ok, true, `${name}: ${JSON.stringify(c[name])}`);
    assert.equal(c.setupChain!.commitmentKey, 'valid');
    assert.deepEqual(c.setupIdentity!.setup, honest);
    assert.ok(honest.kappaContributions.length >= 1, 'a Pedersen model’s identity names κ’s history');
  });

  it('a listing declaring another contribution hash fails setupIdentity, naming that contribution', async () => {
    const c = await auditListed(models.otherContribution);
    assert.deepEqual([c.setupChain?.ok, c.setupKey?.ok, c.setupIdentity?.ok], [true, true, false]);
    const n = honest.zkeyContributions.length;
    assert.match(
      String(c.setupIdentity!.reason),
      new RegExp(`^phase-2 contribution #${n} differs: the listing declares 0x(ab){64}, the setup has`),
    );
  });

  it('a listing declaring another ptau fails setupIdentity, naming the ceremony', async () => {
    const c = await auditListed(models.otherPtau);
    assert.equal(c.setupIdentity?.ok, false);
    assert.deepEqual(c.setupIdentity!.differences, [
      `ceremony (ptau sha256) differs: the listing declares 0x${'cd'.repeat(32)}, the setup used ${honest.ceremony}`,
    ]);
  });

  it('a registered model that is not listed: "not listed", not a failure, nothing verified', async () => {
    const c = await audit(models.unlisted);
    assert.deepEqual(Object.keys(c), ['setupIdentity']);
    assert.equal(c.setupIdentity!.ok, true);
    assert.equal(c.setupIdentity!.listed, false);
    assert.match(String(c.setupIdentity!.note), /^not listed/);
  });

  it('the listing’s localSetup (zkai model listing, GET /v1/economy/models/:id): the node’s own setup files, read', async () => {
    const local = async (id: string) => localSetupMatch(governance, id, await getSetupIdentity(governance, id));
    assert.deepEqual(await local(models.honest), { status: 'matches', differences: [] });
    const other = await local(models.otherContribution);
    assert.equal(other.status, 'differs');
    assert.match(other.differences.join('\n'), new RegExp(`^phase-2 contribution #${honest.zkeyContributions.length} differs`));
    assert.deepEqual(await local(models.otherPtau), {
      status: 'differs',
      differences: [
        `ceremony (ptau sha256): the listing declares 0x${'cd'.repeat(32)}; this node set the circuit up from ${honest.ceremony}`,
      ],
    });
    // A listed model whose circuit this node never had.
    const { modelId } = await listMockModel(stack, accounts[0]!, { owners: [accounts[0]!.address], shares: [1n], fee: 1n });
    assert.deepEqual(await local(modelId), { status: 'unknown', differences: [] });
  });

  it('zkai model audit --dir (the command): the honest listing passes every check, each reported on stderr', async () => {
    const pool = new ProverPool({ threads: 1 });
    try {
      const row = (await readFile(path.join(FIXTURES, 'digits_test.csv'), 'utf8')).trim().split('\n')[150]!.split(',').map(Number);
      const bundle = await proveInference(pool, compiled, row.slice(0, 64), { binding: bindingOf(accounts[0]!.address) });
      await writeFile(path.join(tmp, 'proof.json'), JSON.stringify(bundle));
    } finally {
      await pool.close();
    }
    const args = [
      'model',
      'audit',
      'proof.json',
      '--rpc',
      chain.url,
      '--attestor',
      stack.attestor,
      '--model',
      models.honest,
      '--dir',
      modelDir,
    ];
    const res = runZkai([...args, '--governance', stack.governance], tmp);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    assert.equal(report.valid, true);
    for (const name of ['setupChain', 'setupKey', 'setupIdentity', 'verifierCode', 'chainVerifier'])
      assert.equal(report.checks[name]?.ok, true, `${name}: ${JSON.stringify(report.checks[name])}`);
    assert.match(res.stderr, /^ok {3}setupIdentity$/m);
    assert.match(res.stderr, /^audit: every check passed$/m);
    // A ModelGovernance over another registry lists none of this one's models: refused, not a vacuous "not listed".
    const other = await deployContract(accounts[0]!, 'ModelGovernance', [(await deployInference({ signer: accounts[0]! })).ModelRegistry]);
    const refused = runZkai([...args, '--governance', other], tmp);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /ModelGovernance 0x[0-9a-fA-F]{40} governs the registry 0x[0-9a-fA-F]{40}, not the attestor's/);
  });

  it('a model compiled with --lookups logup: the lookup key’s κ history is in its identity; a listing declaring another entry is named', async () => {
    // Pedersen weights and lookups, under the name cli/model-cli.test.ts and model-chain.test.ts compile it with (no
    // test contributes to it), so they share its circuit and setup.
    const lookupDir = path.join(tmp, 'logup');
    const lk = await compileModel(path.join(FIXTURES, 'mlp_digits.onnx'), path.join(FIXTURES, 'digits_test.csv'), {
      outDir: lookupDir,
      name: 'mlp-digits-logup',
      weights: 'private-pedersen',
      lookups: 'logup',
    });
    const lookupKey = await readCommitmentKeyFile(lk.lookup!.keyPath);
    const meta = JSON.parse(await readFile(path.join(lk.setup.dir, 'setup.json'), 'utf8'));
    const identity = setupIdentityOf(meta, lk.pedersen!.key, lookupKey);
    assert.ok(identity.lookupKappaContributions.length >= 1, 'a lookup model’s identity names the lookup key’s κ history');
    assert.notDeepEqual(identity.lookupKappaContributions, identity.kappaContributions);
    const lookupKappaContributions = [...identity.lookupKappaContributions];
    lookupKappaContributions[0] = `0x${'ef'.repeat(32)}`;
    const [owner, alice] = accounts as [Wallet, Wallet];
    const installed = await installModelVerifier({
      contractName: 'SetupAuditLookupTestVerifier',
      vkey: lk.vkey,
      snarkjsSolidity: () => readFile(lk.setup.solidityVerifierPath, 'utf8'),
    });
    const lookupVerifier = await deployArtifact(owner, installed.artifact);
    const honestId = await registerAndList(owner, identity, lk, lookupVerifier);
    const otherId = await registerAndList(alice, { ...identity, lookupKappaContributions }, lk, lookupVerifier);
    assert.deepEqual((await getSetupIdentity(governance, honestId)).lookupKappaContributions, identity.lookupKappaContributions);
    // `zkai model list` declares the same identity from the model directory, the lookup key's history included.
    const listed = runZkai(
      ['model', 'list', lookupDir, '--model', honestId, '--owners', `${owner.address}=1`, '--fee', '1', '--hash-only'],
      tmp,
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).setup, identity);

    // The audit (zkai model audit --dir) reads the lookup key from the verified setup.
    const audited = await auditedSetup(lookupDir);
    const check = async (id: string) =>
      setupChecksAgainst(audited, { provider, verifier: lookupVerifier, declared: await getSetupIdentity(governance, id) });
    const passed = await check(honestId);
    for (const name of ['setupChain', 'setupKey', 'setupIdentity'] as const)
      assert.equal(passed[name]?.ok, true, `${name}: ${JSON.stringify(passed[name])}`);
    assert.equal(passed.setupChain!.lookupKey, 'valid');
    assert.equal(passed.setupIdentity?.ok, true, JSON.stringify(passed.setupIdentity));
    assert.deepEqual(passed.setupIdentity!.setup, identity);
    const failed = await check(otherId);
    assert.deepEqual([failed.setupChain?.ok, failed.setupKey?.ok, failed.setupIdentity?.ok], [true, true, false]);
    assert.deepEqual(failed.setupIdentity!.differences, [
      `lookup κ contribution #1 differs: the listing declares 0x${'ef'.repeat(32)}, the setup has ${identity.lookupKappaContributions[0]}`,
    ]);
    // The listing's localSetup reads this node's lookup key too.
    const local = async (id: string) => localSetupMatch(governance, id, await getSetupIdentity(governance, id));
    assert.deepEqual(await local(honestId), { status: 'matches', differences: [] });
    assert.deepEqual(await local(otherId), { status: 'differs', differences: failed.setupIdentity!.differences });
  });

  it('one more contribution after listing: the registered verifier no longer embeds the setup’s key (setupKey fails)', async () => {
    const contribution = await contributePhase2(compiled.model.circuit, { name: 'after the listing' });
    const c = await audit(models.honest);
    assert.equal(c.setupChain?.ok, true, JSON.stringify(c.setupChain));
    assert.equal(c.setupKey?.ok, false);
    assert.match(String(c.setupKey!.reason), /does not embed the key derived from this setup's zkey/);
    assert.notEqual(c.setupKey!.deployed, c.setupKey!.expected);
    const n = honest.zkeyContributions.length;
    assert.deepEqual(c.setupIdentity!.differences, [
      `phase-2 contributions: the listing declares ${n}, the setup has ${n + 1}`,
      `κ contributions: the listing declares ${honest.kappaContributions.length}, the setup has ${honest.kappaContributions.length + 1}`,
    ]);
    assert.equal((c.setupIdentity!.setup as SetupIdentity).zkeyContributions.at(-1), `0x${contribution.hash}`);
    // The listing route says so too: the node's setup is no longer the listed one.
    const local = await localSetupMatch(governance, models.honest, await getSetupIdentity(governance, models.honest));
    assert.deepEqual(local, { status: 'differs', differences: c.setupIdentity!.differences });
  });
});
