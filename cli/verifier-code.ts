/**
 * Is the verifier contract a model is registered with the one zkai would generate from the trusted key? A model's
 * verifier is chosen by its registrant and decides every attestation (one that always answers true attests
 * anything), so `zkai model audit` compares the deployed runtime code with the code compiled from the key: our
 * templates for a key with lookups or committed inputs (model-verifier.ts), snarkjs's Groth16 template otherwise.
 *
 * Solidity appends a CBOR metadata blob to the runtime code (its length in the last two bytes) holding a hash of the
 * source file and contract name; it is not executed, and the registrant's contract name is not ours, so both sides
 * are compared without it. Everything that runs — every constant of the key included — must be equal.
 */
import { createRequire } from 'node:module';
import type { Provider } from 'ethers';
import { keccak256 } from 'ethers';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import { snarkjsTemplate } from '../prover/setup/groth16-setup.ts';
import { installModelVerifier } from '../verifier-contracts/model-verifier.ts';

/** Runtime bytecode without Solidity's trailing CBOR metadata (0x-hex, lowercase). */
export function stripCodeMetadata(code: string): string {
  const hex = code.toLowerCase().replace(/^0x/, '');
  if (hex.length < 4) return `0x${hex}`;
  const cborBytes = Number.parseInt(hex.slice(-4), 16);
  const cut = hex.length - 4 - cborBytes * 2;
  // A CBOR map of metadata starts with 0xa1..0xa5 (a small map); anything else is not Solidity's tail: keep it all.
  if (cut < 0 || !/^a[1-5]$/.test(hex.slice(cut, cut + 2))) return `0x${hex}`;
  return `0x${hex.slice(0, cut)}`;
}

/** snarkjs's Groth16 Solidity verifier for `vkey` (what `snarkjs zkey export solidityverifier` renders, from the key). */
async function snarkjsVerifierSolidity(vkey: Record<string, unknown>): Promise<string> {
  // snarkjs renders its template with ejs, its own dependency: the same renderer, resolved from snarkjs.
  const fromSnarkjs = createRequire(createRequire(import.meta.url).resolve('snarkjs'));
  const ejs = fromSnarkjs('ejs') as { render(template: string, data: object): string };
  return ejs.render(await snarkjsTemplate('verifier_groth16.sol.ejs'), vkey);
}

/** The runtime code zkai generates and compiles for `vkey` (a statement key or a plain snarkjs key). */
export async function expectedVerifierCode(vkey: Record<string, unknown>, log?: (msg: string) => void): Promise<string> {
  // Named by the key, so auditing the same key twice reuses the compiled contract.
  const contractName = `AuditVerifier_${sha256Hex(canonicalJson(vkey)).slice(0, 16)}`;
  const installed = await installModelVerifier({ contractName, vkey, snarkjsSolidity: () => snarkjsVerifierSolidity(vkey), log });
  return installed.artifact.deployedBytecode;
}

export interface VerifierCodeCheck {
  ok: boolean;
  /** keccak256 of the deployed runtime code and of the expected one, both without their metadata tail. */
  deployed: string;
  expected: string;
  reason?: string;
  [detail: string]: unknown;
}

/** Compares the code at `address` with the verifier zkai generates from `vkey`. */
export async function checkVerifierCode(
  provider: Provider,
  address: string,
  vkey: Record<string, unknown>,
  log?: (msg: string) => void,
): Promise<VerifierCodeCheck> {
  const deployed = stripCodeMetadata(await provider.getCode(address));
  const expected = stripCodeMetadata(await expectedVerifierCode(vkey, log));
  const ok = deployed === expected && deployed !== '0x';
  return {
    ok,
    deployed: keccak256(deployed),
    expected: keccak256(expected),
    ...(ok
      ? {}
      : {
          reason:
            deployed === '0x'
              ? `no contract at ${address}`
              : `the verifier at ${address} is not the one zkai generates from the trusted key: it decides every attestation`,
        }),
  };
}
