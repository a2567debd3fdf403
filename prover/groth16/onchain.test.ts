// A proof from zkai's own Groth16 prover, checked by the snarkjs-exported Solidity verifier on a local dev chain
// (membership circuit, depth 2, dev ptau): the EVM pairing precompile is a third, independent verifier.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { Contract, type JsonRpcProvider, Wallet } from 'ethers';
import { FR_BYTES } from '../../gpu/backend.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../../verifier-contracts/chain.ts';
import { deployArtifact } from '../../verifier-contracts/deploy.ts';
import { installGeneratedVerifier } from '../../verifier-contracts/generated.ts';
import { toSolidityCalldata } from '../../verifier-contracts/vault.ts';
import { type ProvingEngine, selectEngine } from '../engine.ts';
import { ensureCircuitSetup } from '../setup/index.ts';
import { type Groth16Fixture, membershipInput, membershipTestSetup } from '../test-fixtures.ts';
import { releaseVerifierResources } from '../verify.ts';
import { bigIntToLe, leToBigInt } from './points.ts';
import { proveGroth16 } from './prove.ts';
import { parseWtns } from './wtns.ts';
import { BN254_R, parseZkey } from './zkey.ts';

let chain: DevChain;
let provider: JsonRpcProvider;
let verifier: Contract;
let fixture: Groth16Fixture;
let witness: Uint8Array;
let engine: ProvingEngine;

before(async () => {
  fixture = await membershipTestSetup(2);
  const calculator = (await WitnessCalculatorBuilder(await readFile(fixture.circuit.wasmPath))) as {
    calculateWTNSBin(i: Record<string, unknown>, sanity: boolean): Promise<Uint8Array>;
  };
  const input = await membershipInput([{ recordId: 5n, contributor: 0xabcn, contentHi: 6n, contentLo: 7n, weight: 8n }], 0, 3n, 2);
  witness = parseWtns(await calculator.calculateWTNSBin(input, true)).values;
  // The best engine this checkout has: native when built, else the wasm backend (never snarkjs: the point is zkai's prover).
  engine = await selectEngine('native', () => {});
  if (!engine.kernels) engine = await selectEngine('wasm');

  const installed = await installGeneratedVerifier({
    contractName: 'ZkaiProverCheckVerifier',
    solidity: await readFile((await ensureCircuitSetup(fixture.circuit)).solidityVerifierPath, 'utf8'),
  });
  chain = await startDevChain({ port: await freePort() });
  provider = localProvider(chain.url);
  const signer = new Wallet(chain.accounts[0]!, provider);
  verifier = new Contract(await deployArtifact(signer, installed.artifact), installed.artifact.abi, provider);
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  await releaseVerifierResources();
});

describe('zkai Groth16 prover on chain', () => {
  test('the generated Solidity verifier accepts its proof and rejects one from a corrupted witness', async () => {
    const zkey = parseZkey(new Uint8Array(await readFile(fixture.zkeyPath)));
    const good = await proveGroth16(zkey, witness, engine.kernels!);
    const { a, b, c, pubSignals } = toSolidityCalldata(good.proof, good.publicSignals);
    assert.equal(await verifier.getFunction('verifyProof')(a, b, c, pubSignals), true, `${engine.name} proof on chain`);

    const corrupted = witness.slice();
    const wire = zkey.nPublic + 3;
    bigIntToLe((leToBigInt(corrupted, wire * FR_BYTES) + 1n) % BN254_R, corrupted, wire * FR_BYTES);
    const bad = await proveGroth16(zkey, corrupted, engine.kernels!);
    const badArgs = toSolidityCalldata(bad.proof, bad.publicSignals);
    assert.equal(await verifier.getFunction('verifyProof')(badArgs.a, badArgs.b, badArgs.c, badArgs.pubSignals), false);
  });
});
