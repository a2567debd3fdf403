// ModelGovernance (issue 15 items 4–6): listings, a minority owner acting alone, shares moved after approving,
// retirement and new versions by majority, lineage cycles and bounds, the setup identity on the record. Models use
// a mock verifier: none of these tests is about a proof (market.test.ts is, with real proofs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Interface, type JsonRpcProvider, Wallet } from 'ethers';
import type { DevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployContract } from '../deploy.ts';
import {
  approveProposal,
  GovernanceAction,
  getListing,
  getSetupIdentity,
  getSplit,
  INFERENCE_MARKET_ABI,
  type ListingParams,
  listingHashOf,
  listingTuple,
  listModel,
  MODEL_GOVERNANCE_ABI,
  propose,
  requestInference,
  transferShares,
} from '../market.ts';
import { deployInference, getModel, registerModel, transferModelOwnership } from '../models.ts';
import { findEvent } from '../tx.ts';
import {
  advance,
  assertMarketReverts as assertReverts,
  fakeSetup,
  type MarketStack,
  marketErrors,
  now,
  registerAndList,
  stackAs,
  startMarketChain,
} from './market-fixture.ts';

let chain: DevChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let alice: Wallet;
let bob: Wallet;
let carol: Wallet;
let dave: Wallet;
let stack: MarketStack;
const as = (w: Wallet) => stackAs(stack, w);

before(async () => {
  ({ chain, provider, owner, alice, bob, stack } = await startMarketChain());
  [carol, dave] = chain.accounts.slice(3, 5).map((k) => new Wallet(k, provider)) as [Wallet, Wallet];
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
});

const owners6040 = () => ({ owners: [alice.address, bob.address], shares: [60n, 40n], fee: 1000n });

test('the written-out ABIs match the compiled contracts', async () => {
  for (const [name, written] of [
    ['ModelGovernance', MODEL_GOVERNANCE_ABI],
    ['InferenceMarket', INFERENCE_MARKET_ABI],
  ] as const) {
    const full = (i: Interface) => i.fragments.map((f) => f.format('full')).sort();
    assert.deepEqual(full(new Interface(written)), full(new Interface((await loadArtifact(name)).abi)), name);
  }
});

test('the market refuses an attestor over another registry than the governance’s', async () => {
  const other = await deployInference({ signer: owner });
  // The deployment's revert data is the custom error's selector (deployArtifact reports it in its message).
  const selector = marketErrors.getError('RegistryMismatch')!.selector;
  await assert.rejects(deployContract(owner, 'InferenceMarket', [other.InferenceAttestor, stack.governance, stack.vault]), (err: Error) =>
    err.message.includes(selector),
  );
  await assertReverts(as(alice).market.getFunction('refund')(12345n), 'UnknownRequest');
});

