/**
 * `zkai model audit --dir <model dir>`'s setup checks for a listed model (issue 15 item 6). A listing records its
 * setup identity (ptau sha256, phase-2 contribution hashes, the commitment and lookup keys' κ histories) as its
 * registrant declares it; nothing on chain ties it to the key the model's registered verifier embeds. Given the model directory (whose setup this
 * ZKAI_HOME holds, as `zkai model list` read it), three checks tie them:
 *
 *   setupChain     the zkey's phase-2 chain verifies from the ptau, and the commitment and lookup keys' κ histories
 *                  follow it (`zkai setup verify`); setup.json lists that chain and names that ptau
 *   setupKey       the key derived from that zkey (and κ) is the one the registered verifier embeds (its runtime code
 *                  is zkai's for that key: verifier-code.ts, as the audit's verifierCode check)
 *   setupIdentity  setupIdentityOf(setup.json, commitment key, lookup key) equals ModelGovernance.setupIdentity(modelId),
 *                  field by field, each difference named (a lookup κ entry as `lookup κ contribution #n`)
 *
 * A registered model that is not listed declares no identity: setupIdentity says so and passes; nothing is verified.
 */
import type { Contract, Provider } from 'ethers';
import { isZkaiError } from '../common/errors.ts';
import { canonicalJson, sha256Hex } from '../common/hash.ts';
import type { ModelSetupCheck } from '../prover/model-setup.ts';
import {
  getListing,
  getSetupIdentity,
  type SetupIdentity,
  setupIdentityDifferences,
  setupIdentityOf,
} from '../verifier-contracts/market.ts';
import { checkVerifierCode } from './verifier-code.ts';

export interface AuditCheck {
  ok: boolean;
  [detail: string]: unknown;
}

export type SetupChecks = Partial<Record<'setupChain' | 'setupKey' | 'setupIdentity', AuditCheck>>;

/** A model directory's setup as checkModelSetup read and verified it, or why there is none to check. */
export type AuditedSetup = { ok: true; setup: ModelSetupCheck } | { ok: false; reason: string };

/** Verifies the setup of the compiled model in `dir` (the slow part: snarkjs zkey verify), for setupChecksAgainst. */
export async function auditedSetup(dir: string, log?: (msg: string) => void): Promise<AuditedSetup> {
  const { checkModelSetup } = await import('../prover/model-setup.ts');
  try {
    return { ok: true, setup: await checkModelSetup(dir, log) };
  } catch (err) {
    // No setup of the model's circuit in this ZKAI_HOME: nothing to compare (a new one is never made for an audit).
    if (!isZkaiError(err) || err.code !== 'NOT_FOUND') throw err;
    return { ok: false, reason: `${dir}: ${err.message}` };
  }
}

/** The setup checks of `modelId` (registered with `verifier`) against the compiled model directory `dir`. */
export async function setupIdentityChecks(opts: {
  provider: Provider;
  governance: Contract;
  modelId: string;
  verifier: string;
  dir: string;
  log?: (msg: string) => void;
}): Promise<SetupChecks> {
  const listing = await getListing(opts.governance, opts.modelId);
  if (!listing.listed) return { setupIdentity: { ok: true, listed: false, note: 'not listed: the model records no setup identity' } };
  const declared = await getSetupIdentity(opts.governance, opts.modelId);
  return setupChecksAgainst(await auditedSetup(opts.dir, opts.log), { ...opts, declared });
}

/** setupChain, setupKey and setupIdentity of a verified setup against a listing's declared identity and verifier. */
export async function setupChecksAgainst(
  audited: AuditedSetup,
  opts: { provider: Provider; verifier: string; declared: SetupIdentity; log?: (msg: string) => void },
): Promise<SetupChecks> {
  const { declared } = opts;
  if (!audited.ok) {
    const none = { ok: false, reason: 'no setup to check' };
    return { setupChain: { ok: false, reason: audited.reason }, setupKey: none, setupIdentity: { ...none, listed: true, declared } };
  }
  const { setup } = audited;
  const v = setup.verified;
  const chainErrors = [...v.errors];
  if (!v.matchesSetupJson) chainErrors.push('setup.json lists another contribution chain than the zkey holds');
  const setupChain: AuditCheck = {
    ok: v.valid && v.matchesSetupJson,
    circuitId: v.circuitId,
    ptau: v.ptau,
    ptauSha256: v.ptauSha256,
    contributions: v.contributions,
    ...(v.commitmentKey ? { commitmentKey: v.commitmentKey, commitmentKeyHistory: v.commitmentKeyHistory } : {}),
    ...(v.lookupKey ? { lookupKey: v.lookupKey, lookupKeyHistory: v.lookupKeyHistory } : {}),
    ...(chainErrors.length ? { reason: chainErrors.join('; ') } : {}),
  };

  let setupKey: AuditCheck;
  if (!setup.statementKey) setupKey = { ok: false, reason: setup.keyError };
  else {
    const code = await checkVerifierCode(opts.provider, opts.verifier, setup.statementKey, opts.log);
    setupKey = {
      ok: code.ok,
      vkeyHash: sha256Hex(canonicalJson(setup.statementKey)),
      deployed: code.deployed,
      expected: code.expected,
      ...(code.ok
        ? {}
        : {
            reason:
              code.reason?.startsWith('no contract') === true
                ? code.reason
                : `the registered verifier ${opts.verifier} does not embed the key derived from this setup's zkey (another contribution, κ or setup made it)`,
          }),
    };
  }

  let local: SetupIdentity | undefined;
  let identityError: string | undefined;
  try {
    local = setupIdentityOf(setup.meta, setup.commitmentKey, setup.lookupKey);
  } catch (err) {
    identityError = `the setup's files give no identity: ${(err as Error).message}`;
  }
  const differences = local ? setupIdentityDifferences(declared, local) : [identityError!];
  const setupIdentity: AuditCheck = {
    ok: differences.length === 0,
    listed: true,
    declared,
    ...(local ? { setup: local } : {}),
    ...(differences.length ? { differences, reason: differences.join('; ') } : {}),
  };
  return { setupChain, setupKey, setupIdentity };
}
