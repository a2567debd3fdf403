// The real thing on chain: the snarkjs-exported verifier of the membership circuit (depth 4, dev ptau: seconds,
// cached under .zkai/), installed as MembershipVerifier and deployed with a RoyaltyVault, judges a real proof.
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
import { balanceOf, claimRoyalty, fundEpoch, registerDataset, royaltyVaultAt, type SnarkjsProof, toSolidityCalldata } from '../vault.ts';

const DEPTH = 4;
const EPOCH = 5n;

let chain: DevChain;
let provider: JsonRpcProvider;
let signer: Wallet;
let deployed: MembershipContracts;
let setup: CircuitSetup;
let dataset: Dataset;
let claim: { proof: SnarkjsProof; publicSignals: string[] };
let tmp: string;
const contributors = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];

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
  const input = await membershipInput(dataset, 'rec-1', EPOCH);
  const out = (await snarkjs.groth16.fullProve(input, circuit.wasmPath, setup.zkeyPath)) as {
    proof: SnarkjsProof;
    publicSignals: string[];
  };
  claim = { proof: out.proof, publicSignals: out.publicSignals };

  chain = await startDevChain({ port: await freePort() });
  provider = localProvider(chain.url);
  signer = new Wallet(chain.accounts[0], provider);
  deployed = await deployMembership({ signer, verifierSolidity: await readFile(setup.solidityVerifierPath, 'utf8') });
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
    for (let i = 0; i < 5; i++) {
      const other = [...pubSignals];
      other[i] += 1n;
      assert.equal(await verifier.verifyProof(a, b, c, other), false, `public signal ${i} changed`);
    }
  });

  test('RoyaltyVault: a proof redirected to another recipient is InvalidProof; the real one pays exactly; a replay is NullifierUsed', async () => {
    const vault = royaltyVaultAt(deployed.RoyaltyVault, signer);
    const root = BigInt(dataset.manifest.root);
    const totalWeight = BigInt(dataset.manifest.totalWeight);
    const pot = 6_000_000_000n;
    await registerDataset(vault, root, totalWeight);
    await fundEpoch(vault, root, EPOCH, pot);

    const redirected = structuredClone(claim);
    redirected.publicSignals[1] = BigInt(contributors[2].address).toString();
    await assert.rejects(claimRoyalty(vault, redirected), (err: { details?: { contractError?: string } }) => {
      assert.equal(err.details?.contractError, 'InvalidProof');
      return true;
    });

    const contributor = contributors[1].address;
    const { amount } = await claimRoyalty(vault, claim);
    assert.equal(amount, (pot * 20n) / totalWeight);
    assert.equal(await balanceOf(vault, contributor), amount);
    assert.equal(await balanceOf(vault, contributors[2].address), 0n);

    await assert.rejects(claimRoyalty(vault, claim), (err: { details?: { contractError?: string } }) => {
      assert.equal(err.details?.contractError, 'NullifierUsed');
      return true;
    });
  });
});