describe('listing', () => {
  test('only the registrant lists, only once, and only after handing the registry ownership over', async () => {
    const { modelId } = await registerAndList(stack, owner, owners6040());
    await assertReverts(
      listModel(as(owner).registry, as(owner).governance, modelId, { ...owners6040(), setup: fakeSetup(1) }),
      'AlreadyListed',
    );
    // Registered but the registry ownership not handed to the governance contract: a single owner could retire it.
    const { modelId: other } = await registerModel(as(owner).registry, {
      weightCommitment: 999_001n,
      circuitId: `0x${'22'.repeat(32)}`,
      verifier: stack.market,
      numPublicSignals: 4,
    });
    const params = listingTuple({ ...owners6040(), setup: fakeSetup(2) });
    await assertReverts(as(owner).governance.list(other, params), 'RegistryOwnershipNotHeld');
    await transferModelOwnership(as(owner).registry, other, stack.governance);
    await assertReverts(as(alice).governance.list(other, params), 'NotRegistrant');
    await (await as(owner).governance.list(other, params)).wait();
    assert.equal((await getModel(as(owner).registry, other)).owner, stack.governance);
  });

  test('malformed listings are refused', async () => {
    const cases: [Partial<ListingParams>, string][] = [
      [{ owners: [], shares: [] }, 'NoOwners'],
      [{ owners: [alice.address, alice.address], shares: [1n, 1n] }, 'DuplicateOwner'],
      [{ owners: [alice.address], shares: [0n] }, 'ZeroShares'],
      [{ owners: [alice.address], shares: [1n, 2n] }, 'LengthMismatch'],
      [{ datasetRoots: [5n, 6n], datasetBps: [5000, 5000] }, 'BadSplit'],
      [{ datasetRoots: [5n], datasetBps: [0] }, 'BadSplit'],
      [{ datasetRoots: [0n], datasetBps: [10] }, 'DatasetRootOutOfField'],
      [{ setup: { ...fakeSetup(3), zkeyContributions: [`0x${'ab'.repeat(32)}`] } }, 'BadContributionHash'],
      // The lookup key's κ history is bounded like the others (MAX_CONTRIBUTIONS = 64).
      [{ setup: { ...fakeSetup(3), lookupKappaContributions: Array(65).fill(`0x${'cd'.repeat(32)}`) } }, 'TooManyContributions'],
    ];
    for (const [change, error] of cases) {
      await assertReverts(registerAndList(stack, owner, { ...owners6040(), ...change }), error);
    }
  });

  test('the setup identity is on the record (view and event), with every phase-2 and κ contribution of both keys', async () => {
    const setup = fakeSetup(77);
    const { modelId } = await registerAndList(stack, owner, { ...owners6040(), setup });
    assert.deepEqual(await getSetupIdentity(as(bob).governance, modelId), setup);
    const logs = await as(bob).governance.queryFilter(as(bob).governance.filters.SetupRecorded(modelId));
    assert.equal(logs.length, 1);
    const ev = as(bob).governance.interface.parseLog(logs[0]!)!;
    assert.equal(ev.args.ceremony, setup.ceremony);
    assert.deepEqual([...ev.args.zkeyContributions], setup.zkeyContributions);
    assert.deepEqual([...ev.args.kappaContributions], setup.kappaContributions);
    // The lookup key's κ history is recorded apart from the weights' commitment key's: each list keeps its own entries.
    assert.deepEqual([...ev.args.lookupKappaContributions], setup.lookupKappaContributions);
    assert.equal(setup.lookupKappaContributions.length, 1);
    assert.notDeepEqual(setup.lookupKappaContributions, setup.kappaContributions);
    // A model without lookups records an empty lookup κ list.
    const plain = { ...fakeSetup(78), lookupKappaContributions: [] };
    const second = await registerAndList(stack, owner, { ...owners6040(), setup: plain });
    assert.deepEqual((await getSetupIdentity(as(bob).governance, second.modelId)).lookupKappaContributions, []);
  });
});

