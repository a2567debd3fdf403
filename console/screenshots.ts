/**
 * Screenshots of the console for the docs (docs/img/console-*.png), made the way a newcomer meets it: the service as
 * `npm start` runs it (its own dev chain, keys on), a dataset committed and proved, the digits MLP uploaded, compiled
 * and proved through the Provider page, both bundles verified in the browser. Not part of npm test (minutes).
 *
 *   node --import tsx console/screenshots.ts        # needs chromium (/usr/bin/chromium or ZKAI_CHROMIUM)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Contract, Wallet } from 'ethers';
import { chromium } from 'playwright-core';
import { ZkaiClient } from '../client/index.ts';
import { REPO_ROOT } from '../common/config.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { startService } from '../server/service.ts';
import { devAccountKeys, localProvider } from '../verifier-contracts/chain.ts';

const OUT = path.join(REPO_ROOT, 'docs', 'img');
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-screenshots-'));
const service = await startService(
  {
    ...DEFAULT_CONFIG,
    home,
    port: 0,
    chainPort: 20000 + Math.floor(Math.random() * 20000),
    treeDepth: 8,
    warmup: false,
    logLevel: 'silent',
  },
  { handleSignals: false, log: () => {} },
);
const browser = await chromium.launch({ executablePath: process.env.ZKAI_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const key = service.apiKey;
  if (!key) throw new Error('the fresh service printed no first key');
  const api = new ZkaiClient({ baseUrl: service.url, apiKey: key });
  const commit = await fetch(`${service.url}/v1/datasets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      records: [1, 2, 3, 4, 5].map((i) => ({
        id: `img-00${i}`,
        contributor: addr(0xa0 + i),
        contentHash: `0x${String(i).repeat(64)}`,
        weight: i * 10,
      })),
    }),
  });
  const { rootHex } = (await commit.json()) as { rootHex: string };
  // A funder puts 1 ETH in the dataset's epoch-1 pot: the dashboard's chain activity shows the flow.
  const chain = await api.chain();
  const provider = localProvider(chain.url, chain.chainId);
  const funder = new Wallet(devAccountKeys(2)[1]!, provider);
  const vault = new Contract(chain.contracts.RoyaltyVault!, ['function fundEpoch(uint256 root, uint256 epoch) payable'], funder);
  await (await vault.getFunction('fundEpoch')(BigInt(rootHex), 1n, { value: 10n ** 18n })).wait();
  provider.destroy();
  const job = await api.watchJob((await api.proveMembership(rootHex, { recordId: 'img-003', epoch: 1 })).jobId);
  const bundleFile = path.join(home, 'membership.bundle.json');
  await writeFile(bundleFile, JSON.stringify(await api.bundle(job.id)));

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${service.url}/#/dashboard`);
  await page.fill('#api-key', key);
  await page.click('#login');
  await page.goto(`${service.url}/#/provider`);
  await page.setInputFiles('#onnx-file', path.join(FIXTURES, 'mlp_digits.onnx'));
  await page.setInputFiles('#csv-file', path.join(FIXTURES, 'digits_test.csv'));
  await page.fill('#model-name', 'mlp-digits');
  await page.click('#upload');
  await page.waitForSelector('[data-testid=model-info][data-state=ready]', { timeout: 900_000 });
  await page.click('#prove');
  await page.waitForSelector('#download-bundle', { timeout: 300_000 });
  await page.screenshot({ path: path.join(OUT, 'console-provider.png'), fullPage: true });
  await page.click('#verify-bundle');
  await page.waitForSelector('[data-testid=verdict]');
  await page.screenshot({ path: path.join(OUT, 'console-verify-inference.png'), fullPage: true });

  await page.goto(`${service.url}/#/verify`);
  await page.reload();
  await page.setInputFiles('#bundle-file', bundleFile);
  await page.waitForSelector('#chain-view li, #chain-view p.muted:nth-of-type(2)');
  await page.screenshot({ path: path.join(OUT, 'console-verify.png'), fullPage: true });

  await page.goto(`${service.url}/#/dashboard`);
  await page.waitForSelector('[data-testid=model-row]');
  await page.waitForSelector('[data-testid=chain-row][data-event=EpochFunded]');
  await page.screenshot({ path: path.join(OUT, 'console-dashboard.png'), fullPage: true });
  process.stdout.write(`screenshots written to ${OUT}\n`);
} finally {
  await browser.close();
  await service.close();
  await rm(home, { recursive: true, force: true });
  await releaseVerifierResources();
}
