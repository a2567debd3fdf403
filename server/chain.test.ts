/**
 * The service's dev chain (server/chain.ts startChain) and batch claims: with a batch circuit (ZKAI_BATCH_SLOTS) its
 * RoyaltyVault takes claimBatch of that many slots and the deployment record names the batch verifier; without (the
 * default), a batch claim is refused before sending with BATCH_CLAIMS_DISABLED, which says how to enable it, and so is
 * `zkai dataset claim` run against it (the CLI finds the dev chain's record in the service's home). A
 * 2-slot circuit at depth 4 stands in for the documented 16 slots at depth 20 (a 2^18 setup: minutes).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Wallet } from 'ethers';
import { membershipBatchSignalNames, packClaimant } from '../circuits/membership.ts';
import { runZkai } from '../cli/run-cli.ts';
import type { ZkaiError } from '../common/errors.ts';
import { makeBundle, proofMetadata } from '../prover/bundle.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { type MembershipBatchCircuit, prepareMembershipBatchCircuit } from '../prover/membership-batch.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { freePort, localProvider } from '../verifier-contracts/chain.ts';
import { readDeployment } from '../verifier-contracts/deploy.ts';
import { FAKE_PROOF } from '../verifier-contracts/test/helpers.ts';
import { royaltyVaultAt } from '../verifier-contracts/vault.ts';
import { claimRoyaltyBatch } from '../verifier-contracts/vault-batch.ts';
import { type StartedChain, startChain } from './chain.ts';

after(releaseVerifierResources);

describe('the dev chain and batch claims (ZKAI_BATCH_SLOTS)', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  let batch: MembershipBatchCircuit;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-dev-chain-batch-'));
    membership = await prepareMembershipCircuit(4);
    batch = await prepareMembershipBatchCircuit(2, 4);
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A membership-batch bundle of the 2-slot circuit with these signals; its proof is a placeholder (nothing is sent). */
  const batchBundle = (publicSignals: string[]) =>
    makeBundle({
      kind: 'membership-batch',
      circuitId: batch.circuit.id,
      vkey: batch.setup.vkey,
      proof: { ...FAKE_PROOF, protocol: 'groth16', curve: 'bn128' },
      publicSignals,
      signalNames: membershipBatchSignalNames(2),
      addressSignals: [],
      metadata: proofMetadata({ engine: 'none', timings: { witnessMs: 0 } }, batch.setup, performance.now()),
    });

  /** Starts a dev chain recording in <tmp>/<name>/deployment.json (as the service does in its home), runs `fn`, stops it. */
  async function withDevChain(name: string, withBatch: boolean, fn: (started: StartedChain, file: string) => Promise<void>) {
    const file = path.join(tmp, name, 'deployment.json');
    const started = await startChain({ port: await freePort(), membership, deploymentFile: file, ...(withBatch ? { batch } : {}) });
    try {
      await fn(started, file);
    } finally {
      await started.stop();
    }
  }

  test('with a batch circuit the vault takes claimBatch of its slots; the record and the chain info (GET /v1/chain) name the batch verifier', async () => {
    await withDevChain('batch', true, async (started, file) => {
      const address = started.info.contracts.MembershipBatchVerifier;
      assert.match(String(address), /^0x[0-9a-fA-F]{40}$/);
      const record = await readDeployment(file);
      assert.equal(record.contracts.MembershipBatchVerifier, address);
      const provider = localProvider(started.info.url, started.info.chainId);
      try {
        const vault = royaltyVaultAt(started.info.contracts.RoyaltyVault!, provider);
        assert.equal(await vault.batchSlots(), 2n);
        assert.equal(await vault.batchVerifier(), address);
        // The verifier the vault calls is the batch circuit's own (snarkjs's, for its 3 + 2·2 public signals).
        const code = await provider.getCode(address!);
        assert.ok(code.length > 2);
        assert.match(await readFile(batch.setup.solidityVerifierPath, 'utf8'), /uint\[7\] calldata _pubSignals/);
      } finally {
        provider.destroy();
      }
    });
  });

  test('without one (the default), a batch claim is BATCH_CLAIMS_DISABLED naming ZKAI_BATCH_SLOTS, before anything is sent', async () => {
    await withDevChain('plain', false, async (started, file) => {
      assert.equal(started.info.contracts.MembershipBatchVerifier, undefined);
      const provider = localProvider(started.info.url, started.info.chainId);
      try {
        const signer = new Wallet(started.fundedAccount.privateKey, provider);
        const vault = royaltyVaultAt(started.info.contracts.RoyaltyVault!, signer);
        const nonce = await provider.getTransactionCount(signer.address);
        const claimant = packClaimant(BigInt(signer.address), 1n);
        const bundle = { proof: FAKE_PROOF, publicSignals: ['5', '10', '1', String(claimant), '0', '77', '0'] };
        await assert.rejects(claimRoyaltyBatch(vault, bundle), (e: ZkaiError) => {
          assert.equal(e.code, 'BATCH_CLAIMS_DISABLED');
          assert.match(e.message, /was deployed without a batch verifier, so it takes no claimBatch/);
          assert.match(e.message, /start it with ZKAI_BATCH_SLOTS=16/);
          return true;
        });
        assert.equal(await provider.getTransactionCount(signer.address), nonce, 'nothing was sent');

        // The user's way: `zkai dataset claim` against the default service, whose home holds the dev chain's record
        // (deployment.json, found without --deployment), says the same with its code, exit 1.
        const home = path.dirname(file);
        await writeFile(path.join(home, 'batch.json'), JSON.stringify(batchBundle(bundle.publicSignals)));
        const res = runZkai(['dataset', 'claim', 'batch.json', '--rpc', started.info.url], home, home);
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, /error \[BATCH_CLAIMS_DISABLED\]: RoyaltyVault 0x[0-9a-fA-F]{40} was deployed without a batch verifier/);
        assert.match(res.stderr, /ZKAI_BATCH_SLOTS=16/);
        assert.equal(await provider.getTransactionCount(signer.address), nonce, 'nothing was sent');
      } finally {
        provider.destroy();
      }
    });
  });
});
