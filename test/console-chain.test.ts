/**
 * The web console's chain view in chromium, against the service's own dev chain (as `npm start` runs it): the
 * Verify page reads RoyaltyVault's nullifierUsed from the browser (so the Content-Security-Policy must allow the
 * chain RPC), and it turns from "no" to "yes" once the proof's royalty is claimed; the dashboard's chain activity
 * shows the epoch's funding and the claim. Skipped without chromium, failed under CI=true (see console.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Contract, parseEther, Wallet } from 'ethers';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ZkaiClient } from '../client/index.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { type RunningService, startService } from '../server/service.ts';
import { devAccountKeys, freePort, localProvider } from '../verifier-contracts/chain.ts';
import { claimRoyalty, DEFAULT_VAULT_PERIODS, fundEpoch, royaltyVaultAt } from '../verifier-contracts/vault.ts';

const CHROMIUM = process.env.ZKAI_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

describe('web console: the chain view', { skip: HAVE_CHROMIUM ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let home: string;
  let service: RunningService;
  let provider: ReturnType<typeof localProvider>;
  let vault: Contract;
  let browser: Browser;
  let page: Page;
  const keys = devAccountKeys(3);

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'zkai-console-chain-'));
    service = await startService(
      { ...DEFAULT_CONFIG, port: 0, home, chain: 'dev', chainPort: await freePort(), treeDepth: 4, warmup: false, logLevel: 'silent' },
      { handleSignals: false, log: () => {} },
    );
    assert.ok(service.chain && service.apiKey);
    provider = localProvider(service.chain.url, service.chain.chainId);
    vault = royaltyVaultAt(service.chain.contracts.RoyaltyVault!, new Wallet(keys[0]!, provider));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    provider?.destroy();
    await service?.close();
    await rm(home, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  async function chainView(file: string): Promise<string> {
    await page.goto(`${service.url}/#/verify`);
    await page.reload();
    await page.setInputFiles('#bundle-file', file);
    await page.waitForSelector('[data-testid=verdict][data-valid=true]');
    return (await (await page.waitForSelector('#chain-view li')).textContent()) ?? '';
  }

  test('nullifier used: no, then yes after the claim; the dashboard shows the funding and the claim', async () => {
    const key = service.apiKey!;
    const api = new ZkaiClient({ baseUrl: service.url, apiKey: key });
    const contributor = new Wallet(keys[2]!).address;
    const commit = await fetch(`${service.url}/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ id: 'r1', contributor, contentHash: `0x${'11'.repeat(32)}`, weight: 4 }], depth: 4 }),
    });
    const { rootHex } = (await commit.json()) as { rootHex: string };
    const job = await api.watchJob((await api.proveMembership(rootHex, { recordId: 'r1', epoch: 1 })).jobId);
    assert.equal(job.state, 'succeeded');
    const bundle = await api.bundle(job.id);
    const file = path.join(home, 'bundle.json');
    await writeFile(file, JSON.stringify(bundle));

    assert.match(await chainView(file), /Nullifier used .*: no/);

    await fundEpoch(vault, BigInt(rootHex), 1n, parseEther('1'));
    await provider.send('evm_increaseTime', [DEFAULT_VAULT_PERIODS.fundingSeconds]);
    await provider.send('evm_mine', []);
    await claimRoyalty(vault, bundle);
    assert.match(await chainView(file), /Nullifier used .*: yes/);

    await page.goto(`${service.url}/#/dashboard`);
    await page.fill('#api-key', key);
    await page.click('#login');
    await page.waitForSelector('[data-testid=chain-row][data-event=RoyaltyClaimed]');
    assert.ok(await page.$('[data-testid=chain-row][data-event=EpochFunded]'));
    assert.match((await page.textContent('[data-testid=chain-row][data-event=RoyaltyClaimed]')) ?? '', /1 ETH/);
  });

  test("pinned to the chain: RoyaltyVault's verifier accepts the proof from the browser; a changed signal is invalid", async () => {
    const file = path.join(home, 'bundle.json');
    const pinnedByChain = async (bundleFile: string) => {
      await page.goto(`${service.url}/#/verify`);
      await page.reload();
      await page.check('#pin-chain');
      await page.setInputFiles('#bundle-file', bundleFile);
      return page.waitForSelector('[data-testid=verdict]');
    };
    const verdict = await pinnedByChain(file);
    assert.equal(await verdict.getAttribute('data-valid'), 'true');
    assert.match(
      (await page.textContent('#verify-result')) ?? '',
      /pinned by the chain: RoyaltyVault's membership verifier 0x[0-9a-fA-F]{40} accepts this proof/,
    );

    const bundle = JSON.parse(await readFile(file, 'utf8')) as { publicSignals: string[]; public: Record<string, string> };
    const tampered = path.join(home, 'tampered.json');
    bundle.publicSignals[3] = String(BigInt(bundle.publicSignals[3]!) + 1n);
    bundle.public.weight = bundle.publicSignals[3]!;
    await writeFile(tampered, JSON.stringify(bundle));
    const bad = await pinnedByChain(tampered);
    assert.equal(await bad.getAttribute('data-valid'), 'false');
    assert.match((await page.textContent('#verify-result')) ?? '', /rejects this proof/);
  });
});
