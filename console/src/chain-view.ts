/**
 * The chain's view of a bundle, read from the browser over JSON-RPC (eth_call) at the RPC the service names in
 * /v1/chain: for a membership proof, whether RoyaltyVault has spent its nullifier; for an inference proof, whether a
 * model id is registered in ModelRegistry and whether InferenceAttestor attested exactly this proof's signals. The
 * calls are static ABI (rpc.ts).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChainInfo, ProofBundle } from '../../client/index.ts';
import { commitmentId } from '../../prover/commitment-verify.ts';
import { asBool, ethCall, selector, word } from './rpc.ts';

export interface ChainFact {
  label: string;
  /** true/false: what the chain says; undefined: not asked (the note says why). */
  value?: boolean;
  note?: string;
}

/** keccak256(abi.encode(bytes32 modelId, uint256[] signals)): InferenceAttestor's attestation id. */
export function attestationId(modelId: string, signals: readonly bigint[]): string {
  const head = modelId.replace(/^0x/, '').padStart(64, '0') + word(64n);
  const encoded = head + word(BigInt(signals.length)) + signals.map(word).join('');
  const bytes = new Uint8Array(encoded.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(encoded.slice(2 * i, 2 * i + 2), 16);
  return `0x${bytesToHex(keccak_256(bytes))}`;
}

/** The signals an attestation of this bundle carries: a point-committed model's start with the commitment id. */
export function attestationSignals(bundle: ProofBundle): bigint[] {
  const signals = bundle.publicSignals.map((s) => BigInt(s));
  return bundle.commitment ? [commitmentId(bundle.commitment.point), ...signals] : signals;
}

export async function chainFacts(chain: ChainInfo, bundle: ProofBundle, modelId?: string): Promise<ChainFact[]> {
  const c = chain.contracts;
  if (bundle.kind === 'membership') {
    if (!c.RoyaltyVault) return [{ label: 'Nullifier used', note: 'no RoyaltyVault on this chain' }];
    const data =
      selector('nullifierUsed(uint256,uint256)') + word(BigInt(bundle.publicSignals[0]!)) + word(BigInt(bundle.public.nullifier ?? '0'));
    const used = asBool(await ethCall(chain.url, c.RoyaltyVault, data));
    return [
      { label: 'Nullifier used (royalty already claimed for this record and epoch)', value: used, note: `RoyaltyVault ${c.RoyaltyVault}` },
    ];
  }
  if (!c.ModelRegistry || !c.InferenceAttestor) {
    return [{ label: 'Model registered / inference attested', note: 'ModelRegistry and InferenceAttestor are not deployed on this chain' }];
  }
  if (!modelId || !/^0x[0-9a-fA-F]{64}$/.test(modelId)) {
    return [{ label: 'Model registered / inference attested', note: 'enter the model id (bytes32) registered in ModelRegistry' }];
  }
  const registered = asBool(await ethCall(chain.url, c.ModelRegistry, selector('isRegistered(bytes32)') + modelId.slice(2).toLowerCase()));
  const id = attestationId(modelId, attestationSignals(bundle));
  const attested = asBool(await ethCall(chain.url, c.InferenceAttestor, selector('isAttested(bytes32)') + id.slice(2)));
  const facts: ChainFact[] = [{ label: 'Model registered', value: registered, note: `ModelRegistry ${c.ModelRegistry}` }];
  if (registered) {
    const model = await ethCall(chain.url, c.ModelRegistry, selector('getModel(bytes32)') + modelId.slice(2).toLowerCase());
    facts.push(...registeredModelFacts(model, bundle));
  }
  facts.push({ label: 'Inference attested', value: attested, note: `attestation ${id}` });
  return facts;
}

/**
 * What ModelRegistry.getModel says about this proof's model (the Model struct: ten static words, weightCommitment
 * first, active eighth, registrant tenth): the registered weights are this proof's (commitment id of W, or the
 * Poseidon weights hash), the proof is bound to the registrant, and the model is active.
 */
export function registeredModelFacts(result: string, bundle: ProofBundle): ChainFact[] {
  const hex = result.replace(/^0x/, '');
  const word = (i: number) => BigInt(`0x${hex.slice(64 * i, 64 * (i + 1)) || '0'}`);
  if (hex.length < 64 * 10) return [{ label: 'Registered model', note: 'getModel answered something else than a Model' }];
  const weights = bundle.commitment
    ? commitmentId(bundle.commitment.point)
    : bundle.public.weightsHash !== undefined
      ? BigInt(bundle.public.weightsHash)
      : undefined;
  const binding = bundle.public.binding !== undefined ? BigInt(bundle.public.binding) : undefined;
  return [
    weights === undefined
      ? { label: 'Registered weights are this proof’s', note: 'the proof commits to no weights (public-constant model)' }
      : { label: 'Registered weights are this proof’s', value: word(0) === weights },
    binding === undefined
      ? { label: 'Proof bound to the registrant', note: 'the proof has no binding signal' }
      : {
          label: 'Proof bound to the registrant',
          value: word(9) === binding,
          note: `registrant 0x${word(9).toString(16).padStart(40, '0')}`,
        },
    { label: 'Model active', value: word(7) !== 0n },
  ];
}
