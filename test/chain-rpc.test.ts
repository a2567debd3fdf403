/**
 * ZKAI_CHAIN=<rpc> (issue 16, dev-chain honesty): `zkai chain deploy` records every contract the service uses on an
 * existing chain; a service started on that chain uses them, says the chain is lasting (the dev chain says it is
 * ephemeral), and refuses a deployment it could not use: a missing record, another membership key, another chain.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { runZkai } from '../cli/run-cli.ts';
import { DEFAULT_CONFIG, type ServiceConfig, startService } from '../server/main.ts';
import { type DevChain, devAccountKeys, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';

const DEPTH = 4;

describe('the service on an existing chain (ZKAI_CHAIN=<rpc>)', () => {
  let chain: DevChain;
  let dir: string;
  let deployment: string;
  const config = (over: Partial<ServiceConfig>): ServiceConfig => ({
    ...DEFAULT_CONFIG,
    home: path.join(dir, 'home'),
    port: 0,
    treeDepth: DEPTH,
    warmup: false,
    logLevel: 'silent',
    chain: 'rpc',
    chainRpc: chain.url,
    ...over,
  });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-chain-rpc-'));
    chain = await startDevChain({ port: await freePort() });
    deployment = path.join(dir, 'deployment.json');
    const res = runZkai(['chain', 'deploy', '--rpc', chain.url, '--depth', String(DEPTH), '--out', deployment], dir);
    assert.equal(res.code, 0, res.stderr);
    const printed = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(printed.contracts).sort(), [
      'InferenceAttestor',
      'InferenceMarket',
      'MembershipVerifier',
      'ModelGovernance',
      'ModelRegistry',
      'RoyaltyVault',
    ]);
  });
  after(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the dev chain keeps idle connections longer than a Node client does (no "socket hang up" on reuse)', async () => {
    // dev-chain-keepalive.cjs: Node's client agent drops an idle socket after 5 s; the server must not do so first.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        chain.url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, agent: new http.Agent({ keepAlive: true }) },
        resolve,
      );
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }));
    });
    res.resume();
    assert.equal(res.headers['keep-alive'], 'timeout=65');
  });

  it('uses the recorded contracts, and says the chain lasts', async () => {
    const lines: string[] = [];
    const service = await startService(config({ chainDeployment: deployment }), { log: (l) => lines.push(l), handleSignals: false });
    try {
      const info = await (await fetch(`${service.url}/v1/chain`)).json();
      const recorded = JSON.parse(await readFile(deployment, 'utf8'));
      assert.deepEqual(info, { url: chain.url, chainId: 31337, contracts: recorded.contracts, kind: 'rpc', ephemeral: false });
      assert.ok(!lines.join('\n').includes('EPHEMERAL'), 'a lasting chain is not called ephemeral');
    } finally {
      await service.close();
    }
  });

  it('refuses a deployment it could not use, before serving', async () => {
    // No record for this chain at the default place: says how to make one.
    await assert.rejects(startService(config({}), { log: () => {}, handleSignals: false }), (err: { code?: string; message?: string }) => {
      return err.code === 'CHAIN_ERROR' && /no deployment for chain 31337/.test(err.message!) && /zkai chain deploy/.test(err.message!);
    });
    // A MembershipVerifier for another membership key: every proof would fail on chain.
    const record = JSON.parse(await readFile(deployment, 'utf8'));
    const otherKey = path.join(dir, 'other-key.json');
    await writeFile(otherKey, JSON.stringify({ ...record, membership: { circuitId: 'membership-d5-x', vkeyHash: 'ab'.repeat(32) } }));
    await assert.rejects(
      startService(config({ chainDeployment: otherKey }), { log: () => {}, handleSignals: false }),
      (err: { code?: string; message?: string }) => err.code === 'CHAIN_ERROR' && /holds the key of membership-d5-x/.test(err.message!),
    );
    // Another chain's record, and a contract with no code.
    const otherChain = path.join(dir, 'other-chain.json');
    await writeFile(otherChain, JSON.stringify({ ...record, chainId: 1 }));
    await assert.rejects(
      startService(config({ chainDeployment: otherChain }), { log: () => {}, handleSignals: false }),
      (err: { code?: string; message?: string }) => err.code === 'CHAIN_ERROR' && /records contracts on chain 1/.test(err.message!),
    );
    const noCode = path.join(dir, 'no-code.json');
    await writeFile(noCode, JSON.stringify({ ...record, contracts: { ...record.contracts, RoyaltyVault: `0x${'12'.repeat(20)}` } }));
    await assert.rejects(
      startService(config({ chainDeployment: noCode }), { log: () => {}, handleSignals: false }),
      (err: { code?: string; message?: string }) => err.code === 'CHAIN_ERROR' && /RoyaltyVault at 0x1212.* has no code/.test(err.message!),
    );
  });

  it('ZKAI_CHAIN=dev-persistent: the chain and its contracts survive a restart; a journal that does not replay is refused', async () => {
    const home = path.join(dir, 'persistent-home');
    const start = async () =>
      startService(config({ chain: 'dev-persistent', chainRpc: undefined, chainPort: await freePort(), home }), {
        log: () => {},
        handleSignals: false,
      });
    const payee = Wallet.createRandom().address;
    const first = await start();
    let before: { contracts: Record<string, string>; block: number };
    try {
      const info = await (await fetch(`${first.url}/v1/chain`)).json();
      assert.deepEqual([info.kind, info.ephemeral], ['dev', false]);
      const provider = localProvider(info.url);
      const sender = new Wallet(devAccountKeys(2)[1]!, provider);
      await (await sender.sendTransaction({ to: payee, value: 12345n })).wait();
      // Snapshots and reverts would rewrite what the journal recorded.
      await assert.rejects(provider.send('evm_snapshot', []), /not available on the persistent dev chain/);
      before = { contracts: info.contracts, block: await provider.getBlockNumber() };
      provider.destroy();
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      const info = await (await fetch(`${second.url}/v1/chain`)).json();
      assert.deepEqual(info.contracts, before.contracts, 'the same contracts, not a new deployment');
      const provider = localProvider(info.url);
      assert.equal(await provider.getBalance(payee), 12345n);
      assert.equal(await provider.getBlockNumber(), before.block, 'every block replayed, none added');
      assert.notEqual(await provider.getCode(info.contracts.RoyaltyVault), '0x');
      provider.destroy();
    } finally {
      await second.close();
    }
    // A journal whose transaction no longer replays to its recorded hash: the start fails, it does not serve another chain.
    const journal = path.join(home, 'dev-chain', 'journal.ndjson');
    const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
    const i = lines.findIndex((l) => l.includes('"hash"'));
    lines[i] = lines[i]!.replace(/"hash":"0x[0-9a-f]{4}/, '"hash":"0xdead');
    await writeFile(journal, `${lines.join('\n')}\n`);
    await assert.rejects(
      start(),
      (err: { code?: string; message?: string }) => err.code === 'CHAIN_ERROR' && /does not replay/.test(err.message!),
    );
  });

  it('the dev chain says it is ephemeral, in the banner and in /v1/chain', async () => {
    const lines: string[] = [];
    const service = await startService(
      config({ chain: 'dev', chainRpc: undefined, chainPort: await freePort(), home: path.join(dir, 'dev-home') }),
      { log: (l) => lines.push(l), handleSignals: false },
    );
    try {
      const info = await (await fetch(`${service.url}/v1/chain`)).json();
      assert.deepEqual([info.kind, info.ephemeral], ['dev', true]);
      assert.match(lines.join('\n'), /EPHEMERAL: everything on it .* is gone when the service stops/);
    } finally {
      await service.close();
    }
  });
});