describe('majority decisions', () => {
  test('a minority owner acting alone changes nothing; the majority does', async () => {
    const { modelId } = await registerAndList(stack, owner, owners6040());
    // bob holds 40 of 100: his proposal is recorded, not executed.
    const fee = await propose(as(bob).governance, modelId, GovernanceAction.SetFee, 1n);
    assert.equal(fee.executed, false);
    assert.equal((await getListing(as(bob).governance, modelId)).fee, 1000n);
    await assertReverts(approveProposal(as(bob).governance, fee.proposalId), 'AlreadyApproved');
    const retire = await propose(as(bob).governance, modelId, GovernanceAction.Retire, 0n);
    assert.equal(retire.executed, false);
    assert.equal((await getListing(as(bob).governance, modelId)).retired, false);
    // Someone without shares can neither propose nor approve.
    await assertReverts(propose(as(carol).governance, modelId, GovernanceAction.SetFee, 0n), 'NotHolder');
    await assertReverts(approveProposal(as(carol).governance, fee.proposalId), 'NotHolder');
    // bob's retirement cannot go through the registry either: the governance contract owns the model there.
    await assertReverts(as(bob).registry.deactivateModel(modelId), 'NotOwner');

    // alice's approval makes 100 of 100.
    assert.equal((await approveProposal(as(alice).governance, fee.proposalId)).executed, true);
    assert.equal((await getListing(as(bob).governance, modelId)).fee, 1n);
    await assertReverts(approveProposal(as(alice).governance, fee.proposalId), 'ProposalClosed');
    // alice alone (60 of 100) is a majority.
    assert.equal((await propose(as(alice).governance, modelId, GovernanceAction.SetFee, 7n)).executed, true);
    assert.equal((await getListing(as(bob).governance, modelId)).fee, 7n);
  });

  test('a proposal expires after PROPOSAL_TTL', async () => {
    const { modelId } = await registerAndList(stack, owner, owners6040());
    const { proposalId } = await propose(as(bob).governance, modelId, GovernanceAction.SetFee, 3n);
    await advance(provider, Number(await as(bob).governance.PROPOSAL_TTL()));
    await assertReverts(approveProposal(as(alice).governance, proposalId), 'ProposalClosed');
    await assertReverts(approveProposal(as(alice).governance, 999_999n), 'UnknownProposal');
    assert.equal((await getListing(as(bob).governance, modelId)).fee, 1000n);
  });

  test('exactly half is not a majority', async () => {
    const { modelId } = await registerAndList(stack, owner, { owners: [alice.address, bob.address], shares: [50n, 50n], fee: 5n });
    assert.equal((await propose(as(alice).governance, modelId, GovernanceAction.SetFee, 9n)).executed, false);
    assert.equal((await getListing(as(alice).governance, modelId)).fee, 5n);
  });

  test('shares moved after approving are not counted twice', async () => {
    const { modelId } = await registerAndList(stack, owner, {
      owners: [alice.address, bob.address, carol.address],
      shares: [30n, 30n, 40n],
      fee: 5n,
    });
    const { proposalId } = await propose(as(carol).governance, modelId, GovernanceAction.SetFee, 6n);
    // carol approved with 40, then hands her 40 to dave, who approves: still 40 of 100, not 80.
    await transferShares(as(carol).governance, modelId, dave.address, 40n);
    assert.deepEqual([...(await as(carol).governance.holders(modelId))], [alice.address, bob.address, dave.address]);
    assert.equal((await approveProposal(as(dave).governance, proposalId)).executed, false);
    assert.equal(await as(dave).governance.approvedShares(proposalId), 40n);
    assert.equal((await getListing(as(dave).governance, modelId)).fee, 5n);
    await assertReverts(transferShares(as(carol).governance, modelId, alice.address, 1n), 'InsufficientShares');
    // alice's 30 makes 70.
    assert.equal((await approveProposal(as(alice).governance, proposalId)).executed, true);
    assert.equal((await getListing(as(dave).governance, modelId)).fee, 6n);
    const split = await getSplit(as(dave).governance, modelId);
    assert.deepEqual(split.shares, [30n, 30n, 40n]);
    assert.equal(split.totalShares, 100n);
  });

  test('retirement by majority stops requests and attestations (the registry model is deactivated)', async () => {
    const { modelId } = await registerAndList(stack, owner, owners6040());
    assert.equal(await as(alice).governance.serves(modelId), true);
    assert.equal((await propose(as(alice).governance, modelId, GovernanceAction.Retire, 0n)).executed, true);
    assert.equal(await as(alice).governance.serves(modelId), false);
    assert.equal((await getModel(as(alice).registry, modelId)).active, false);
    await assertReverts(requestInference(as(carol).market, modelId, 1n, (await now(provider)) + 100, 1000n), 'ModelNotServing');
    await assertReverts(propose(as(alice).governance, modelId, GovernanceAction.SetFee, 1n), 'ModelRetiredAlready');
  });

  test('a new version needs the majority’s approval of exactly its listing; the old one then stops serving', async () => {
    const { modelId: v1 } = await registerAndList(stack, owner, owners6040());
    // v2: another registered model (here by carol), to be listed as v1's successor.
    const { modelId: v2 } = await registerModel(as(carol).registry, {
      weightCommitment: 777_001n,
      circuitId: `0x${'33'.repeat(32)}`,
      verifier: stack.market,
      numPublicSignals: 4,
    });
    const params: ListingParams = {
      owners: [alice.address, bob.address],
      shares: [50n, 50n],
      fee: 2000n,
      predecessor: v1,
      setup: fakeSetup(9),
    };
    await assertReverts(listModel(as(carol).registry, as(carol).governance, v2, params), 'VersionNotApproved');
    const hash = listingHashOf(v2, params);
    assert.equal(await as(carol).governance.listingHash(v2, listingTuple(params)), hash);
    // bob (40) alone: not approved.
    const { proposalId } = await propose(as(bob).governance, v1, GovernanceAction.ApproveVersion, hash);
    await assertReverts(listModel(as(carol).registry, as(carol).governance, v2, params), 'VersionNotApproved');
    await approveProposal(as(alice).governance, proposalId);
    // Approved for exactly these params: carol cannot raise the fee or change the owners.
    await assertReverts(listModel(as(carol).registry, as(carol).governance, v2, { ...params, fee: 2001n }), 'VersionNotApproved');
    const { receipt } = await listModel(as(carol).registry, as(carol).governance, v2, params);
    assert.equal(findEvent(as(carol).governance, receipt, 'ModelSuperseded').args.successor, v2);
    assert.equal(await as(carol).governance.serves(v1), false);
    assert.equal(await as(carol).governance.serves(v2), true);
    assert.equal((await getListing(as(carol).governance, v2)).predecessor, v1);
  });
});

