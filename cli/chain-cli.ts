/**
 * What the on-chain CLI commands (model-chain.ts, model-audit.ts) share: argument parsing, the RPC connection with a
 * timeout, the signing key, reading an inference bundle and its attestation signals, and JSON output.
 */
import { getAddress, isAddress, JsonRpcProvider, Network, Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import type { ProofBundle } from '../prover/bundle.ts';
import { commitmentId } from '../prover/commitment.ts';
import { devAccountKeys, rpcChainId } from '../verifier-contracts/chain.ts';
import { type AttestationRecord, committedAttestSignals, type ModelRecord } from '../verifier-contracts/models.ts';
import { readBundleFile } from './bundle-file.ts';

export const log = (msg: string) => process.stderr.write(`${msg}\n`);
export const json = (value: unknown) => console.log(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));

export function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', message);
}

/** True for an RPC URL on this machine, the only place the public dev key may be used by default. */
export function isLocalRpc(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export function parseRpc(value: string | undefined): URL {
  if (!value) bad('--rpc <url> is required (e.g. http://127.0.0.1:8545)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    bad(`--rpc ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`--rpc must be an http(s) URL, got ${url.protocol}`);
  return url;
}

export function parseAddress(value: string | undefined, option: string): string {
  if (!value) bad(`--${option} <address> is required`);
  if (!isAddress(value)) bad(`--${option} ${JSON.stringify(value)} is not an Ethereum address`);
  return getAddress(value);
}

export function parseModelId(value: string | undefined): string {
  if (!value) bad('--model <modelId> is required (the bytes32 id `zkai model register` printed)');
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) bad(`--model ${JSON.stringify(value)} is not a bytes32 id (0x + 64 hex digits)`);
  return value.toLowerCase();
}

/**
 * A provider for `url`. The chain id is asked once, here, with a timeout: an ethers provider left to detect the
 * network on its own retries forever when nothing answers, and a CLI should fail instead.
 */
export async function connect(url: URL): Promise<JsonRpcProvider> {
  let chainId: bigint;
  try {
    chainId = await rpcChainId(url, 10_000);
  } catch (err) {
    throw new ZkaiError('CHAIN_ERROR', `no chain answers at ${url.origin}: ${(err as Error).message}`);
  }
  // No request cache: ethers would otherwise reuse an identical request's answer for 250 ms (same nonce twice).
  return new JsonRpcProvider(url.toString(), Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: isLocalRpc(url) ? 100 : 2000,
  });
}

/**
 * The signing key: ZKAI_CHAIN_KEY, else (local chains only) the dev chain's account 0. Resolved before any slow work
 * so a missing key fails at once. Never echoed, not even when malformed.
 */
export function signingKey(url: URL): string {
  const key = process.env.ZKAI_CHAIN_KEY?.trim();
  if (key) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) bad('ZKAI_CHAIN_KEY must be a private key: 64 hex digits, optionally 0x-prefixed');
    return key.startsWith('0x') ? key : `0x${key}`;
  }
  if (!isLocalRpc(url)) bad(`set ZKAI_CHAIN_KEY (a hex private key) to send transactions to ${url.origin}`);
  const devKey = devAccountKeys(1)[0]!;
  log(`note: ZKAI_CHAIN_KEY is not set; signing with the dev chain's account 0 (${new Wallet(devKey).address}), a PUBLIC key`);
  return devKey;
}

/** Runs `fn` with a provider (and the caller's signer, when it needs one), and always releases the provider. */
export async function withChain<T>(rpc: string | undefined, fn: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
  const provider = await connect(parseRpc(rpc));
  try {
    return await fn(provider);
  } finally {
    provider.destroy();
  }
}

export async function readBundle(file: string): Promise<ProofBundle> {
  const bundle = await readBundleFile(file);
  if (bundle.kind !== 'inference') throw new ZkaiError('BAD_BUNDLE', `${file} is a ${bundle.kind} proof, not an inference proof`);
  return bundle;
}

/**
 * The public signals an attestation of this bundle carries: for a Pedersen bundle [commitmentId(W), statement…];
 * otherwise the statement as proved (signal 0 is the Poseidon weightsHash).
 */
export function attestSignals(bundle: ProofBundle): string[] {
  return bundle.commitment ? committedAttestSignals(commitmentId(bundle.commitment.point), bundle.publicSignals) : bundle.publicSignals;
}

export const stringifyRecord = (r: ModelRecord | AttestationRecord) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
