/**
 * Issue 15 item 7, as a user runs it: the economy through the `zkai` CLI on a dev chain. `zkai chain deploy` records
 * every contract (the economy's included) in <ZKAI_HOME>/deployments/<chain id>.json, which every later command
 * reads. A dataset of three contributors; a parent model P (Carol) and a derived model M (Alice 60 / Bob 40), both
 * the digits MLP with Pedersen weights, listed with their splits and setup identity; a minority owner's fee change
 * does nothing until a majority approves it; paid inferences requested with the input and fulfilled with a real
 * proof; a proof of another input, a second fulfilment and a second refund fail; a hand deposit; contributors claim
 * (one single proof, one batch proof); `zkai royalties` reports every credit by source and `zkai withdraw` pays it,
 * all to the wei; the service’s /v1/economy routes answer the same JSON; roll-over and a hand-funded epoch at the end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type JsonRpcProvider, Wallet } from 'ethers';
import { runZkai } from '../cli/run-cli.ts';
import { REPO_ROOT } from '../common/config.ts';
import { JobStore } from '../jobs/jobs.ts';
import { TenantStore } from '../jobs/tenants.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { buildApp } from '../server/app.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../verifier-contracts/chain.ts';

const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');
const rows = readFileSync(path.join(FIXTURES, 'digits_test.csv'), 'utf8').trim().split('\n');
const inputOf = (i: number) => rows[i]!.split(',').map(Number).slice(0, 64);
const FEE = 1_000_003n;
const FEE2 = 2_000_011n;
const DEPOSIT = 1_000n;
// Chain time moves with the wall clock between the test's own jumps (mine below), and a loaded 2-core machine spent
// over 600 s of it between a request and its fulfilment. Windows of hours leave the test's jumps in charge.
const FUNDING = 6 * 3600;
const CLAIM = 12 * 3600;
const DEADLINE = 3600;
const WEIGHTS = [5n, 3n, 2n];

/** The documented rule (docs/economy.md), written independently: cumulative rounding over bps, then over shares. */
function cumulative(amount: bigint, parts: bigint[], whole: bigint): bigint[] {
  let acc = 0n;
  let prev = 0n;
  return parts.map((p) => {
    acc += p;
    const next = (amount * acc) / whole;
    const part = next - prev;
    prev = next;
    return part;
  });
}
/** M: dataset 1,000 bps, parent P 2,000, owners the rest (Alice 60, Bob 40); P: dataset 2,500, Carol the rest. */
function splitM(fee: bigint) {
  const [d1, p, owners] = cumulative(fee, [1000n, 2000n, 7000n], 10_000n) as [bigint, bigint, bigint];
  const [alice, bob] = cumulative(owners, [60n, 40n], 100n) as [bigint, bigint];
  const [d2, carol] = cumulative(p, [2500n, 7500n], 10_000n) as [bigint, bigint];
  return { dataset: d1 + d2, alice, bob, carol };
}

