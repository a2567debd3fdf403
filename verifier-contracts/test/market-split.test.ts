// InferenceMarket's split, exact to the wei, over random lineages (issue 15 item 2): random owners and shares,
// random dataset and parent basis points, fees from 1 wei up, fulfilled and refunded requests. Each fulfilment's
// credits and deposits are compared with a reference split written here from the documented rule, and at the end
// fees paid = credited + deposited + escrowed, to the wei. Also: withdraw is not re-entrant. The proofs are a mock
// verifier's (the point is the arithmetic; market.test.ts fulfils with real proofs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Contract, type JsonRpcProvider, Wallet } from 'ethers';
import type { DevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import { fulfilInference, getSplit, marketBalance, refundRequest, requestInference, type Split } from '../market.ts';
import { bindingOf } from '../models.ts';
import {
  advance,
  assertMarketReverts as assertReverts,
  expectProof,
  FAKE_PROOF,
  type MarketStack,
  now,
  registerAndList,
  stackAs,
  startMarketChain,
} from './market-fixture.ts';

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let stack: MarketStack;

before(async () => {
  ({ chain, provider, owner, alice, stack } = await startMarketChain());
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    big: (bits: number) => BigInt(Math.floor(next() * 2 ** 30)) << BigInt(Math.max(0, bits - 30)),
  };
}

/** The documented rule, independently: cumulative basis points over datasets, parents, owners; cumulative shares. */
function referenceSplit(splits: Map<string, Split>, modelId: string, amount: bigint, out: Map<string, bigint>): void {
  const s = splits.get(modelId)!;
  const add = (k: string, v: bigint) => out.set(k, (out.get(k) ?? 0n) + v);
  let cum = 0n;
  let done = 0n;
  const take = (bps: number) => {
    cum += BigInt(bps);
    const part = (amount * cum) / 10_000n - done;
    done += part;
    return part;
  };
  s.datasetRoots.forEach((root, i) => {
    add(`root:${root}`, take(s.datasetBps[i]!));
  });
  s.parents.forEach((p, i) => {
    const part = take(s.parentBps[i]!);
    if (part > 0n) referenceSplit(splits, p, part, out);
  });
  const owners = amount - done;
  let cumShares = 0n;
  let given = 0n;
  s.holders.forEach((h, i) => {
    cumShares += s.shares[i]!;
    const part = (owners * cumShares) / s.totalShares - given;
    given += part;
    add(h, part);
  });
}

describe('splits', () => {
  test('random lineages: every fulfilment credits exactly the reference split; paid = credited + deposited + escrowed', async (t) => {
    const seed = 20261206;
    t.diagnostic(`seed ${seed}`);
    const rnd = prng(seed);
    const pool = Array.from({ length: 10 }, () => Wallet.createRandom().address);
    const fees = [1n, 7n, 9_999n, 10_001n, 1_000_003n, 10n ** 18n + 7n, rnd.big(60), rnd.big(40)];
    const models: { modelId: string; weightCommitment: bigint; mock: Contract; fee: bigint; depth: number }[] = [];
    const splits = new Map<string, Split>();
    for (let i = 0; i < 8; i++) {
      const nHolders = rnd.int(1, 4);
      const holders = [...new Set(Array.from({ length: nHolders }, () => pool[rnd.int(0, pool.length - 1)]!))];
      const shares = holders.map(() => (rnd.int(0, 3) === 0 ? rnd.big(80) + 1n : BigInt(rnd.int(1, 1000))));
      const nDatasets = rnd.int(0, 2);
      const datasetRoots = Array.from({ length: nDatasets }, (_, k) => BigInt(1000 + i * 10 + k));
      const datasetBps = datasetRoots.map(() => rnd.int(1, 2500));
      // Parents of depth ≤ 2 keep the lineage within MAX_DEPTH (4) and MAX_LINEAGE (16).
      const candidates = models.slice(-4).filter((m) => m.depth <= 2);
      const chosen = candidates.filter(() => rnd.int(0, 1) === 1).slice(0, 2);
      const parents = chosen.map((m) => m.modelId);
      const depth = 1 + Math.max(0, ...chosen.map((m) => m.depth));
      const parentBps = parents.map(() => rnd.int(1, 2000));
      const fee = fees[i]!;
      const m = await registerAndList(stack, owner, { owners: holders, shares, datasetRoots, datasetBps, parents, parentBps, fee });
      models.push({ ...m, fee, depth });
      splits.set(m.modelId, await getSplit(stackAs(stack, owner).governance, m.modelId));
    }

    t.diagnostic(`depths ${models.map((m) => m.depth).join(' ')}`);
    // The seed must give the test lineages to walk, not only flat models.
    assert.ok(models.some((m) => m.depth >= 3));
    const c = stackAs(stack, alice);
    const credited = new Map<string, bigint>();
    let paid = 0n;
    let refunded = 0n;
    let deposited = 0n;
    for (let r = 0; r < 16; r++) {
      const m = models[rnd.int(0, models.length - 1)]!;
      const input = BigInt(r + 1);
      const { requestId } = await requestInference(c.market, m.modelId, input, (await now(provider)) + 500, m.fee);
      paid += m.fee;
      if (r % 5 === 4) continue; // left pending: escrowed
      if (r % 5 === 3) {
        // Refunded after its deadline; the market's next deadlines are relative to the new time.
        await advance(provider, 501);
        await refundRequest(c.market, requestId);
        refunded += m.fee;
        continue;
      }
      const signals = [m.weightCommitment, input, 0n, bindingOf(owner.address)];
      await expectProof(m.mock, signals);
      const { receipt } = await fulfilInference(c.market, requestId, FAKE_PROOF, signals.map(String));
      const got = new Map<string, bigint>();
      for (const log of receipt.logs) {
        if (log.address !== stack.market) continue;
        const ev = c.market.interface.parseLog(log);
        if (ev?.name === 'OwnerPaid') got.set(ev.args.account, (got.get(ev.args.account) ?? 0n) + ev.args.amount);
        if (ev?.name === 'DatasetPaid') got.set(`root:${ev.args.root}`, (got.get(`root:${ev.args.root}`) ?? 0n) + ev.args.amount);
      }
      const want = new Map<string, bigint>();
      referenceSplit(splits, m.modelId, m.fee, want);
      for (const [k, v] of [...want]) if (v === 0n) want.delete(k);
      assert.deepEqual(got, want, `request ${r} of model ${m.modelId}`);
      assert.equal(
        [...got.values()].reduce((a, b) => a + b, 0n),
        m.fee,
      );
      for (const [k, v] of got) {
        if (k.startsWith('root:')) deposited += v;
        else credited.set(k, (credited.get(k) ?? 0n) + v);
      }
    }

    const escrowed = (await c.market.escrowed()) as bigint;
    const owed = (await c.market.owed()) as bigint;
    let balances = 0n;
    for (const a of pool) {
      const b = await marketBalance(c.market, a);
      assert.equal(b, credited.get(a) ?? 0n, a);
      balances += b;
    }
    balances += await marketBalance(c.market, alice.address);
    assert.equal(balances, owed);
    assert.equal(owed, [...credited.values()].reduce((x, y) => x + y, 0n) + refunded);
    assert.equal(await provider.getBalance(stack.market), escrowed + owed);
    assert.equal(await provider.getBalance(stack.vault), deposited);
    assert.equal(paid, owed + deposited + escrowed);
    t.diagnostic(`paid ${paid} = owed ${owed} + deposited ${deposited} + escrowed ${escrowed}`);
  });
});

describe('bounds', () => {
  test('the largest fee tree a listing allows (16 models, 16 holders and 4 datasets each) fits a transaction', async (t) => {
    // Distinct holders and dataset roots in every model: every credit and deposit writes fresh storage (the worst case).
    let nextRoot = 10_000n;
    const base = () => {
      const owners = Array.from({ length: 16 }, () => Wallet.createRandom().address);
      const datasetRoots = [0, 1, 2, 3].map(() => nextRoot++);
      return { owners, shares: owners.map((_, i) => BigInt(i + 1)), datasetRoots, datasetBps: [100, 100, 100, 100] };
    };
    const leaves = [];
    for (let i = 0; i < 4; i++) leaves.push((await registerAndList(stack, owner, { ...base(), fee: 0n })).modelId);
    const mids = [];
    for (let i = 0; i < 3; i++) {
      mids.push((await registerAndList(stack, owner, { ...base(), parents: leaves, parentBps: [500, 500, 500, 500], fee: 0n })).modelId);
    }
    const top = await registerAndList(stack, owner, { ...base(), parents: mids, parentBps: [1000, 1000, 1000], fee: 10n ** 18n });
    const c = stackAs(stack, alice);
    const { requestId } = await requestInference(c.market, top.modelId, 5n, (await now(provider)) + 500, 10n ** 18n);
    const signals = [top.weightCommitment, 5n, 0n, bindingOf(owner.address)];
    await expectProof(top.mock, signals);
    // The per-transaction gas cap (EIP-7825, 2^24, enforced by the dev chain) is the bound that matters.
    const { receipt } = await fulfilInference(c.market, requestId, FAKE_PROOF, signals.map(String), { gasLimit: 1n << 24n });
    const names = receipt.logs.filter((l) => l.address === stack.market).map((l) => c.market.interface.parseLog(l)?.name);
    assert.equal(names.filter((n) => n === 'OwnerPaid').length, 256);
    assert.equal(names.filter((n) => n === 'DatasetPaid').length, 64);
    t.diagnostic(`fulfil gas, largest fee tree (256 credits, 64 deposits; mock verifier): ${receipt.gasUsed}`);
    assert.ok(receipt.gasUsed < 10_000_000n);
    assert.equal(await provider.getBalance(stack.market), ((await c.market.escrowed()) as bigint) + ((await c.market.owed()) as bigint));
  });
});

describe('withdraw', () => {
  test('a re-entrant withdraw is refused and the balance stays', async () => {
    const reentrant = await deployContract(owner, 'ReentrantWithdrawer');
    const m = await registerAndList(stack, owner, { owners: [reentrant], shares: [1n], fee: 1234n });
    const c = stackAs(stack, alice);
    const { requestId } = await requestInference(c.market, m.modelId, 99n, (await now(provider)) + 500, 1234n);
    const signals = [m.weightCommitment, 99n, 0n, bindingOf(owner.address)];
    await expectProof(m.mock, signals);
    await fulfilInference(c.market, requestId, FAKE_PROOF, signals.map(String));
    assert.equal(await marketBalance(c.market, reentrant), 1234n);
    const attacker = new Contract(reentrant, (await loadArtifact('ReentrantWithdrawer')).abi, alice);
    await assertReverts(attacker.getFunction('withdrawFrom')(stack.market), 'WithdrawFailed');
    assert.equal(await marketBalance(c.market, reentrant), 1234n);
    assert.equal(await provider.getBalance(stack.market), ((await c.market.escrowed()) as bigint) + ((await c.market.owed()) as bigint));
  });
});
