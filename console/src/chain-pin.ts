/**
 * Pinning a bundle's key to the chain: instead of trusting the service's keys or a pasted one, the browser asks the
 * verifier the chain itself uses whether it accepts this proof and these signals (eth_call, read-only, no
 * transaction, nothing sent to the service):
 * - an inference proof: InferenceAttestor.attest(modelId, proof, signals) (attestWithLookup with D and K for a model
 *   compiled with lookups), simulated. It passes only when the model
 *   is registered and active, the signals are its weights commitment and its registrant's binding, and the model's
 *   own verifier accepts the proof; AlreadyAttested counts as accepted (the chain accepted this statement before).
 * - a membership proof: RoyaltyVault's membership verifier (`verifier()`), verifyProof(proof, signals);
 *   a batch membership proof: the vault's batch verifier with the selector the vault records.
 * When the chain accepts, the bundle's key is pinned for the verdict (the chain's key accepts the very proof and
 * signals shown); when it refuses, the key is not pinned and the refusal is named.
 */
import type { ChainInfo, ProofBundle } from '../../client/index.ts';
import { g1Evm, type PublicInputCommitment } from '../../prover/commitment-verify.ts';
import { toSolidityCalldata } from '../../verifier-contracts/calldata.ts';
import { attestationSignals } from './chain-view.ts';
import { asAddress, asBool, ethCall, ethCallOutcome, selector, word } from './rpc.ts';

export interface ChainAcceptance {
  accepted: boolean;
  /** For people: which contract was asked and what it said. */
  source: string;
}

/** InferenceAttestor's errors (IInferenceAttestor.sol), by selector: what a refusal is called. */
const ATTESTOR_ERRORS = [
  'ZeroRegistry()',
  'UnknownModel(bytes32)',
  'ModelInactive(bytes32)',
  'WrongSignalCount(bytes32,uint256,uint256)',
  'CommitmentMismatch(bytes32,uint256,uint256)',
  'BindingMismatch(bytes32,address,uint256)',
  'SignalOutOfField(uint256,uint256)',
  'AlreadyAttested(bytes32)',
  'InvalidProof()',
];

/** The name of a custom error from its revert data, among `signatures`; undefined when none matches. */
export function revertName(revertData: string, signatures: readonly string[] = ATTESTOR_ERRORS): string | undefined {
  const sel = revertData.replace(/^0x/, '').slice(0, 8).toLowerCase();
  const sig = signatures.find((s) => selector(s) === sel);
  return sig?.slice(0, sig.indexOf('('));
}

/** a, b, c of a snarkjs proof as the verifiers' eight static words (b's Fp2 coordinates as [c1, c0]). */
function proofWords(proof: object, signals: readonly string[]): { head: string; signals: bigint[] } {
  const cd = toSolidityCalldata(proof, signals);
  return { head: [...cd.a, ...cd.b[0], ...cd.b[1], ...cd.c].map(word).join(''), signals: cd.pubSignals };
}

/**
 * Calldata of attest(bytes32,uint256[2],uint256[2][2],uint256[2],uint256[]) (hex without 0x), or for a proof with
 * lookups (`lookup`: its D and K) of attestWithLookup(…, uint256[2], uint256[2]).
 */
export function attestCalldata(modelId: string, proof: object, signals: readonly string[], lookup?: PublicInputCommitment): string {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(modelId)) throw new Error('a model id is 32 bytes: 0x and 64 hex digits');
  const p = proofWords(proof, signals);
  const lookupWords = lookup ? [...g1Evm(lookup.point), ...g1Evm(lookup.knowledge)] : [];
  // The head: the id, a (2), b (4), c (2), the offset of the dynamic signals array, then D and K (4) for lookups.
  const headWords = 10n + BigInt(lookupWords.length);
  return (
    selector(
      lookup
        ? 'attestWithLookup(bytes32,uint256[2],uint256[2][2],uint256[2],uint256[],uint256[2],uint256[2])'
        : 'attest(bytes32,uint256[2],uint256[2][2],uint256[2],uint256[])',
    ) +
    modelId.replace(/^0x/, '').toLowerCase() +
    p.head +
    word(headWords * 32n) +
    lookupWords.map(word).join('') +
    word(BigInt(p.signals.length)) +
    p.signals.map(word).join('')
  );
}

/** Would InferenceAttestor attest this proof under `modelId` (or has it already)? */
export async function inferenceAcceptedOnChain(
  rpc: string,
  attestor: string,
  modelId: string,
  proof: object,
  signals: readonly string[],
  lookup?: PublicInputCommitment,
): Promise<ChainAcceptance> {
  const out = await ethCallOutcome(rpc, attestor, attestCalldata(modelId, proof, signals, lookup));
  const where = `InferenceAttestor ${attestor}, model ${modelId}`;
  if (out.ok) return { accepted: true, source: `the chain: ${where} accepts this proof` };
  const name = revertName(out.revertData);
  if (name === 'AlreadyAttested') return { accepted: true, source: `the chain: ${where} attested these signals already` };
  return { accepted: false, source: `the chain: ${where} refuses this proof (${name ?? out.message})` };
}

/** Does RoyaltyVault's (single or batch) membership verifier accept this proof? */
export async function membershipAcceptedOnChain(
  rpc: string,
  vault: string,
  proof: object,
  signals: readonly string[],
  batch: boolean,
): Promise<ChainAcceptance> {
  const verifier = asAddress(await ethCall(rpc, vault, selector(batch ? 'batchVerifier()' : 'verifier()')));
  const what = batch ? "RoyaltyVault's batch verifier" : "RoyaltyVault's membership verifier";
  if (BigInt(verifier) === 0n) return { accepted: false, source: `the chain: ${vault} has no batch verifier (no batch claims)` };
  const sel = batch
    ? (await ethCall(rpc, vault, selector('batchVerifySelector()'))).slice(2, 10)
    : selector(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${signals.length}])`);
  const p = proofWords(proof, signals);
  const out = await ethCallOutcome(rpc, verifier, sel + p.head + p.signals.map(word).join(''));
  const accepted = out.ok && asBool(out.result);
  return { accepted, source: `the chain: ${what} ${verifier} ${accepted ? 'accepts' : 'rejects'} this proof` };
}

/** What the chain the service names says of this bundle. */
export async function chainAcceptance(chain: ChainInfo, bundle: ProofBundle, modelId?: string): Promise<ChainAcceptance> {
  const c = chain.contracts;
  if (bundle.kind === 'inference') {
    if (!c.InferenceAttestor) return { accepted: false, source: 'the chain: no InferenceAttestor is deployed on it' };
    if (!modelId) return { accepted: false, source: 'the chain: enter the model id the proof should attest under' };
    const signals = attestationSignals(bundle).map(String);
    return inferenceAcceptedOnChain(chain.url, c.InferenceAttestor, modelId, bundle.proof, signals, bundle.lookupCommitment);
  }
  if (!c.RoyaltyVault) return { accepted: false, source: 'the chain: no RoyaltyVault is deployed on it' };
  return membershipAcceptedOnChain(chain.url, c.RoyaltyVault, bundle.proof, bundle.publicSignals, bundle.kind === 'membership-batch');
}