describe('the economy through the CLI: deploy, list, request, fulfil, claim, royalties, withdraw', () => {
  let dir: string;
  let home: string;
  let chain: DevChain;
  let provider: JsonRpcProvider;
  let rpc: string;
  let keys: { maker: string; alice: string; bob: string; carol: string; consumer: string; contributors: string[] };
  const addr = (key: string) => new Wallet(key).address;
  let contracts: Record<string, string>;
  let root: string;
  let modelP: string;
  let modelM: string;
  let epoch: string;
  const r: Record<string, string> = {};
  const savedKey = process.env.ZKAI_CHAIN_KEY;

  /** Runs zkai in the test's home, signing with `key` (ZKAI_CHAIN_KEY for the child only; none: the dev account 0). */
  const zkai = (args: string[], key?: string) => {
    if (key) process.env.ZKAI_CHAIN_KEY = key;
    try {
      return runZkai(args, dir, home);
    } finally {
      delete process.env.ZKAI_CHAIN_KEY;
    }
  };
  const ok = (args: string[], key?: string) => {
    const res = zkai(args, key);
    assert.equal(res.code, 0, `zkai ${args.join(' ')}\n${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const fails = (args: string[], code: number, pattern: RegExp, key?: string) => {
    const res = zkai(args, key);
    assert.equal(res.code, code, `zkai ${args.join(' ')}: expected exit ${code}\n${res.stdout}${res.stderr}`);
    assert.match(res.stderr, pattern);
  };
  const mine = async (seconds: number) => {
    await provider.send('evm_increaseTime', [seconds]);
    await provider.send('evm_mine', []);
  };

  before(async () => {
    delete process.env.ZKAI_CHAIN_KEY;
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkai-economy-cli-'));
    // A home of its own (the deployment record is per chain id, and every dev chain is 31337), sharing the
    // repository's circuit, setup and ptau caches so nothing is rebuilt.
    home = path.join(dir, 'home');
    await mkdir(home);
    for (const sub of ['circuits', 'ptau', 'models']) {
      await mkdir(path.join(REPO_ROOT, '.zkai', sub), { recursive: true });
      await symlink(path.join(REPO_ROOT, '.zkai', sub), path.join(home, sub));
    }
    chain = await startDevChain({ port: await freePort() });
    rpc = chain.url;
    provider = localProvider(rpc, chain.chainId);
    const [maker, alice, bob, carol, consumer, ...rest] = chain.accounts as [string, string, string, string, string, ...string[]];
    keys = { maker, alice, bob, carol, consumer, contributors: rest.slice(0, 3) };
    await writeFile(
      path.join(dir, 'records.csv'),
      [
        'id,contributor,content_hash,weight',
        ...keys.contributors.map((k, i) => `rec-${i},${addr(k)},0x${String(i + 1).padStart(64, '0')},${WEIGHTS[i]}`),
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'a.json'), JSON.stringify({ input: inputOf(150) }));
    await writeFile(path.join(dir, 'b.json'), JSON.stringify({ input: inputOf(151) }));
  });
  after(async () => {
    if (savedKey !== undefined) process.env.ZKAI_CHAIN_KEY = savedKey;
    provider?.destroy();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('an economy command before any deployment is bad input that says how to deploy (exit 2)', () => {
    fails(['royalties', addr(keys.alice), '--rpc', rpc], 2, /no deployment record .*deployments\/31337\.json.*zkai chain deploy/);
  });

  it('chain deploy records the economy contracts in <ZKAI_HOME>/deployments/<chain id>.json', () => {
    const out = ok([
      'chain',
      'deploy',
      '--rpc',
      rpc,
      '--depth',
      '4',
      '--batch-slots',
      '2',
      '--funding-seconds',
      String(FUNDING),
      '--claim-seconds',
      String(CLAIM),
    ]);
    assert.equal(out.out, path.join(home, 'deployments', '31337.json'));
    const record = JSON.parse(readFileSync(out.out, 'utf8'));
    for (const name of [
      'RoyaltyVault',
      'MembershipBatchVerifier',
      'ModelRegistry',
      'InferenceAttestor',
      'ModelGovernance',
      'InferenceMarket',
    ])
      assert.match(record.contracts[name], /^0x[0-9a-fA-F]{40}$/, name);
    assert.deepEqual(out.contracts, record.contracts);
    contracts = record.contracts;
  });

  it('dataset commit, then dataset register prints the root’s royalty epoch (nothing is sent)', () => {
    const ds = ok(['dataset', 'commit', 'records.csv', '--out', 'dataset.json', '--depth', '4']);
    root = ds.root;
    const reg = ok(['dataset', 'register', 'dataset.json', '--rpc', rpc]);
    assert.equal(reg.root, root);
    assert.equal(reg.totalWeight, '10');
    assert.equal(reg.royaltyEpoch.index, '0');
    assert.equal(reg.royaltyEpoch.pot, '0');
    epoch = reg.royaltyEpoch.epoch;
  });

  it('compiles, proves and registers P and M; lists them with owners, split, lineage and setup identity', () => {
    const maker = addr(keys.maker);
    for (const name of ['p', 'm'])
      ok([
        'model',
        'compile',
        path.join(FIXTURES, 'mlp_digits.onnx'),
        '--calibration',
        path.join(FIXTURES, 'digits_test.csv'),
        '--out',
        name,
        '--name',
        'mlp-digits',
      ]);
    ok(['model', 'prove', 'm', '--input', 'a.json', '--out', 'proof-a.json', '--owner', maker]);
    modelP = ok(['model', 'register', 'p', '--rpc', rpc, '--registry', contracts.ModelRegistry!]).modelId;
    // Without --registry: the deployment record's.
    modelM = ok(['model', 'register', 'm', '--rpc', rpc]).modelId;

    // Bad listings are refused before anything is sent.
    fails(['model', 'list', 'p', '--model', modelP, '--owners', 'carol=1', '--fee', '0', '--rpc', rpc], 2, /not an Ethereum address/);
    fails(
      [
        'model',
        'list',
        'p',
        '--model',
        modelP,
        '--owners',
        `${addr(keys.carol)}=1`,
        '--fee',
        '0',
        '--dataset',
        `${root}=10000`,
        '--rpc',
        rpc,
      ],
      2,
      /basis points/,
    );

    const p = ok([
      'model',
      'list',
      'p',
      '--model',
      modelP,
      '--owners',
      `${addr(keys.carol)}=1`,
      '--fee',
      '0',
      '--dataset',
      `${root}=2500`,
      '--rpc',
      rpc,
    ]);
    assert.deepEqual(p.split.holders, [addr(keys.carol)]);
    const m = ok([
      'model',
      'list',
      'm',
      '--model',
      modelM,
      '--owners',
      `${addr(keys.alice)}=60,${addr(keys.bob)}=40`,
      '--fee',
      String(FEE),
      '--dataset',
      `${root}=1000`,
      '--parent',
      `${modelP}=2000`,
      '--rpc',
      rpc,
    ]);
    assert.deepEqual(m.split.holders, [addr(keys.alice), addr(keys.bob)]);
    assert.equal(m.split.ownersBps, 7000);
    const listing = ok(['model', 'listing', modelM, '--rpc', rpc]);
    assert.equal(listing.listing.fee, String(FEE));
    assert.deepEqual(
      listing.lineage.map((l: { modelId: string }) => l.modelId),
      [modelP],
    );
    assert.deepEqual(listing.split.datasetRoots, [root]);
    // The setup identity is the model's setup: its ptau's sha256 and κ's history (Pedersen weights).
    assert.match(listing.setup.ceremony, /^0x[0-9a-f]{64}$/);
    assert.ok(listing.setup.kappaContributions.length >= 1);
    // Listing twice reverts (AlreadyListed): exit 1.
    fails(
      ['model', 'list', 'p', '--model', modelP, '--owners', `${addr(keys.carol)}=1`, '--fee', '0', '--rpc', rpc],
      1,
      /AlreadyListed|NotRegistrant/,
    );
  });

  it('a paid inference: request names the input’s hash and pays the fee; fulfil splits it; a second fulfil fails', () => {
    const req = ok(['inference', 'request', modelM, '--input', 'a.json', '--dir', 'm', '--rpc', rpc], keys.consumer);
    const proof = JSON.parse(readFileSync(path.join(dir, 'proof-a.json'), 'utf8'));
    assert.equal(req.inputHash, proof.public.inputHash);
    assert.equal(req.fee, String(FEE));
    r.a = req.requestId;
    const f = ok(['inference', 'fulfil', r.a!, 'proof-a.json', '--rpc', rpc]);
    const s = splitM(FEE);
    const paid = Object.fromEntries(f.payouts.owners.map((o: { account: string; amount: string }) => [o.account, o.amount]));
    assert.deepEqual(paid, { [addr(keys.alice)]: String(s.alice), [addr(keys.bob)]: String(s.bob), [addr(keys.carol)]: String(s.carol) });
    assert.equal(
      f.payouts.datasets.reduce((a: bigint, d: { amount: string }) => a + BigInt(d.amount), 0n),
      s.dataset,
    );
    fails(['inference', 'fulfil', r.a!, 'proof-a.json', '--rpc', rpc], 1, /NotPending/);
    const show = ok(['inference', 'show', r.a!, '--rpc', rpc]);
    assert.equal(show.statusName, 'Fulfilled');
  });

  it('a minority owner’s fee change does nothing; the majority’s applies to the next requests', () => {
    const prop = ok(['model', 'propose', modelM, '--fee', String(FEE2), '--rpc', rpc], keys.bob);
    assert.equal(prop.executed, false);
    assert.equal(ok(['model', 'listing', modelM, '--rpc', rpc]).listing.fee, String(FEE));
    const approved = ok(['model', 'approve', prop.proposalId, '--rpc', rpc], keys.alice);
    assert.equal(approved.executed, true);
    assert.equal(ok(['model', 'listing', modelM, '--rpc', rpc]).listing.fee, String(FEE2));
    fails(['model', 'propose', modelM, '--fee', '1', '--retire', '--rpc', rpc], 2, /exactly one decision/);
  });

  it('a proof of another input cannot fulfil a request; after its deadline the consumer is refunded, once', async () => {
    fails(['inference', 'request', modelM, '--input', 'b.json', '--rpc', rpc], 2, /--dir/, keys.consumer);
    fails(
      ['inference', 'request', modelM, '--input', 'b.json', '--dir', 'm', '--max-fee', String(FEE), '--rpc', rpc],
      2,
      /above --max-fee/,
      keys.consumer,
    );
    r.b = ok(
      ['inference', 'request', modelM, '--input', 'b.json', '--dir', 'm', '--deadline', String(DEADLINE), '--rpc', rpc],
      keys.consumer,
    ).requestId;
    // The same input again, at the new fee: fulfilled by the statement already attested.
    r.a2 = ok(['inference', 'request', modelM, '--input', 'a.json', '--dir', 'm', '--rpc', rpc], keys.consumer).requestId;
    ok(['inference', 'fulfil', r.a2!, 'proof-a.json', '--rpc', rpc]);
    fails(['inference', 'fulfil', r.b!, 'proof-a.json', '--rpc', rpc], 1, /InputMismatch/);
    fails(['inference', 'refund', r.b!, '--rpc', rpc], 1, /RefundNotOpen/, keys.consumer);
    // A hand deposit into the dataset's royalty epoch, while its funding window is open.
    const dep = ok(['dataset', 'fund', 'dataset.json', '--amount', String(DEPOSIT), '--rpc', rpc], keys.consumer);
    assert.equal(dep.epoch, epoch);
    assert.equal(dep.pot.pot, String(splitM(FEE).dataset + splitM(FEE2).dataset + DEPOSIT));
    await mine(DEADLINE + 1);
    const refunded = ok(['inference', 'refund', r.b!, '--rpc', rpc], keys.consumer);
    assert.equal(refunded.refunded, String(FEE2));
    fails(['inference', 'refund', r.b!, '--rpc', rpc], 1, /NotPending/, keys.consumer);
  });

  it('contributors claim (a single proof and a batch of two); a claim replayed fails', async () => {
    await mine(FUNDING);
    const pot = splitM(FEE).dataset + splitM(FEE2).dataset + DEPOSIT;
    ok(['dataset', 'prove', 'dataset.json', '--record', 'rec-0', '--epoch', epoch, '--out', 'c0.json']);
    ok(['dataset', 'prove', 'dataset.json', '--records', 'rec-1,rec-2', '--slots', '2', '--epoch', epoch, '--out', 'c12.json']);
    const single = ok(['dataset', 'claim', 'c0.json', '--rpc', rpc]); // anyone may send it: the proof names the contributor
    assert.deepEqual(single.credited, [{ contributor: addr(keys.contributors[0]!), amount: String((pot * 5n) / 10n) }]);
    const batch = ok(['dataset', 'claim', 'c12.json', '--rpc', rpc]);
    assert.equal(batch.amount, String((pot * 3n) / 10n + (pot * 2n) / 10n));
    fails(['dataset', 'claim', 'c0.json', '--rpc', rpc], 1, /NullifierUsed/);
  });

  it('royalties reports claimable and credits by source; withdraw pays them out; paid = withdrawn + held, to the wei', async () => {
    const a = splitM(FEE);
    const b = splitM(FEE2);
    const pot = a.dataset + b.dataset + DEPOSIT;
    const alice = ok(['royalties', addr(keys.alice), '--rpc', rpc]);
    assert.equal(alice.claimable.market, String(a.alice + b.alice));
    assert.equal(alice.totals.ownerShares, String(a.alice + b.alice));
    assert.equal(alice.totals.parentShares, '0');
    const carol = ok(['royalties', addr(keys.carol), '--rpc', rpc]);
    assert.equal(carol.totals.parentShares, String(a.carol + b.carol));
    assert.equal(carol.credited.parentShares[0].requestedModel, modelM);
    assert.equal(carol.credited.parentShares[0].modelId, modelP);
    const consumer = ok(['royalties', addr(keys.consumer), '--rpc', rpc]);
    assert.equal(consumer.totals.refunds, String(FEE2));
    const c0 = ok(['royalties', addr(keys.contributors[0]!), '--rpc', rpc]);
    assert.equal(c0.claimable.vault, String((pot * 5n) / 10n));
    assert.equal(c0.credited.claims[0].root, root);

    // Everyone withdraws; each account's ETH moves by exactly what it was credited.
    let withdrawn = 0n;
    for (const key of [keys.alice, keys.bob, keys.carol, keys.consumer, ...keys.contributors]) {
      const before = await provider.getBalance(addr(key));
      const out = ok(['withdraw', '--rpc', rpc], key);
      let gas = 0n;
      for (const tx of [out.market?.txHash, out.vault?.txHash].filter(Boolean)) {
        const receipt = (await provider.getTransactionReceipt(tx))!;
        gas += receipt.gasUsed * receipt.gasPrice;
      }
      assert.equal((await provider.getBalance(addr(key))) - before + gas, BigInt(out.total));
      withdrawn += BigInt(out.total);
    }
    const after = ok(['royalties', addr(keys.alice), '--rpc', rpc]);
    assert.equal(after.claimable.total, '0');
    assert.equal(after.withdrawn.market, String(a.alice + b.alice));
    // Nothing owed is left in the market; the vault keeps only what the rounding left in the pot (until roll-over).
    assert.equal(await provider.getBalance(contracts.InferenceMarket!), 0n);
    const claimed = (pot * 5n) / 10n + (pot * 3n) / 10n + (pot * 2n) / 10n;
    assert.equal(await provider.getBalance(contracts.RoyaltyVault!), pot - claimed);
    // Fees paid (two fulfilled, one refunded) + the deposit = withdrawn + held.
    assert.equal(FEE + FEE2 + FEE2 + DEPOSIT, withdrawn + (pot - claimed));
    fails(['withdraw', '--from', 'nowhere', '--rpc', rpc], 2, /--from is market, vault or both/);
  });

  it('the service’s /v1/economy routes show the same state, without a key; 404 on a chain without the economy', async () => {
    const tenants = new TenantStore(':memory:');
    const store = new JobStore(':memory:');
    const membership = await prepareMembershipCircuit(4);
    const make = (chainContracts: Record<string, string>) =>
      buildApp({
        store,
        runner: { pump() {} },
        membership,
        datasetsDir: path.join(dir, 'service-datasets'),
        auth: { mode: 'keys', keys: tenants },
        tenants,
        chain: { url: rpc, chainId: chain.chainId, contracts: chainContracts, kind: 'rpc', ephemeral: false },
      });
    const app = await make(contracts);
    const bare = await make({ MembershipVerifier: contracts.MembershipVerifier!, RoyaltyVault: contracts.RoyaltyVault! });
    try {
      const get = async (url: string, status = 200) => {
        const res = await app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, status, `${url}: ${res.body}`);
        return res.json();
      };
      // The same JSON as the CLI prints (nothing dropped by the response schemas).
      assert.deepEqual(await get(`/v1/economy/models/${modelM}`), ok(['model', 'listing', modelM, '--rpc', rpc]));
      for (const key of [keys.alice, keys.carol, keys.contributors[0]!])
        assert.deepEqual(await get(`/v1/economy/royalties/${addr(key)}`), ok(['royalties', addr(key), '--rpc', rpc]));
      for (const id of [r.a!, r.b!]) assert.deepEqual(await get(`/v1/economy/requests/${id}`), ok(['inference', 'show', id, '--rpc', rpc]));
      const fulfilled = await get(`/v1/economy/requests/${r.a}`);
      assert.equal(fulfilled.statusName, 'Fulfilled');
      assert.equal(fulfilled.payouts.owners.length, 3);
      assert.equal((await get(`/v1/economy/requests/${r.b}`)).refunded, String(FEE2));
      const model = await get(`/v1/economy/models/${modelM}`);
      assert.equal(model.fulfilled.count, 2);
      assert.equal(model.fulfilled.fees, String(FEE + FEE2));
      // This node (the same ZKAI_HOME) holds M's setup, and it is the one M's listing declares.
      assert.deepEqual(model.localSetup, { status: 'matches', differences: [] });
      // Unknown ids are 404, malformed ones 400; a chain without the economy contracts answers 404 on every route.
      assert.equal((await get('/v1/economy/requests/999', 404)).error.code, 'NOT_FOUND');
      assert.equal((await get(`/v1/economy/models/0x${'ab'.repeat(32)}`, 404)).error.code, 'NOT_FOUND');
      assert.equal((await get('/v1/economy/royalties/0x1234', 400)).error.code, 'BAD_INPUT');
      for (const url of [`/v1/economy/models/${modelM}`, `/v1/economy/royalties/${addr(keys.alice)}`, `/v1/economy/requests/${r.a}`]) {
        const res = await bare.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 404, url);
        assert.match(res.json().error.message, /no economy contracts/);
      }
    } finally {
      await app.close();
      await bare.close();
      store.close();
      tenants.close();
    }
  });

  it('after the claim window, roll-over moves the rounding dust to the next royalty epoch (once); a hand epoch takes fundEpoch', async () => {
    const pot = splitM(FEE).dataset + splitM(FEE2).dataset + DEPOSIT;
    const claimed = (pot * 5n) / 10n + (pot * 3n) / 10n + (pot * 2n) / 10n;
    fails(['dataset', 'roll-over', 'dataset.json', '--epoch', epoch, '--rpc', rpc], 1, /ReclaimNotOpen/);
    await mine(CLAIM);
    const ro = ok(['dataset', 'roll-over', 'dataset.json', '--epoch', epoch, '--rpc', rpc]);
    assert.equal(ro.amount, String(pot - claimed));
    assert.notEqual(ro.toEpoch, epoch);
    fails(['dataset', 'roll-over', 'dataset.json', '--epoch', epoch, '--rpc', rpc], 1, /NothingToRollOver/);
    const hand = ok(['dataset', 'fund', '--root', root, '--epoch', '7', '--amount', '500', '--rpc', rpc], keys.consumer);
    assert.equal(hand.kind, 'hand-funded');
    assert.equal(hand.pot.pot, '500');
    fails(['dataset', 'fund', 'dataset.json', '--root', root, '--amount', '1', '--rpc', rpc], 2, /not both/);
    // Nobody claims the hand epoch: after its claim window its funder takes the 500 wei back, once.
    const reclaim = ['dataset', 'reclaim', '--root', root, '--epoch', '7', '--rpc', rpc];
    fails(reclaim, 1, /ReclaimNotOpen/, keys.consumer);
    await mine(FUNDING + CLAIM); // its funding window, then its claim window
    assert.equal(ok(reclaim, keys.consumer).reclaimed, '500');
    fails(reclaim, 1, /NothingToReclaim/, keys.consumer);
    fails(reclaim, 1, /NothingToReclaim/, keys.alice);
    // Credited, not yet withdrawn: the vault still holds it.
    assert.equal(await provider.getBalance(contracts.RoyaltyVault!), pot - claimed + 500n);
  });

  it('an owner moves shares with transfer-shares; more than it holds, or a bad address, is refused', () => {
    const moved = ok(['model', 'transfer-shares', modelM, '--to', addr(keys.carol), '--amount', '10', '--rpc', rpc], keys.alice);
    assert.deepEqual(moved.shares, { [addr(keys.alice)]: '50', [addr(keys.carol)]: '10' });
    fails(
      ['model', 'transfer-shares', modelM, '--to', addr(keys.carol), '--amount', '41', '--rpc', rpc],
      1,
      /InsufficientShares/,
      keys.bob,
    );
    fails(['model', 'transfer-shares', modelM, '--to', '0x12', '--amount', '1', '--rpc', rpc], 2, /--to <address>/, keys.bob);
    fails(['model', 'transfer-shares', modelM, '--to', addr(keys.carol), '--amount', '0', '--rpc', rpc], 2, /at least 1/, keys.bob);
  });
});