describe('lineage', () => {
  test('a lineage cycle cannot be made: parents are listed before their children, and listings never change', async () => {
    const { modelId: a } = await registerAndList(stack, owner, owners6040());
    const { modelId: b } = await registerAndList(stack, owner, { ...owners6040(), parents: [a], parentBps: [2000] });
    assert.equal((await getListing(as(owner).governance, b)).depth, 2);
    // a cannot take b as its parent: it is listed already, and a listing is never rewritten.
    await assertReverts(
      listModel(as(owner).registry, as(owner).governance, a, { ...owners6040(), parents: [b], parentBps: [1000], setup: fakeSetup(4) }),
      'AlreadyListed',
    );
    // A model cannot name itself (it is not listed when it names its parents), nor any unlisted model.
    const { modelId: c } = await registerModel(as(owner).registry, {
      weightCommitment: 555_001n,
      circuitId: `0x${'44'.repeat(32)}`,
      verifier: stack.market,
      numPublicSignals: 4,
    });
    const selfParent = { ...owners6040(), parents: [c], parentBps: [1000], setup: fakeSetup(5) };
    await assertReverts(listModel(as(owner).registry, as(owner).governance, c, selfParent), 'NotListed');
    await assertReverts(
      listModel(as(owner).registry, as(owner).governance, c, { ...selfParent, parents: [a, a], parentBps: [1000, 1000] }),
      'DuplicateParent',
    );
  });

  test('depth and fee-tree size are bounded', async () => {
    let tip = (await registerAndList(stack, owner, owners6040())).modelId;
    for (let depth = 2; depth <= 4; depth++) {
      tip = (await registerAndList(stack, owner, { ...owners6040(), parents: [tip], parentBps: [100] })).modelId;
    }
    assert.equal((await getListing(as(owner).governance, tip)).depth, 4);
    await assertReverts(registerAndList(stack, owner, { ...owners6040(), parents: [tip], parentBps: [100] }), 'LineageTooDeep');

    const roots = [];
    for (let i = 0; i < 4; i++) roots.push((await registerAndList(stack, owner, owners6040())).modelId);
    const mids = [];
    for (let i = 0; i < 3; i++)
      mids.push((await registerAndList(stack, owner, { ...owners6040(), parents: roots, parentBps: [1, 1, 1, 1] })).modelId);
    const wide = await registerAndList(stack, owner, { ...owners6040(), parents: mids, parentBps: [1, 1, 1] });
    assert.equal((await getListing(as(owner).governance, wide.modelId)).lineageSize, 16);
    await assertReverts(
      registerAndList(stack, owner, { ...owners6040(), parents: [...mids, roots[0]!], parentBps: [1, 1, 1, 1] }),
      'LineageTooLarge',
    );
  });
});
