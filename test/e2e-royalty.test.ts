/**
 * The foundation's end-to-end path: contributors' records → dataset commitment (a Merkle-sum root) over HTTP →
 * membership proofs as jobs → `snarkjs groth16 verify` (the CLI, independently of zkai) → RoyaltyVault on a local
 * chain, with no registration, pays each contributor exactly pot × weight / total from the proven total once its
 * funding period is over → the same proof again is rejected → after the claim window the funder reclaims the rest.
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
import {
  balanceOf,
  claimRoyalty,
  DEFAULT_VAULT_PERIODS,
  fundEpoch,
  reclaimFunding,
  royaltyVaultAt,
  withdraw,
} from '../verifier-contracts/vault.ts';

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
  type Bundle = { proof: object; publicSignals: string[]; public: Record<string, string>; vkey: object };
  /** Bundles by record id; img-2's belongs to `contributor`. */
  const bundles = new Map<string, Bundle>();
  let bundle: Bundle;
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
    assert.equal(res.body.totalWeight, '100'); // the root's sum: what every proof will carry as `total`
    root = res.body.rootHex as string;
  });

  /** Proves `recordId` for `epoch` as a job over HTTP and returns the bundle. */
  async function proveOverHttp(recordId: string, epoch: number): Promise<Bundle> {
    const job = await api('POST', `/v1/datasets/${root}/proofs`, { recordId, epoch });
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
    return res.body as Bundle;
  }

  /** Moves the dev chain's clock forward. */
  async function advance(seconds: number): Promise<void> {
    await provider.send('evm_increaseTime', [seconds]);
    await provider.send('evm_mine', []);
  }

  it('proves membership as a job and returns a bundle carrying the total', async () => {
    for (const r of records) bundles.set(r.id, await proveOverHttp(r.id, 1));
    bundle = bundles.get('img-2')!;
    assert.equal(bundle.public.contributor.toLowerCase(), contributor.address.toLowerCase());
    assert.equal(bundle.public.weight, '30');
    assert.equal(bundle.public.total, '100');
    assert.equal(bundle.publicSignals[0], BigInt(root).toString());
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

  it('RoyaltyVault pays every contributor pot × weight / total once, to the wei; the funder reclaims the rest', async (t) => {
    const rootValue = BigInt(root);
    const pot = parseEther('1') + 1n; // 10^18 + 1: not divisible by the total, so every payout rounds down
    await fundEpoch(vault, rootValue, 1n, pot); // no registration: the root is funded as it is
    // Claims open when the funding period is over, not before: nobody can freeze a half-funded pot.
    await assert.rejects(claimRoyalty(vault, bundle), reverted('ClaimsNotOpen'));
    await advance(DEFAULT_VAULT_PERIODS.fundingSeconds);

    const before = await balanceOf(vault, contributor.address);
    // Anyone may submit the proof (here account 0); the money goes to the contributor the proof names.
    const { amount, receipt: claimReceipt } = await claimRoyalty(vault, bundle);
    t.diagnostic(`claim gas (depth-20 membership verifier): ${claimReceipt.gasUsed}`);
    assert.equal(amount, (pot * 30n) / 100n);
    assert.equal(await balanceOf(vault, contributor.address), before + amount);
    await assert.rejects(claimRoyalty(vault, bundle), reverted('NullifierUsed'));

    let paid = amount;
    for (const id of ['img-1', 'img-3']) {
      const b = bundles.get(id)!;
      const { amount: a } = await claimRoyalty(vault, b);
      assert.equal(a, (pot * BigInt(b.public.weight!)) / 100n);
      paid += a;
    }
    assert.equal(pot - paid, 1n, 'floor(p·10/100) + floor(p·30/100) + floor(p·60/100) leaves 1 wei of dust');

    // The contributor pulls the payment.
    const mine = royaltyVaultAt(await vault.getAddress(), contributor.connect(provider));
    const ethBefore = await provider.getBalance(contributor.address);
    const { amount: withdrawn, receipt } = await withdraw(mine);
    assert.equal(withdrawn, (pot * 30n) / 100n);
    const gas = receipt.gasUsed * receipt.gasPrice;
    assert.equal(await provider.getBalance(contributor.address), ethBefore + withdrawn - gas);

    // After the claim window the funder (account 0) gets back exactly what was not paid out.
    await assert.rejects(reclaimFunding(vault, rootValue, 1n), reverted('ReclaimNotOpen'));
    await advance(DEFAULT_VAULT_PERIODS.claimSeconds);
    const { amount: refunded } = await reclaimFunding(vault, rootValue, 1n);
    assert.equal(paid + refunded, pot);
  });

  it('a proof with another total, redirected to another recipient, or for an unfunded root, is rejected on chain', async () => {
    // A fresh epoch, funded and open for claims, and a fresh nullifier, so that the nullifier check is not what stops
    // these: the proof is. Signals: [root, total, contributor, weight, epoch, nullifier].
    await fundEpoch(vault, BigInt(root), 2n, parseEther('1'));
    await advance(DEFAULT_VAULT_PERIODS.fundingSeconds);
    const forged = (mutate: (s: string[]) => void) => {
      const b = { ...bundle, publicSignals: [...bundle.publicSignals] };
      b.publicSignals[4] = '2';
      b.publicSignals[5] = '777';
      mutate(b.publicSignals);
      return b;
    };
    // The squat: the contributor's own weight as the total (the whole pot).
    await assert.rejects(
      claimRoyalty(
        vault,
        forged((s) => {
          s[1] = s[3]!;
        }),
      ),
      reverted('InvalidProof'),
    );
    const other = new Wallet(keys[3]!).address;
    await assert.rejects(
      claimRoyalty(
        vault,
        forged((s) => {
          s[2] = BigInt(other).toString();
        }),
      ),
      reverted('InvalidProof'),
    );
    await assert.rejects(
      claimRoyalty(
        vault,
        forged((s) => {
          s[0] = '12345';
        }),
      ),
      reverted('EmptyEpoch'),
    );
  });
});
