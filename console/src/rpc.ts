/**
 * The few JSON-RPC reads the console makes from the browser (eth_call), with static ABI encoding done here on
 * @noble/hashes' keccak rather than with a whole Ethereum library.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** One 32-byte ABI word, as 64 hex digits. */
export const word = (v: bigint) => v.toString(16).padStart(64, '0');

/** The 4-byte selector of a function or error signature, as 8 hex digits. */
export const selector = (signature: string) => bytesToHex(keccak_256(new TextEncoder().encode(signature))).slice(0, 8);

/** What an eth_call gave: the return data, or the revert data (hex without 0x; '' when the node sent none). */
export type CallOutcome = { ok: true; result: string } | { ok: false; revertData: string; message: string };

/**
 * eth_call `to` with `data` (hex without 0x) at the latest block. A revert is an outcome, not an exception (nodes
 * put its data at error.data, as a string (geth) or inside an object (Hardhat)); transport errors throw.
 */
export async function ethCallOutcome(rpc: string, to: string, data: string): Promise<CallOutcome> {
  const res = await fetch(rpc, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to, data: `0x${data}` }, 'latest'] }),
  });
  const body = (await res.json()) as { result?: string; error?: { message?: string; data?: unknown } };
  if (typeof body.result === 'string') return { ok: true, result: body.result };
  const raw = body.error?.data;
  const nested = typeof raw === 'object' && raw !== null ? (raw as { data?: unknown }).data : raw;
  if (body.error && (typeof nested === 'string' || nested === undefined)) {
    const hex = typeof nested === 'string' && /^0x[0-9a-fA-F]*$/.test(nested) ? nested.slice(2).toLowerCase() : '';
    return { ok: false, revertData: hex, message: body.error.message ?? 'reverted' };
  }
  throw new Error(`eth_call to ${to}: ${body.error?.message ?? 'no result'}`);
}

/** eth_call that must succeed: its return data (0x…). */
export async function ethCall(rpc: string, to: string, data: string): Promise<string> {
  const out = await ethCallOutcome(rpc, to, data);
  if (!out.ok) throw new Error(`eth_call to ${to} reverted: ${out.message}`);
  return out.result;
}

export const asBool = (result: string) => BigInt(result === '0x' ? '0x0' : result) !== 0n;

/** The address in the low 20 bytes of a returned word. */
export const asAddress = (result: string) => `0x${result.replace(/^0x/, '').padStart(64, '0').slice(24)}`;
