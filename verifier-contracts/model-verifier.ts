/**
 * Which Solidity verifier a model's key gets, in one place for `zkai model register` (which deploys it) and
 * `zkai model audit` (which compares the deployed code with it):
 *   - a key with LogUp lookups (`zkai_lookup`): lookup-verifier.ts, with W as well for Pedersen weights;
 *   - a statement key (`zkai_commitment`, Pedersen weights): committed-verifier.ts;
 *   - any other key: snarkjs's Groth16 template.
 */
import { commitmentInfo } from '../prover/commitment.ts';
import { installCommittedVerifier } from './committed-verifier.ts';
import { type InstalledVerifier, installGeneratedVerifier } from './generated.ts';
import { installLookupVerifier } from './lookup-verifier.ts';

export type ModelVerifierKind = 'lookup' | 'committed' | 'snarkjs';

export function modelVerifierKind(vkey: Record<string, unknown>): ModelVerifierKind {
  if (vkey.zkai_lookup !== undefined) return 'lookup';
  return commitmentInfo(vkey) ? 'committed' : 'snarkjs';
}

/** Generates (or takes snarkjs's, from `snarkjsSolidity`), writes and compiles the verifier for a model's key. */
export async function installModelVerifier(opts: {
  contractName: string;
  vkey: Record<string, unknown>;
  /** snarkjs's verifier source for a plain key (read only for that kind). */
  snarkjsSolidity: () => Promise<string>;
  log?: (msg: string) => void;
}): Promise<InstalledVerifier> {
  const { contractName, vkey, log } = opts;
  switch (modelVerifierKind(vkey)) {
    case 'lookup':
      return installLookupVerifier({ contractName, statementKey: vkey, log });
    case 'committed':
      return installCommittedVerifier({ contractName, statementVkey: vkey, log });
    case 'snarkjs':
      return installGeneratedVerifier({ contractName, solidity: await opts.snarkjsSolidity(), log });
  }
}
