/**
 * Royalty flows and attestations from chain events, for the dashboard: RoyaltyVault's EpochFunded, RoyaltyClaimed
 * and FundingReclaimed for this tenant's dataset roots, and InferenceAttestor's InferenceAttested where it is
 * deployed, read from the browser with eth_getLogs and decoded here (static ABI: words of 32 bytes).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChainInfo } from '../../client/index.ts';

export interface ChainLog {
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash?: string;
}

export interface ChainActivity {
  block: number;
  event: 'EpochFunded' | 'RoyaltyClaimed' | 'FundingReclaimed' | 'InferenceAttested';
  /** Dataset root (0x-hex) for royalty events; the model id for attestations. */
  subject: string;
  /** Epoch (royalty events). */
  epoch?: string;
  /** Funder, contributor or prover. */
  account: string;
  /** Wei (royalty events); the attestation id for attestations. */
  amount?: string;
  attestationId?: string;
}

const topic = (signature: string) => `0x${bytesToHex(keccak_256(new TextEncoder().encode(signature)))}`;

export const EVENT_TOPICS = {
  EpochFunded: topic('EpochFunded(uint256,uint256,address,uint256,uint256)'),
  RoyaltyClaimed: topic('RoyaltyClaimed(uint256,uint256,uint256,address,uint256)'),
  FundingReclaimed: topic('FundingReclaimed(uint256,uint256,address,uint256)'),
  InferenceAttested: topic('InferenceAttested(bytes32,bytes32,uint256,bytes32,address,uint256[])'),
} as const;

const word = (data: string, i: number) => BigInt(`0x${data.replace(/^0x/, '').slice(64 * i, 64 * (i + 1)) || '0'}`);
const address = (t: string) => `0x${t.slice(-40)}`;
const hex32 = (t: string) => `0x${BigInt(t).toString(16).padStart(64, '0')}`;

/** One log as a row; undefined for events this view does not show. */
/** RoyaltyVault's events that move money, with the data word holding the amount (RoyaltyClaimed: weight first). */
const VAULT_MONEY_EVENTS = [
  ['EpochFunded', 0],
  ['RoyaltyClaimed', 1],
  ['FundingReclaimed', 0],
] as const;

export function decodeLog(log: ChainLog): ChainActivity | undefined {
  const [sig, t1, t2, t3] = log.topics;
  const block = Number(BigInt(log.blockNumber));
  if (!t1 || !t2 || !t3) return undefined;
  // The vault's three money events share one layout (root, epoch, account indexed); only the amount's data word differs.
  for (const [event, amountWord] of VAULT_MONEY_EVENTS)
    if (sig === EVENT_TOPICS[event])
      return {
        block,
        event,
        subject: hex32(t1),
        epoch: BigInt(t2).toString(),
        account: address(t3),
        amount: word(log.data, amountWord).toString(),
      };
  switch (sig) {
    case EVENT_TOPICS.InferenceAttested:
      return { block, event: 'InferenceAttested', subject: hex32(t2), account: address(t3), attestationId: hex32(t1) };
    default:
      return undefined;
  }
}

async function getLogs(rpc: string, filter: Record<string, unknown>): Promise<ChainLog[]> {
  const res = await fetch(rpc, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest', ...filter }] }),
  });
  const body = (await res.json()) as { result?: ChainLog[]; error?: { message?: string } };
  if (!Array.isArray(body.result)) throw new Error(`eth_getLogs: ${body.error?.message ?? 'no result'}`);
  return body.result;
}

/** Royalty events of these dataset roots, and every attestation; newest first. */
export async function chainActivity(chain: ChainInfo, rootsHex: readonly string[]): Promise<ChainActivity[]> {
  const rows: ChainActivity[] = [];
  const vault = chain.contracts.RoyaltyVault;
  if (vault && rootsHex.length) {
    const royalty = [EVENT_TOPICS.EpochFunded, EVENT_TOPICS.RoyaltyClaimed, EVENT_TOPICS.FundingReclaimed];
    // Topic 1 is the root: the node filters to this tenant's datasets.
    const logs = await getLogs(chain.url, { address: vault, topics: [royalty, rootsHex.map((r) => hex32(r))] });
    for (const l of logs) {
      const row = decodeLog(l);
      if (row) rows.push(row);
    }
  }
  const attestor = chain.contracts.InferenceAttestor;
  if (attestor) {
    for (const l of await getLogs(chain.url, { address: attestor, topics: [EVENT_TOPICS.InferenceAttested] })) {
      const row = decodeLog(l);
      if (row) rows.push(row);
    }
  }
  return rows.sort((a, b) => b.block - a.block);
}

/** Wei as ETH for people, exactly (no floating point). */
export function formatWei(wei: string): string {
  const v = BigInt(wei);
  const whole = v / 10n ** 18n;
  const frac = (v % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''} ETH`;
}
