/**
 * Keys for a LogUp circuit: its ordinary Groth16 setup (prover/setup), plus a lookup commitment key — a Pedersen key
 * over the IC points of the committed public signals with its own κ (never the model-weight commitment's κ, so both
 * commitments can sit in one circuit later) — and the statement key a verifier gets: the vkey without the committed
 * IC points (they stay in lookupkey.json, the prover's side), with `zkai_lookup` saying how to check D and α.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltCircuit } from '../../circuits/build.ts';
import { readR1cs } from '../../circuits/r1cs.ts';
import { ZkaiError } from '../../common/errors.ts';
import { publishOnce } from '../../common/fs.ts';
import { type CommitmentKey, checkCommitmentKey, createCommitmentKey, type StatementCommitmentInfo } from '../commitment.ts';
import { LOOKUP_KEY_FILE, latestZkeyContribution } from '../setup/commitment-key.ts';
import { type CircuitSetup, ensureCircuitSetup, type SetupOptions } from '../setup/index.ts';
import { checkLookupShape, type LookupLayout, lookupLayout } from './circuit.ts';
import type { LookupStatementInfo } from './verify.ts';

export { LOOKUP_KEY_FILE } from '../setup/commitment-key.ts';
export const LOOKUP_KEY_NAME = 'zkai lookup commitment key (OS CSPRNG)';

export interface LookupSetup {
  circuit: BuiltCircuit;
  setup: CircuitSetup;
  layout: LookupLayout;
  /** The prover's Pedersen key for D (bases = the committed IC points, κ·bases, κ·G2, κ's history). */
  key: CommitmentKey;
  /** What a verifier needs: statement IC points only, and `zkai_lookup`. */
  statementKey: Record<string, unknown>;
  /** The α rows checkLookupShape found (one per lookup and per table row). */
  alphaRows: number;
}

/**
 * The statement key: vkey without the committed IC points, with `zkai_lookup`; with `weights` (a model's Pedersen
 * weight key, prover/commitment.ts) without those IC points too, and with its `zkai_commitment` (what statementVkey
 * writes), so one key describes both commitments a proof carries.
 */
export function lookupStatementKey(
  vkey: Record<string, unknown>,
  key: CommitmentKey,
  layout: LookupLayout,
  weights?: CommitmentKey,
): Record<string, unknown> {
  const ic = vkey.IC as unknown[];
  const committed = new Set([...key.publicIndices, ...(weights?.publicIndices ?? [])]);
  if (committed.size !== key.publicIndices.length + (weights?.publicIndices.length ?? 0)) {
    throw new ZkaiError('INTERNAL', 'the lookup and weight commitments share a public signal');
  }
  const kept = ic
    .slice(1)
    .map((_, i) => i)
    .filter((i) => !committed.has(i));
  const info: LookupStatementInfo = {
    kappa_2: key.kappa_2,
    publicIndices: [...key.publicIndices],
    circuitPublic: vkey.nPublic as number,
    alphaIndex: kept.indexOf(layout.alphaIndex),
  };
  const w: StatementCommitmentInfo | undefined = weights && {
    kappa_2: weights.kappa_2,
    publicIndices: [...weights.publicIndices],
    circuitPublic: vkey.nPublic as number,
  };
  return {
    ...vkey,
    nPublic: kept.length,
    IC: [ic[0], ...kept.map((i) => ic[i + 1])],
    zkai_lookup: info,
    ...(w ? { zkai_commitment: w } : {}),
  };
}

async function readKey(file: string): Promise<CommitmentKey | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CommitmentKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Builds (or loads) everything above for `circuit`. Refuses a circuit that does not follow the LogUp layout or whose
 * α rows could meet an uncommitted wire (circuit.ts). The key is created once per setup folder (published with
 * link(2), so concurrent first uses agree) and checked against the vkey and its κ history on every load.
 */
export async function ensureLookupSetup(circuit: BuiltCircuit, opts: SetupOptions = {}, known?: LookupLayout): Promise<LookupSetup> {
  const layout = known ?? (await lookupLayout(circuit));
  checkLookupShape(await readR1cs(circuit.r1csPath), layout);
  const setup = await ensureCircuitSetup(circuit, opts);
  const file = path.join(setup.dir, LOOKUP_KEY_FILE);
  if (!(await readKey(file))) {
    // Its κ history starts at the setup's latest zkey contribution, as the weights' key does (commitment-key.ts), so
    // `zkai setup contribute` re-randomises it in step and `zkai setup verify` can check the chain.
    const fresh = await createCommitmentKey(setup.vkey, layout.committedIndices, {
      name: LOOKUP_KEY_NAME,
      zkeyContribution: await latestZkeyContribution(setup.dir),
    });
    const tmp = `${file}.${process.pid}-${Date.now()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(fresh)}\n`);
    await publishOnce(tmp, file);
  }
  return loadLookupSetup(circuit, setup, layout);
}

/**
 * The lookup setup of `circuit` over keys made elsewhere (a worker's or another API node's fetched setup folder): the
 * same checks as ensureLookupSetup, but never a new key — a missing one is ARTIFACT_UNAVAILABLE. `known`: the layout
 * when the caller knows it without the circuit's symbol file (a model's generated signal names; a worker fetches no
 * .sym); the shape check on the R1CS holds either way.
 */
export async function loadLookupSetup(circuit: BuiltCircuit, setup: CircuitSetup, known?: LookupLayout): Promise<LookupSetup> {
  const layout = known ?? (await lookupLayout(circuit));
  const alphaRows = checkLookupShape(await readR1cs(circuit.r1csPath), layout);
  const file = path.join(setup.dir, LOOKUP_KEY_FILE);
  const key = await readKey(file);
  if (!key) throw new ZkaiError('ARTIFACT_UNAVAILABLE', `${file} is missing: the setup of a LogUp circuit needs its lookup key`);
  if (key.publicIndices.length !== layout.committedIndices.length || key.publicIndices.some((v, i) => v !== layout.committedIndices[i])) {
    throw new ZkaiError('BAD_INPUT', `${file} commits to other public signals than the circuit's logupCommitted and logupBlind`);
  }
  await checkCommitmentKey(setup.vkey, key);
  return { circuit, setup, layout, key, statementKey: lookupStatementKey(setup.vkey, key, layout), alphaRows };
}
