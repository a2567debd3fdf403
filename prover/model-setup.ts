/**
 * A compiled model's setup as this ZKAI_HOME holds it, checked and read without making anything: what `zkai model
 * audit --dir` compares with a listing's setup identity and with the model's registered verifier
 * (cli/setup-identity.ts). The setup is the model circuit's current one (the folder `zkai setup verify` and
 * `zkai model list` use), verified from the ptau; the key is exported from the verified zkey itself, not read from
 * vkey.json beside it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as snarkjs from 'snarkjs';
import { ZkaiError } from '../common/errors.ts';
import { type CommitmentKey, statementVkey } from './commitment.ts';
import { loadModelCircuit, modelLookupLayout } from './inference.ts';
import { lookupStatementKey } from './lookup/setup.ts';
import {
  COMMITMENT_KEY_FILE,
  LOOKUP_KEY_FILE,
  readCommitmentKeyFile,
  type SetupMeta,
  type VerifyResult,
  verifyPhase2,
} from './setup/index.ts';

export interface ModelSetupCheck {
  circuitId: string;
  /** `zkai setup verify` of the setup: snarkjs zkey verify from the r1cs and ptau, the κ histories against the chain. */
  verified: VerifyResult;
  /** setup.json of the verified setup folder (the ptau sha256 and contribution hashes a listing records). */
  meta: SetupMeta;
  /** With Pedersen weights: the setup's commitment key (its κ history is part of the setup identity). */
  commitmentKey?: CommitmentKey;
  /** With lookups: the setup's lookup key (its κ history is part of the setup identity too). */
  lookupKey?: CommitmentKey;
  /**
   * The key derived from the verified zkey, as bundles carry it and the model's verifier must embed it: the zkey's
   * verification key, made the statement key with the setup's commitment and lookup keys (as loadCompiledModel
   * does). Absent, with keyError, when a key file the model needs is missing.
   */
  statementKey?: Record<string, unknown>;
  keyError?: string;
}

/**
 * Checks the setup of the compiled model in `dir`. NOT_FOUND when this ZKAI_HOME has no setup for its circuit (one is
 * never made here: a new setup would be someone else's).
 */
export async function checkModelSetup(dir: string, log?: (msg: string) => void): Promise<ModelSetupCheck> {
  const { manifest, model } = await loadModelCircuit(dir, log);
  const verified = await verifyPhase2(model.circuit, { log });
  let meta: SetupMeta;
  try {
    meta = JSON.parse(await readFile(path.join(verified.setupDir, 'setup.json'), 'utf8')) as SetupMeta;
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `${verified.setupDir}/setup.json: ${(err as Error).message}`);
  }
  const commitmentKey =
    manifest.weights === 'private-pedersen' ? await readCommitmentKeyFile(path.join(verified.setupDir, COMMITMENT_KEY_FILE)) : undefined;
  const lookupKey = manifest.lookups ? await readCommitmentKeyFile(path.join(verified.setupDir, LOOKUP_KEY_FILE)) : undefined;
  const out: ModelSetupCheck = {
    circuitId: model.circuit.id,
    verified,
    meta,
    ...(commitmentKey ? { commitmentKey } : {}),
    ...(lookupKey ? { lookupKey } : {}),
  };
  if (manifest.weights === 'private-pedersen' && !commitmentKey)
    return { ...out, keyError: `${verified.setupDir} has no ${COMMITMENT_KEY_FILE}` };
  if (manifest.lookups && !lookupKey) return { ...out, keyError: `${verified.setupDir} has no ${LOOKUP_KEY_FILE}` };
  const vkey = (await snarkjs.zKey.exportVerificationKey(verified.zkeyPath)) as Record<string, unknown>;
  const statementKey = lookupKey
    ? lookupStatementKey(vkey, lookupKey, modelLookupLayout(model), commitmentKey)
    : commitmentKey
      ? statementVkey(vkey, commitmentKey)
      : vkey;
  return { ...out, statementKey };
}
