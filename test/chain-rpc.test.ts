/**
 * ZKAI_CHAIN=<rpc> (issue 16, dev-chain honesty): `zkai chain deploy` records every contract the service uses on an
 * existing chain; a service started on that chain uses them, says the chain is lasting (the dev chain says it is
 * ephemeral), and refuses a deployment it could not use: a missing record, another membership key, another chain.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runZkai } from '../cli/run-cli.ts';
import { DEFAULT_CONFIG, type ServiceConfig, startService } from '../server/main.ts';
import { type DevChain, freePort, startDevChain } from '../verifier-contracts/chain.ts';

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
    assert.deepEqual(Object.keys(printed.contracts).sort(), ['InferenceAttestor', 'MembershipVerifier', 'ModelRegistry', 'RoyaltyVault']);
  });
  after(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
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
