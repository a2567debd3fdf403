/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (no browser is ever downloaded).
 * A valid bundle shows valid and a tampered one invalid, both checked in the page (no /v1/verify request is made);
 * the dashboard shows a job go from queued to succeeded; an ONNX upload compiles, proves, and its bundle verifies
 * in the browser. Without chromium the suite is skipped with the reason, except under CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ZkaiClient } from '../client/index.ts';
import { REPO_ROOT } from '../common/config.ts';
import { buildConsole } from '../console/build.ts';
import { JobRunner, JobStore } from '../jobs/jobs.ts';
import { membershipJobHandler } from '../jobs/membership-job.ts';
import { modelJobHandlers } from '../jobs/model-jobs.ts';
import { ModelCatalog } from '../jobs/models.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';

const CHROMIUM = process.env.ZKAI_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const RECORDS = [
  { id: 'r1', contributor: addr(0xa1), contentHash: `0x${'11'.repeat(32)}`, weight: 3 },
  { id: 'r2', contributor: addr(0xb2), contentHash: `0x${'22'.repeat(32)}`, weight: 5 },
];

test('chromium is installed where CI needs it', { skip: !IN_CI && !HAVE_CHROMIUM ? `no chromium at ${CHROMIUM}` : false }, () => {
  // Under CI=true a missing browser is a failure, not a skip (.ci/install-debian-packages.sh installs it).
  assert.ok(HAVE_CHROMIUM, `no chromium at ${CHROMIUM}: apt-get install chromium`);
});

