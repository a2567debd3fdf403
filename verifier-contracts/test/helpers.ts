/** Set-up shared by the contract tests: a compiled project on a fresh dev chain, and custom-error assertions. */
import assert from 'node:assert/strict';
import { type Interface, type JsonRpcProvider, Wallet } from 'ethers';
import { isZkaiError } from '../../common/errors.ts';
import { type DevChain, freePort, localProvider, startDevChain } from '../chain.ts';
import { compileContracts } from '../compile.ts';
import { decodeContractError } from '../vault.ts';

export interface TestChain {
  chain: DevChain;
  provider: JsonRpcProvider;
  owner: Wallet;
  alice: Wallet;
  bob: Wallet;
}

/** Compiles the contracts and starts a dev chain on a free port with three funded signers. */
export async function startTestChain(): Promise<TestChain> {
  await compileContracts();
  const chain = await startDevChain({ port: await freePort() });
  const provider = localProvider(chain.url);
  const [owner, alice, bob] = chain.accounts.slice(0, 3).map((k) => new Wallet(k, provider)) as [Wallet, Wallet, Wallet];
  return { chain, provider, owner, alice, bob };
}

/**
 * Asserts that `promise` fails with the custom error `name`, whether it went through zkai's bindings (a
 * CONTRACT_REVERTED ZkaiError) or a raw ethers call (decoded with `errors`).
 */
export async function assertReverts(errors: Interface, promise: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    const got = isZkaiError(err) ? (err.details?.contractError as string | undefined) : decodeContractError(errors, err)?.name;
    assert.equal(got, name, `expected revert ${name}, got ${got ?? 'no decoded revert'}: ${(err as Error).message}`);
    if (isZkaiError(err)) assert.equal(err.code, 'CONTRACT_REVERTED');
    return true;
  });
}

/**
 * A fixed fake Groth16 proof for contract tests whose point is not the proof: the mock verifiers accept it for the
 * signals a test declares proven (or for any signals).
 */
export const FAKE_PROOF = {
  pi_a: ['1', '2', '1'],
  pi_b: [
    ['3', '4'],
    ['5', '6'],
    ['1', '0'],
  ],
  pi_c: ['7', '8', '1'],
};
