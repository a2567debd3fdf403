/**
 * What the economy commands (dataset-chain.ts, model-market.ts, inference-cli.ts, royalties-cli.ts) share: the
 * contracts of a chain, from flags or else the deployment record `zkai chain deploy` wrote
 * (--deployment <file>, default <ZKAI_HOME>/deployments/<chain id>.json, else the service's dev chain record
 * <ZKAI_HOME>/deployment.json when it is of the same chain and RPC origin), and parsers for wei amounts, field
 * elements and `key=value` lists.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getAddress, isAddress, type JsonRpcProvider } from 'ethers';
import { BN254_R } from '../common/bn254.ts';
import { zkaiHome } from '../common/config.ts';
import { deploymentPath, readDeployment } from '../verifier-contracts/deploy.ts';
import { bad } from './chain-cli.ts';

/** The contract flags every economy command accepts (each overrides the deployment record's address). */
export const CONTRACT_OPTIONS = {
  rpc: { type: 'string' },
  deployment: { type: 'string' },
  registry: { type: 'string' },
  governance: { type: 'string' },
  market: { type: 'string' },
  vault: { type: 'string' },
} as const;

const FLAG_OF = {
  ModelRegistry: 'registry',
  InferenceAttestor: 'attestor',
  ModelGovernance: 'governance',
  InferenceMarket: 'market',
  RoyaltyVault: 'vault',
} as const;
export type EconomyContract = keyof typeof FLAG_OF;

/**
 * The addresses of `names` on the provider's chain: a flag (--registry, --governance, --market, --vault) wins, else
 * the deployment record. A missing one is BAD_INPUT naming both ways to give it.
 */
export async function economyContracts<N extends EconomyContract>(
  provider: JsonRpcProvider,
  values: Partial<Record<'deployment' | (typeof FLAG_OF)[EconomyContract], string | undefined>>,
  names: readonly N[],
): Promise<Record<N, string>> {
  const out = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of names) {
    const flag = FLAG_OF[name];
    const value = values[flag];
    if (value === undefined) missing.push(name);
    else if (!isAddress(value)) bad(`--${flag} ${JSON.stringify(value)} is not an Ethereum address`);
    else out[name] = getAddress(value);
  }
  if (missing.length === 0) return out;
  const chainId = (await provider.getNetwork()).chainId;
  const file = values.deployment ?? (await devChainRecord(provider, chainId)) ?? deploymentPath(zkaiHome(), chainId);
  if (!existsSync(file))
    bad(
      `no deployment record ${file} for chain ${chainId}: run zkai chain deploy --rpc <url>, pass --deployment <file>, ` +
        `or give ${missing.map((n) => `--${FLAG_OF[n]}`).join(', ')}`,
    );
  const record = await readDeployment(file);
  if (record.chainId !== Number(chainId)) bad(`${file} records contracts of chain ${record.chainId}, the RPC serves chain ${chainId}`);
  for (const name of missing) {
    const address = record.contracts[name];
    if (!address)
      bad(`${file} has no ${name} (deployed before the economy contracts?): redeploy with zkai chain deploy, or give --${FLAG_OF[name]}`);
    out[name] = address;
  }
  return out;
}

/**
 * The record of the service's own dev chain (`npm start`, ZKAI_CHAIN=dev: <ZKAI_HOME>/deployment.json), when no
 * `zkai chain deploy` record exists for this chain id and that one is of this very chain: the same chain id and the
 * same RPC origin. So the economy commands find the default service's vault without --deployment.
 */
async function devChainRecord(provider: JsonRpcProvider, chainId: bigint): Promise<string | undefined> {
  if (existsSync(deploymentPath(zkaiHome(), chainId))) return undefined;
  const file = path.join(zkaiHome(), 'deployment.json');
  if (!existsSync(file)) return undefined;
  const record = await readDeployment(file);
  const rpc = (provider._getConnection().url ?? '').toString();
  const origin = (url: string) => {
    try {
      return new URL(url).origin;
    } catch {
      return undefined;
    }
  };
  return record.chainId === Number(chainId) && origin(record.url) !== undefined && origin(record.url) === origin(rpc) ? file : undefined;
}

/** A non-negative wei amount (decimal). */
export function parseWei(value: string | undefined, option: string): bigint {
  if (value === undefined) bad(`--${option} <wei> is required`);
  if (!/^\d+$/.test(value)) bad(`--${option} must be a whole number of wei (decimal), got ${JSON.stringify(value)}`);
  return BigInt(value);
}

/** A BN254 scalar field element, decimal or 0x-hex (dataset roots, epochs, input hashes). */
export function parseField(value: string | undefined, what: string): bigint {
  if (value === undefined) bad(`${what} is required`);
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(value)) bad(`${what} must be a decimal or 0x-hex integer, got ${JSON.stringify(value)}`);
  const x = BigInt(value);
  if (x >= BN254_R) bad(`${what} must be below the BN254 scalar field order`);
  return x;
}

/** A bytes32 model id. */
export function parseBytes32(value: string | undefined, what: string): string {
  if (value === undefined) bad(`${what} is required`);
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) bad(`${what} ${JSON.stringify(value)} is not a bytes32 id (0x + 64 hex digits)`);
  return value.toLowerCase();
}

/** A request id (decimal). */
export function parseRequestId(value: string | undefined): bigint {
  if (value === undefined || !/^\d+$/.test(value))
    bad(`a request id (decimal, as \`zkai inference request\` printed) is required, got ${JSON.stringify(value ?? '')}`);
  return BigInt(value);
}

/** `k=v` entries (comma-separated within one flag, and the flag repeatable), in order. */
export function parsePairs(values: readonly string[] | undefined, option: string): [string, string][] {
  const out: [string, string][] = [];
  for (const item of (values ?? []).flatMap((v) => v.split(','))) {
    const i = item.lastIndexOf('=');
    if (i <= 0 || i === item.length - 1) bad(`--${option} takes <key>=<value> entries, got ${JSON.stringify(item)}`);
    out.push([item.slice(0, i).trim(), item.slice(i + 1).trim()]);
  }
  return out;
}

/** Basis points, 1..9999 (a dataset's or parent's part of a fee; the owners keep the rest). */
export function parseBps(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 9999) bad(`${what}: basis points must be 1..9999, got ${value}`);
  return Number(value);
}

/** The block event queries start from (--from-block), default 0. */
export function parseFromBlock(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) bad(`--from-block must be a block number, got ${value}`);
  return Number(value);
}