describe('web console in chromium', { skip: HAVE_CHROMIUM ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let tmp: string;
  let store: JobStore;
  let tenants: TenantStore;
  let models: ModelCatalog;
  let pool: ProverPool;
  let runner: JobRunner;
  let membership: MembershipCircuit;
  let app: FastifyInstance;
  let url: string;
  let key: string;
  let api: ZkaiClient;
  let browser: Browser;
  let page: Page;
  let membershipJobId: string;
  let runnerStarted = false;
  /** Every request the page made, and every error it logged (a CSP violation is one). */
  const requests: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-console-test-'));
    const dbFile = path.join(tmp, 'jobs.sqlite');
    const datasetsDir = path.join(tmp, 'datasets');
    store = new JobStore(dbFile);
    tenants = new TenantStore(dbFile);
    models = new ModelCatalog(path.join(tmp, 'models'), dbFile);
    pool = new ProverPool({ threads: 1 });
    membership = await prepareMembershipCircuit(4);
    // Not started yet: the dashboard test starts it once the page shows its job queued.
    runner = new JobRunner(
      store,
      {
        membership: membershipJobHandler({ pool, membership, datasetsDir }),
        ...modelJobHandlers({ pool, modelsDir: models.dir, maxConstraints: 200_000 }),
      },
      { pollMs: 100 },
    );
    app = await buildApp({
      store,
      // The app nudges the runner on enqueue; until the runner is started the nudge is held back, so a job stays queued.
      runner: { pump: () => runnerStarted && runner.pump() },
      membership,
      datasetsDir,
      auth: { mode: 'keys', keys: tenants },
      tenants,
      models,
      console: await buildConsole({ cacheDir: path.join(tmp, 'console-build') }),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    key = tenants.createKey('console-test').key;
    api = new ZkaiClient({ baseUrl: url, apiKey: key });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    // A failed load is logged without its URL: the response handler names it instead. /v1/chain answers 404 here
    // (this service runs without a chain) and the Verify page says so; that one is expected.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/v1/chain') pageErrors.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await runner?.stop();
    await pool?.close();
    store?.close();
    tenants?.close();
    models?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  /** Signs in through the login form unless this tab already holds the key. */
  async function signIn(): Promise<void> {
    await page.goto(`${url}/#/dashboard`);
    await page.waitForSelector('#api-key, #logout');
    if (await page.$('#logout')) return;
    await page.fill('#api-key', key);
    await page.click('#login');
    await page.waitForSelector('#logout');
  }

  test('the page is served with a strict Content-Security-Policy and hashed, immutable assets', async () => {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${url}${script}`);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${url}/assets/nope.js`)).status, 404);
    assert.equal((await fetch(`${url}/docs`)).status, 200, 'the Swagger UI stays');
  });

  test('the dashboard shows a job going from queued to succeeded', async () => {
    const commit = await fetch(`${url}/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: RECORDS, depth: 4 }),
    });
    const committed = await commit.text();
    assert.equal(commit.status, 201, committed);
    const { rootHex } = JSON.parse(committed) as { rootHex: string };
    await signIn();
    await page.waitForSelector('[data-testid=dataset-row]');
    membershipJobId = (await api.proveMembership(rootHex, { recordId: 'r2', epoch: 7 })).jobId;
    const row = `[data-testid=job-row][data-job-id="${membershipJobId}"]`;
    await page.waitForSelector(`${row}[data-state=queued]`);
    runner.start();
    runnerStarted = true;
    await page.waitForSelector(`${row}[data-state=succeeded]`, { timeout: 120_000 });
    assert.match((await page.textContent(row)) ?? '', /100 %/);
  });

  /** A fresh Verify page (a reload: going to the same #/verify would keep the last verdict on screen). */
  async function openVerify(): Promise<void> {
    await page.goto(`${url}/#/verify`);
    await page.reload();
    await page.waitForSelector('#bundle-file');
  }

  async function verifyFile(bundle: unknown, name: string): Promise<{ valid: string | null; reason: string | null; text: string }> {
    const file = path.join(tmp, name);
    await writeFile(file, JSON.stringify(bundle));
    await openVerify();
    await page.setInputFiles('#bundle-file', file);
    const verdict = await page.waitForSelector('[data-testid=verdict]');
    return {
      valid: await verdict.getAttribute('data-valid'),
      reason: await verdict.getAttribute('data-reason'),
      text: (await verdict.textContent()) ?? '',
    };
  }

  test('a valid membership bundle shows valid, checked in the browser, with its signals decoded', async () => {
    const bundle = await api.bundle(membershipJobId);
    const before = requests.length;
    const v = await verifyFile(bundle, 'valid.json');
    assert.equal(v.valid, 'true', v.text);
    assert.equal(v.text, 'VALID');
    assert.equal(await page.textContent('[data-signal=contributor] td'), RECORDS[1]!.contributor);
    assert.equal(await page.textContent('[data-signal=weight] td'), '5');
    assert.equal(await page.textContent('[data-signal=total] td'), '8');
    assert.equal(await page.textContent('[data-signal=epoch] td'), '7');
    assert.match((await page.textContent('#verify-result')) ?? '', /INSECURE dev setup/);
    const asked = requests.slice(before).map((u) => new URL(u).pathname);
    assert.ok(asked.includes(`/v1/circuits/${bundle.circuitId}/keys`), asked.join(' '));
    assert.ok(!asked.includes('/v1/verify'), 'the proof is checked in the page, not by the service');
    await page.screenshot({ path: path.join(tmp, 'verify.png') }); // proves the page renders; docs/img has the real ones
  });

  test('a tampered bundle shows invalid; a key the user did not pin is not valid', async () => {
    const bundle = await api.bundle(membershipJobId);
    // Claim a bigger weight: the signals and their names stay consistent, so only the pairing check can catch it.
    const tampered = structuredClone(bundle);
    tampered.publicSignals[3] = '6';
    tampered.public.weight = '6';
    const bad = await verifyFile(tampered, 'tampered.json');
    assert.equal(bad.valid, 'false', bad.text);
    assert.equal(bad.reason, 'PROOF_INVALID');

    // The same valid bundle against a pasted key that is not its own: VKEY_MISMATCH, not valid.
    await openVerify();
    await page.check('#pin-pasted');
    await page.fill('#pasted-key', 'ab'.repeat(32));
    await page.setInputFiles('#bundle-file', path.join(tmp, 'valid.json'));
    const verdict = await page.waitForSelector('[data-testid=verdict]');
    assert.equal(await verdict.getAttribute('data-valid'), 'false');
    assert.equal(await verdict.getAttribute('data-reason'), 'VKEY_MISMATCH');

    // Pasting the bundle's own key is the user's pin: then it is valid.
    await openVerify();
    await page.check('#pin-pasted');
    await page.fill('#pasted-key', JSON.stringify(bundle.vkey));
    await page.setInputFiles('#bundle-file', path.join(tmp, 'valid.json'));
    const pinned = await page.waitForSelector('[data-testid=verdict]');
    assert.equal(await pinned.getAttribute('data-valid'), 'true', (await pinned.textContent()) ?? '');

    // Garbage is reported as not a bundle.
    const garbage = await verifyFile({ format: 'zkai-proof-bundle' }, 'garbage.json');
    assert.equal(garbage.valid, 'false');
    assert.match(garbage.text, /not a proof bundle/);
  });

  test('an ONNX upload compiles with progress, proves an input, and the bundle verifies in the browser', async () => {
    await signIn();
    await page.goto(`${url}/#/provider`);
    await page.setInputFiles('#onnx-file', path.join(FIXTURES, 'mlp_digits.onnx'));
    await page.setInputFiles('#csv-file', path.join(FIXTURES, 'digits_test.csv'));
    await page.fill('#model-name', 'digits');
    await page.click('#upload');
    await page.waitForSelector('[data-testid=model-info][data-state=ready]', { timeout: 600_000 });
    assert.match((await page.textContent('#compile-status')) ?? '', /succeeded/);
    assert.ok(((await page.inputValue('#prove-input')) ?? '').split(',').length === 64, 'the first CSV row, without its label');
    await page.click('#prove');
    await page.waitForSelector('#download-bundle', { timeout: 300_000 });
    const download = await page.getAttribute('#download-bundle', 'download');
    assert.match(download ?? '', /^digits-.*\.bundle\.json$/);
    await page.click('#verify-bundle');
    const verdict = await page.waitForSelector('[data-testid=verdict]');
    assert.equal(await verdict.getAttribute('data-valid'), 'true', (await verdict.textContent()) ?? '');
    assert.match((await page.textContent('[data-signal=label] td')) ?? '', /^[0-9]$/);
    assert.ok(await page.$('[data-signal=commitment]'), 'the Pedersen weights commitment id is shown');
    // The models table on the dashboard lists it with its constraints.
    await page.goto(`${url}/#/dashboard`);
    await page.waitForSelector('[data-testid=model-row][data-state=ready]');
  });

  test('no page error and no Content-Security-Policy violation on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
