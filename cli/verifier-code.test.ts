/**
 * `zkai model audit`'s verifier check (issue 13 item 2): the verifier a model is registered with must be the one zkai
 * generates from the trusted key. A registrant-chosen verifier that answers true to everything, or one generated from
 * another key, is a mismatch; zkai's own verifier, deployed under another contract name, matches.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { JsonRpcProvider, Wallet } from 'ethers';
import { buildCircuit } from '../circuits/build.ts';
import { membershipCircuitSpec } from '../circuits/membership.ts';
import { randomScalar } from '../prover/commitment.ts';
import { ensureCircuitSetup } from '../prover/setup/index.ts';
import { forgerKey } from '../prover/test-forgery.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { type DevChain, freePort, startDevChain } from '../verifier-contracts/chain.ts';
import { installCommittedVerifier } from '../verifier-contracts/committed-verifier.ts';
import { deployArtifact } from '../verifier-contracts/deploy.ts';
import { installContractSource, installGeneratedVerifier } from '../verifier-contracts/generated.ts';
import { checkVerifierCode, stripCodeMetadata } from './verifier-code.ts';

/** What a dishonest registrant deploys: the committed verifier's ABI, and every answer true. */
const ALWAYS_TRUE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

contract AlwaysTrueAuditTestVerifier {
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[] calldata, uint256[2] calldata)
        external pure returns (bool) { return true; }
    function verifyCommitment(uint256[2] calldata, uint256[2] calldata) external pure returns (bool) { return true; }
}
`;

describe('model audit: the registered verifier is the one zkai generates from the trusted key', () => {
  let chain: DevChain;
  let provider: JsonRpcProvider;
  let signer: Wallet;
  const trusted = forgerKey(3, randomScalar());

  before(async () => {
    chain = await startDevChain({ port: await freePort() });
    provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 }); // no request cache: fresh nonces
    signer = new Wallet(chain.accounts[0]!, provider);
  });
  after(async () => {
    provider?.destroy();
    await chain?.stop();
    // A cold setup uses snarkjs's curve, whose worker threads would keep this file from exiting.
    await releaseVerifierResources();
  });

  it('stripCodeMetadata removes exactly the CBOR tail Solidity appends', () => {
    // 0x6080… code, then a one-entry CBOR map (a1 …) of 3 bytes, then its length 0x0003.
    assert.equal(stripCodeMetadata('0x60806040A10102' + '0003'), '0x60806040');
    assert.equal(stripCodeMetadata('0x6080604000ff'), '0x6080604000ff', 'no CBOR map: kept whole');
  });

  it("zkai's verifier for the key matches, whatever the registrant named it", async () => {
    const installed = await installCommittedVerifier({ contractName: 'RegistrantNamedAuditTestVerifier', statementVkey: trusted });
    const address = await deployArtifact(signer, installed.artifact);
    const check = await checkVerifierCode(provider, address, trusted);
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal(check.deployed, check.expected);
  });

  it('a plain key: the snarkjs verifier its setup exported matches the one rendered from the key alone', async () => {
    const setup = await ensureCircuitSetup(await buildCircuit(membershipCircuitSpec(2)));
    const solidity = await readFile(setup.solidityVerifierPath, 'utf8');
    const installed = await installGeneratedVerifier({ contractName: 'SetupExportedAuditTestVerifier', solidity });
    const address = await deployArtifact(signer, installed.artifact);
    const check = await checkVerifierCode(provider, address, setup.vkey);
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.equal((await checkVerifierCode(provider, address, trusted)).ok, false, 'not the committed key');
  });

  it('a verifier that always answers true is reported as a mismatch', async () => {
    const installed = await installContractSource({ contractName: 'AlwaysTrueAuditTestVerifier', source: ALWAYS_TRUE });
    const address = await deployArtifact(signer, installed.artifact);
    const check = await checkVerifierCode(provider, address, trusted);
    assert.equal(check.ok, false);
    assert.notEqual(check.deployed, check.expected);
    assert.match(String(check.reason), /not the one zkai generates/);
  });

  it("zkai's verifier for another key (another κ) is a mismatch; an address without code too", async () => {
    const other = { ...trusted, zkai_commitment: forgerKey(3, randomScalar()).zkai_commitment };
    const installed = await installCommittedVerifier({ contractName: 'OtherKeyAuditTestVerifier', statementVkey: other });
    const address = await deployArtifact(signer, installed.artifact);
    assert.equal((await checkVerifierCode(provider, address, trusted)).ok, false);
    const empty = await checkVerifierCode(provider, `0x${'12'.repeat(20)}`, trusted);
    assert.deepEqual([empty.ok, empty.reason], [false, `no contract at 0x${'12'.repeat(20)}`]);
  });
});
