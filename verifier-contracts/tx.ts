import type { Contract, ContractTransactionResponse, Interface, TransactionReceipt } from 'ethers';
import { getAddress } from 'ethers';
import { ZkaiError } from '../common/errors.ts';

// Shared by the typed contract helpers (vault.ts, models.ts): send a transaction or make a call, and turn
// ethers failures into ZkaiErrors: CONTRACT_REVERTED with the custom error's name, or CHAIN_ERROR.

/** Sends `method(...args)` (with `value` wei when given) and waits for the receipt. `name` labels errors. */
export async function send(contract: Contract, name: string, method: string, args: unknown[], value?: bigint): Promise<TransactionReceipt> {
  return withErrors(contract, name, method, async () => {
    const tx = (await contract.getFunction(method)(...args, ...(value === undefined ? [] : [{ value }]))) as ContractTransactionResponse;
    const receipt = await tx.wait();
    if (!receipt) throw new ZkaiError('CHAIN_ERROR', `${name}.${method}: no receipt for ${tx.hash}`);
    return receipt;
  });
}

/** A read-only call of `method(...args)`. */
export async function call(contract: Contract, name: string, method: string, args: unknown[]): Promise<unknown> {
  return withErrors(contract, name, method, () => contract.getFunction(method).staticCall(...args));
}

async function withErrors<T>(contract: Contract, name: string, method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    const reverted = decodeContractError(contract.interface, err);
    if (reverted) {
      const args = reverted.args.map((a) => (typeof a === 'bigint' ? a.toString() : a));
      throw new ZkaiError('CONTRACT_REVERTED', `${name}.${method} reverted: ${reverted.name}(${args.join(', ')})`, {
        contractError: reverted.name,
        args,
      });
    }
    throw new ZkaiError('CHAIN_ERROR', `${name}.${method} failed: ${(err as Error).message}`);
  }
}

/** The first event `name` that `contract` emitted in `receipt`. */
export function findEvent(contract: Contract, receipt: TransactionReceipt, name: string) {
  const target = getAddress(String(contract.target));
  for (const log of receipt.logs) {
    if (getAddress(log.address) !== target) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) return parsed;
  }
  throw new ZkaiError('CHAIN_ERROR', `no ${name} event in transaction ${receipt.hash}`);
}

/**
 * The custom error a contract call reverted with, decoded with `iface` (ethers attaches it as `revert` when the ABI
 * knows it; otherwise the raw revert data is parsed here). Undefined when the failure wasn't a decodable revert.
 */
export function decodeContractError(iface: Interface, err: unknown): { name: string; args: unknown[] } | undefined {
  const e = err as { revert?: { name?: string; args?: unknown[] }; data?: unknown; info?: { error?: { data?: unknown } } };
  if (e?.revert?.name) return { name: e.revert.name, args: [...(e.revert.args ?? [])] };
  for (const data of [e?.data, e?.info?.error?.data]) {
    if (typeof data !== 'string' || data.length < 10) continue;
    try {
      const parsed = iface.parseError(data);
      if (parsed) return { name: parsed.name, args: [...parsed.args] };
    } catch {
      // not one of ours
    }
  }
  return undefined;
}
