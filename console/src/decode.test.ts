import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbiCoder, keccak256 } from 'ethers';
import { BN254_R } from '../../common/bn254.ts';
import type { ProofBundle } from '../../prover/bundle.ts';
import { attestationId } from './chain-view.ts';
import { describeBundle } from './decode.ts';

/** Only the fields describeBundle reads; the proof itself is not looked at. */
function bundle(kind: ProofBundle['kind'], pub: Record<string, string>, insecureSetup: boolean): ProofBundle {
  return {
    format: 'zkai-proof-bundle',
    version: 1,
    kind,
    circuitId: 'c',
    vkeyHash: '0'.repeat(64),
    vkey: {},
    proof: {},
    publicSignals: Object.values(pub).map((v) => (v.startsWith('0x') ? BigInt(v).toString() : v)),
    public: pub,
    metadata: { createdAt: '2026-01-01T00:00:00Z', engine: 'test', insecureSetup, ...(insecureSetup ? {} : { setup: 'ceremony ptau' }) },
  };
}

test('membership signals for people: root and nullifier as hex, weight of total as a share', () => {
  const d = describeBundle(
    bundle('membership', { root: '255', total: '8', contributor: `0x${'ab'.repeat(20)}`, weight: '2', epoch: '7', nullifier: '16' }, true),
  );
  const row = (name: string) => d.rows.find((r) => r.name === name)?.value;
  assert.equal(row('root'), `0x${'0'.repeat(62)}ff`);
  assert.equal(row('contributor'), `0x${'ab'.repeat(20)}`);
  assert.equal(row('weight'), '2');
  assert.equal(row('total'), '8');
  assert.equal(row('share'), '25.00 %');
  assert.equal(row('epoch'), '7');
  assert.equal(row('nullifier'), `0x${'0'.repeat(62)}10`);
  assert.deepEqual(d.security, { insecure: true, label: 'INSECURE dev setup' });
});

test('inference signals for people: negative logits signed, the class, the binding; a ceremony setup', () => {
  const minus2662 = (BN254_R - 2662n).toString();
  const d = describeBundle(
    bundle('inference', { inputHash: '1', 'logits[0]': minus2662, 'logits[1]': '17', label: '1', binding: '0' }, false),
  );
  assert.deepEqual(d.outputs, { logits: ['-2662', '17'], label: '1' });
  const row = (name: string) => d.rows.find((r) => r.name === name)?.value;
  assert.equal(row('logits[0]'), '-2662');
  assert.equal(row('label'), '1');
  assert.match(row('binding') ?? '', /^nobody/);
  assert.equal(d.security.label, 'Ceremony setup');
  assert.equal(d.security.detail, 'ceremony ptau');
});

test("attestationId is InferenceAttestor's keccak256(abi.encode(modelId, signals))", () => {
  const modelId = `0x${'12'.repeat(32)}`;
  const signals = [1n, BN254_R - 1n, 42n];
  const expected = keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256[]'], [modelId, signals]));
  assert.equal(attestationId(modelId, signals), expected);
  assert.notEqual(attestationId(modelId, [1n, BN254_R - 1n, 43n]), expected);
});

test('chain events decode to royalty flows and attestations', async () => {
  const { Interface } = await import('ethers');
  const { decodeLog, EVENT_TOPICS, formatWei } = await import('./chain-activity.ts');
  const abi = new Interface([
    'event EpochFunded(uint256 indexed root, uint256 indexed epoch, address indexed funder, uint256 amount, uint256 pot)',
    'event RoyaltyClaimed(uint256 indexed root, uint256 indexed epoch, uint256 nullifier, address indexed contributor, uint256 amount)',
    'event InferenceAttested(bytes32 indexed attestationId, bytes32 indexed modelId, uint256 inputHash, bytes32 outputsHash, address indexed prover, uint256[] outputs)',
  ]);
  const funder = `0x${'aa'.repeat(20)}`;
  const funded = abi.encodeEventLog('EpochFunded', [255n, 3n, funder, 10n ** 18n, 2n * 10n ** 18n]);
  assert.equal(funded.topics[0], EVENT_TOPICS.EpochFunded);
  assert.deepEqual(decodeLog({ ...funded, blockNumber: '0x10' }), {
    block: 16,
    event: 'EpochFunded',
    subject: `0x${'0'.repeat(62)}ff`,
    epoch: '3',
    account: funder,
    amount: (10n ** 18n).toString(),
  });
  const claimed = abi.encodeEventLog('RoyaltyClaimed', [255n, 3n, 99n, funder, 25n * 10n ** 16n]);
  const row = decodeLog({ ...claimed, blockNumber: '0x11' });
  assert.equal(row?.event, 'RoyaltyClaimed');
  assert.equal(row?.amount, (25n * 10n ** 16n).toString());
  assert.equal(formatWei(row!.amount!), '0.25 ETH');
  const attested = abi.encodeEventLog('InferenceAttested', [
    `0x${'01'.repeat(32)}`,
    `0x${'02'.repeat(32)}`,
    5n,
    `0x${'03'.repeat(32)}`,
    funder,
    [1n, 2n],
  ]);
  assert.deepEqual(decodeLog({ ...attested, blockNumber: '0x12' }), {
    block: 18,
    event: 'InferenceAttested',
    subject: `0x${'02'.repeat(32)}`,
    account: funder,
    attestationId: `0x${'01'.repeat(32)}`,
  });
});

test("ModelRegistry.getModel's answer says whether the registered weights and registrant are this proof's", async () => {
  const { AbiCoder } = await import('ethers');
  const { registeredModelFacts } = await import('./chain-view.ts');
  const registrant = `0x${'cd'.repeat(20)}`;
  const model = (weights: bigint, who: string, active: boolean) =>
    AbiCoder.defaultAbiCoder().encode(
      ['tuple(uint256,bytes32,uint256,address,uint32,uint64,address,bool,bool,address)'],
      [[weights, `0x${'00'.repeat(32)}`, 0n, `0x${'11'.repeat(20)}`, 12, 1n, who, active, false, who]],
    );
  const b = bundle('inference', { weightsHash: '77', 'logits[0]': '1', label: '0', binding: BigInt(registrant).toString() }, true);
  const values = (r: string) => registeredModelFacts(r, b).map((f) => f.value);
  assert.deepEqual(values(model(77n, registrant, true)), [true, true, true]);
  assert.deepEqual(values(model(78n, registrant, true)), [false, true, true]);
  assert.deepEqual(values(model(77n, `0x${'ce'.repeat(20)}`, false)), [true, false, false]);
});
