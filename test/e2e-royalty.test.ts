/**
 * The foundation's end-to-end path: a contributor's record → dataset commitment over HTTP → membership
 * proof as a job → `snarkjs groth16 verify` (the CLI, independently of zkai) → RoyaltyVault on a local
 * chain pays the contributor exactly pot × weight / totalWeight → the same proof again is rejected.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Contract, parseEther, Wallet } from 'ethers';
import { snarkjsCliPath } from '../common/snarkjs-cli.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { type RunningService, startService } from '../server/service.ts';
import { devAccountKeys, freePort, localProvider } from '../verifier-contracts/chain.ts';
import { balanceOf, claimRoyalty, fundEpoch, registerDataset, royaltyVaultAt, withdraw } from '../verifier-contracts/vault.ts';

const SNARKJS_CLI = snarkjsCliPath();
/** Matches the ZkaiError that vault helpers throw for a custom-error revert. */
const reverted = (name: string) => (err: unknown) => (err as { details?: { contractError?: string } }).details?.contractError === name;
const H = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describe('end to end: dataset → proof over HTTP → snarkjs verify → RoyaltyVault pays once', () => {
  let service: RunningService;
  let home: string;
  const keys = devAccountKeys(4);
  const contributor = new Wallet(keys[2]!); // a funded dev account, so it can also withdraw
  const records = [
    { id: 'img-1', contributor: new Wallet(keys[3]!).address, contentHash: H(1), weight: 10 },
    { id: 'img-2', contributor: contributor.address, contentHash: H(2), weight: 30 },
    { id: 'img-3', contributor: new Wallet(keys[3]!).address, contentHash: H(3), weight: 60 },
  ];
  let root: string;
  let bundle: { proof: object; publicSignals: string[]; public: Record<string, string>; vkey: object };
  let vault: Contract;
  let provider: ReturnType<typeof localProvider>;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'zkai-e2e-'));
    // Circuits and keys stay in the shared cache (ZKAI_HOME/.zkai); jobs, datasets and the deployment go to `home`.
    service = await startService(
      { ...DEFAULT_CONFIG, port: 0, home, chain: 'dev', chainPort: await freePort(), warmup: false, logLevel: 'silent' },
      { handleSignals: false, log: process.env.ZKAI_TEST_LOG ? undefined : () => {} },
    );
    assert.ok(service.chain, 'the dev chain is running');
    provider = localProvider(service.chain.url, service.chain.chainId);
    vault = royaltyVaultAt(service.chain.contracts.RoyaltyVault!, new Wallet(keys[0]!, provider));
  });

  after(async () => {
    provider?.destroy();
    await service?.close();
    await rm(home, { recursive: true, force: true });
  });

  async function api(method: string, url: string, body?: unknown) {
    const res = await fetch(`${service.url}${url}`, {
      method,
      // The service's first start made a key for the default tenant (its API needs one by default).
      headers: { authorization: `Bearer ${service.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('commits the dataset over HTTP', async () => {
    const res = await api('POST', '/v1/datasets', { records });
    assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
    assert.equal(res.body.leafCount, 3);
    assert.equal(res.body.totalWeight, '100');
    root = res.body.rootHex as string;
  });

  it('proves membership as a job and returns a bundle', async () => {
    const job = await api('POST', `/v1/datasets/${root}/proofs`, { recordId: 'img-2', epoch: 1 });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const id = job.body.jobId as string;
    const deadline = Date.now() + 240_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await api('GET', `/v1/jobs/${id}`)).body.state as string;
      if (state === 'succeeded' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(state, 'succeeded');
    const res = await api('GET', `/v1/jobs/${id}/bundle`);
    assert.equal(res.status, 200);
    bundle = res.body as typeof bundle;
    assert.equal(bundle.public.contributor.toLowerCase(), contributor.address.toLowerCase());
    assert.equal(bundle.public.weight, '30');
  });

  it('snarkjs groth16 verify (the CLI) accepts the bundle', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-e2e-snarkjs-'));
    await writeFile(path.join(dir, 'vkey.json'), JSON.stringify(bundle.vkey));
    await writeFile(path.join(dir, 'public.json'), JSON.stringify(bundle.publicSignals));
    await writeFile(path.join(dir, 'proof.json'), JSON.stringify(bundle.proof));
    const out = execFileSync(process.execPath, [SNARKJS_CLI, 'groth16', 'verify', 'vkey.json', 'public.json', 'proof.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.match(out, /OK!/);
    await rm(dir, { recursive: true, force: true });
    const verdict = await api('POST', '/v1/verify', bundle);
    assert.equal(verdict.body.valid, true);
  });

  it('RoyaltyVault pays the contributor pot × weight / totalWeight, once', async () => {
    const rootValue = BigInt(root);
    await registerDataset(vault, rootValue, 100n);
    const pot = parseEther('1');
    await fundEpoch(vault, rootValue, 1n, pot);

    const before = await balanceOf(vault, contributor.address);
    // Anyone may submit the proof (here account 0); the money goes to the contributor the proof names.
    const { amount } = await claimRoyalty(vault, bundle);
    assert.equal(amount, (pot * 30n) / 100n);
    assert.equal(await balanceOf(vault, contributor.address), before + (pot * 30n) / 100n);

    await assert.rejects(claimRoyalty(vault, bundle), reverted('NullifierUsed'));

    // The contributor pulls the payment.
    const mine = royaltyVaultAt(await vault.getAddress(), contributor.connect(provider));
    const ethBefore = await provider.getBalance(contributor.address);
    const { amount: withdrawn, receipt } = await withdraw(mine);
    assert.equal(withdrawn, (pot * 30n) / 100n);
    const gas = receipt.gasUsed * receipt.gasPrice;
    assert.equal(await provider.getBalance(contributor.address), ethBefore + withdrawn - gas);
  });

  it('a proof redirected to another recipient, or for an unknown root, is rejected on chain', async () => {
    const other = new Wallet(keys[3]!).address;
    const redirected = { ...bundle, publicSignals: [...bundle.publicSignals] };
    redirected.publicSignals[1] = BigInt(other).toString();
    // A fresh epoch and nullifier, so that the nullifier check is not what stops it: the proof is.
    redirected.publicSignals[3] = '2';
    redirected.publicSignals[4] = '777';
    await fundEpoch(vault, BigInt(root), 2n, parseEther('1'));
    await assert.rejects(claimRoyalty(vault, redirected), reverted('InvalidProof'));

    const unknown = { ...bundle, publicSignals: [...bundle.publicSignals] };
    unknown.publicSignals[0] = '12345';
    await assert.rejects(claimRoyalty(vault, unknown), reverted('UnknownRoot'));
  });
});
