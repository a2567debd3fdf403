/**
 * The binding of model inference proofs (issue 13): the address a proof is bound to when `zkai model prove` makes it,
 * and `zkai model audit`'s check of a bundle's binding against the registered model's registrant.
 */
import { getAddress, isAddress, Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import type { ProofBundle } from '../prover/bundle.ts';
import { bindingAddress, bindingOf, type ModelRecord } from '../verifier-contracts/models.ts';

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', message);
}

/**
 * The binding of a proof made by `zkai model prove`: the address given with --owner, else ZKAI_CHAIN_KEY's address
 * (the key `zkai model register` signs with), else 0 — a proof that verifies off chain but that InferenceAttestor
 * attests under no model (BindingMismatch); `note` then says so.
 */
export function proofBinding(owner: string | undefined): { binding: bigint; address: string | null; note?: string } {
  if (owner !== undefined) {
    if (!isAddress(owner)) bad(`--owner ${JSON.stringify(owner)} is not an Ethereum address`);
    const address = getAddress(owner);
    return { binding: bindingOf(address), address };
  }
  const key = process.env.ZKAI_CHAIN_KEY?.trim();
  if (key) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) bad('ZKAI_CHAIN_KEY must be a private key: 64 hex digits, optionally 0x-prefixed');
    const address = new Wallet(key.startsWith('0x') ? key : `0x${key}`).address;
    return { binding: bindingOf(address), address };
  }
  return {
    binding: 0n,
    address: null,
    note:
      'note: no --owner and no ZKAI_CHAIN_KEY: the proof is bound to no registrant (binding 0). It verifies, but ' +
      'InferenceAttestor refuses it (BindingMismatch); to attest it on chain, prove with --owner <the address that registers the model>',
  };
}

/**
 * The proof's binding (its last signal, named `binding`) against the model's registrant: a proof bound to another
 * address is not this model's, whoever registered a copy of its commitment.
 */
export function bindingCheck(bundle: ProofBundle, model: ModelRecord): { ok: boolean; [detail: string]: unknown } {
  const last = bundle.publicSignals.at(-1);
  if (bundle.public.binding === undefined || last === undefined) {
    return {
      ok: false,
      registrant: model.registrant,
      reason: 'the bundle has no binding signal (a model compiled before proofs were bound)',
    };
  }
  let bound: string;
  try {
    bound = bindingAddress(last);
  } catch {
    return { ok: false, registrant: model.registrant, reason: `the binding ${last} is not an address` };
  }
  return { ok: bound === model.registrant, registrant: model.registrant, bundle: bound };
}
