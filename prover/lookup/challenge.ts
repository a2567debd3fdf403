/**
 * The Fiat–Shamir challenge of a LogUp lookup argument: α = H(D) for the Pedersen commitment D to the looked-up
 * values and multiplicities (docs/lookups.md). Pure (noble only) so that the browser, Node and the Solidity verifier
 * compute the same value:
 *
 *     α = uint256(keccak256(abi.encode(LOGUP_CHALLENGE_TAG, D.x, D.y))) mod r      (infinity: x = y = 0)
 *
 * The tag separates this hash from every other keccak of a point in zkai (commitmentId hashes (x, y) alone).
 * keccak's 256 bits reduced mod r (≈ 2^253.6) are not uniform, but no value has probability above 5·2^-256, which is
 * all the Schwartz–Zippel bound in docs/lookups.md needs.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { BN254_R } from '../../common/bn254.ts';
import { type G1Json, g1Evm } from '../commitment-verify.ts';

/** uint256(keccak256("zkai.logup.challenge.v1")): the domain tag, first word of the hashed encoding. */
export const LOGUP_CHALLENGE_TAG = BigInt(`0x${bytesToHex(keccak_256(utf8ToBytes('zkai.logup.challenge.v1')))}`);

const word = (v: bigint) => v.toString(16).padStart(64, '0');

/** α for the commitment point D (snarkjs G1 JSON). */
export function logupChallenge(point: G1Json): bigint {
  const [x, y] = g1Evm(point);
  const digest = keccak_256(hexToBytes(word(LOGUP_CHALLENGE_TAG) + word(x) + word(y)));
  return BigInt(`0x${bytesToHex(digest)}`) % BN254_R;
}
