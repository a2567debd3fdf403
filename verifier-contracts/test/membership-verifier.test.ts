// The real thing on chain: the snarkjs-exported verifier of the membership circuit (depth 4, dev ptau: seconds,
// cached under .zkai/), installed as MembershipVerifier and deployed with a RoyaltyVault, judges real proofs; the
// squat and griefing attacks on the dataset's total are mounted here with real proofs.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Contract, type JsonRpcProvider, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { buildCircuit } from '../../circuits/build.ts';
import { commitDataset, type Dataset, membershipInput } from '../../circuits/dataset/index.ts';
import { membershipCircuitSpec } from '../../circuits/membership.ts';
import { type CircuitSetup, ensureCircuitSetup } from '../../prover/setup/index.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../chain.ts';
import { loadArtifact } from '../compile.ts';
import { deployMembership, type MembershipContracts } from '../deploy.ts';
import { balanceOf, claimRoyalty, fundEpoch, royaltyVaultAt, type SnarkjsProof, toSolidityCalldata } from '../vault.ts';

const DEPTH = 4;
const EPOCH = 5n;
const FUNDING = 100;
const CLAIMS = 1_000;

let chain: DevChain;
let provider: JsonRpcProvider;
let signer: Wallet;
let deployed: MembershipContracts;
let setup: CircuitSetup;
let dataset: Dataset;
let claim: { proof: SnarkjsProof; publicSignals: string[] };
/** The squatter: contributor 0 commits a dataset holding only its own record, and proves against that. */
let squat: { proof: SnarkjsProof; publicSignals: string[] };
let squatRoot: bigint;
let tmp: string;
const contributors = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
type Prove = (input: object) => Promise<{ proof: SnarkjsProof; publicSignals: string[] }>;

before(async () => {
  const circuit = await buildCircuit(membershipCircuitSpec(DEPTH));
  setup = await ensureCircuitSetup(circuit);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-verifier-'));
  const records = contributors.map((w, i) => ({
    id: `rec-${i}`,
    contributor: w.address.toLowerCase(),
    contentHash: `0x${String(i + 1).padStart(64, '0')}`,
    weight: BigInt(10 * (i + 1)),
  }));
  dataset = await commitDataset(records, path.join(tmp, 'dataset.json'), { depth: DEPTH });
  const prove: Prove = async (input) => {
    const out = (await snarkjs.groth16.fullProve(input as never, circuit.wasmPath, setup.zkeyPath)) as Awaited<ReturnType<Prove>>;
    return { proof: out.proof, publicSignals: out.publicSignals };
  };
  claim = await prove(await membershipInput(dataset, 'rec-1', EPOCH));
  const own = await commitDataset(records.slice(0, 1), path.join(tmp, 'squat.json'), { depth: DEPTH });
  squatRoot = BigInt(own.manifest.root);
  squat = await prove(await membershipInput(own, 'rec-0', EPOCH));

  chain = await startDevChain({ port: await freePort() });
  provider = localProvider(chain.url);
  signer = new Wallet(chain.accounts[0], provider);
  deployed = await deployMembership({
    signer,
    verifierSolidity: await readFile(setup.solidityVerifierPath, 'utf8'),
    periods: { fundingSeconds: FUNDING, claimSeconds: CLAIMS },
  });
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  // snarkjs keeps the curve's worker threads alive; without this the test process never exits.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

describe('generated MembershipVerifier on a dev chain', () => {
  test('the installed contract is the renamed snarkjs verifier', async () => {
    const artifact = await loadArtifact('MembershipVerifier');
    assert.equal(artifact.sourceName, 'contracts/generated/MembershipVerifier.sol');
    assert.ok((await provider.getCode(deployed.MembershipVerifier)).length > 2);
    assert.equal(deployed.chainId, 31337);
  });

  test('verifyProof accepts the proof only in the EVM encoding and only for its own public signals', async () => {
    assert.equal(await snarkjs.groth16.verify(setup.vkey, claim.publicSignals, claim.proof), true);
    const verifier = new Contract(deployed.MembershipVerifier, (await loadArtifact('MembershipVerifier')).abi, provider);
    const { a, b, c, pubSignals } = toSolidityCalldata(claim.proof, claim.publicSignals);
    assert.equal(await verifier.verifyProof(a, b, c, pubSignals), true);
    // Without the per-pair swap of B's coordinates the pairing check fails.
    const unswapped = b.map(([x, y]) => [y, x]);
    assert.equal(await verifier.verifyProof(a, unswapped, c, pubSignals), false);
    for (let i = 0; i < 6; i++) {
      const other = [...pubSignals];
      other[i] += 1n;
      assert.equal(await verifier.verifyProof(a, b, c, other), false, `public signal ${i} changed`);
    }
  });

  test('RoyaltyVault: squat, griefing and redirection are InvalidProof; the real proof pays exactly; a replay is NullifierUsed', async () => {
    const vault = royaltyVaultAt(deployed.RoyaltyVault, signer);
    const root = BigInt(dataset.manifest.root);
    const totalWeight = BigInt(dataset.manifest.totalWeight);
    assert.equal(claim.publicSignals[1], dataset.manifest.totalWeight, 'the proof carries the committed total');
    const pot = 6_000_000_000n;
    await fundEpoch(vault, root, EPOCH, pot); // no registration: the root is funded as it is
    await provider.send('evm_increaseTime', [FUNDING]);
    await provider.send('evm_mine', []);
    const rejected = (name: string) => (err: { details?: { contractError?: string } }) => {
      assert.equal(err.details?.contractError, name);
      return true;
    };

    // The squat: contributor 0 (weight 10) claims the real root's pot with its own weight as the total...
    const squatOnReal = structuredClone(squat);
    squatOnReal.publicSignals[0] = root.toString();
    assert.equal(squatOnReal.publicSignals[1], '10');
    await assert.rejects(claimRoyalty(vault, squatOnReal), rejected('InvalidProof'));
    // ...or with its real proof, for the one-record root it committed itself: a root nobody funded.
    assert.notEqual(squatRoot, root);
    await assert.rejects(claimRoyalty(vault, squat), rejected('EmptyEpoch'));
    // The griefer's total 1 (once a lock on the root) is refused before the verifier; any total other than the
    // root's own, e.g. the claimant's weight (the whole pot), does not verify.
    const grief = structuredClone(claim);
    grief.publicSignals[1] = '1';
    await assert.rejects(claimRoyalty(vault, grief), rejected('WeightExceedsTotal'));
    grief.publicSignals[1] = claim.publicSignals[3]!;
    await assert.rejects(claimRoyalty(vault, grief), rejected('InvalidProof'));

    const redirected = structuredClone(claim);
    redirected.publicSignals[2] = BigInt(contributors[2].address).toString();
    await assert.rejects(claimRoyalty(vault, redirected), rejected('InvalidProof'));

    const contributor = contributors[1].address;
    const { amount } = await claimRoyalty(vault, claim);
    assert.equal(amount, (pot * 20n) / totalWeight);
    assert.equal(await balanceOf(vault, contributor), amount);
    assert.equal(await balanceOf(vault, contributors[2].address), 0n);

    await assert.rejects(claimRoyalty(vault, claim), rejected('NullifierUsed'));
  });
});
