import { type BuiltCircuit, buildCircuit } from '../circuits/build.ts';
import { type Dataset, membershipBatchInput } from '../circuits/dataset/index.ts';
import { DEFAULT_TREE_DEPTH, membershipBatchCircuitSpec, membershipBatchSignalNames } from '../circuits/membership.ts';
import { ZkaiError } from '../common/errors.ts';
import { makeBundle, type ProofBundle, proofMetadata } from './bundle.ts';
import type { ProverPool } from './pool.ts';
import type { OnPhase } from './progress.ts';
import { type CircuitSetup, ensureCircuitSetup } from './setup/index.ts';

/** Slots of the batch circuit `zkai` deploys by default: 16 records per proof (docs/membership.md, the gas table). */
export const DEFAULT_BATCH_SLOTS = 16;

/** A batch membership circuit (slots, depth), compiled and set up, ready to prove. */
export interface MembershipBatchCircuit {
  slots: number;
  depth: number;
  circuit: BuiltCircuit;
  setup: CircuitSetup;
}

/** Compile (cached) and set up (cached) the batch membership circuit of `slots` records in trees of `depth`. */
export async function prepareMembershipBatchCircuit(
  slots = DEFAULT_BATCH_SLOTS,
  depth = DEFAULT_TREE_DEPTH,
  log?: (msg: string) => void,
): Promise<MembershipBatchCircuit> {
  const circuit = await buildCircuit(membershipBatchCircuitSpec(slots, depth), { log });
  const setup = await ensureCircuitSetup(circuit, { log });
  return { slots, depth, circuit, setup };
}

/**
 * Prove that the records `recordIds` (1..slots, distinct) are in `dataset` for royalty `epoch`, in one proof, and wrap
 * it in a bundle of kind "membership-batch" (its public signals named by membershipBatchSignalNames). The slots
 * after the records are unused: their claimant and nullifier are 0, as RoyaltyVault.claimBatch fills them.
 */
export async function proveMembershipBatch(
  pool: ProverPool,
  mbc: MembershipBatchCircuit,
  dataset: Dataset,
  recordIds: readonly string[],
  epoch: bigint | number | string,
  opts: { onPhase?: OnPhase } = {},
): Promise<ProofBundle> {
  if (dataset.manifest.depth !== mbc.depth) {
    throw new ZkaiError('BAD_INPUT', `dataset has depth ${dataset.manifest.depth}, circuit has depth ${mbc.depth}`);
  }
  const input = await membershipBatchInput(dataset, recordIds, epoch, mbc.slots);
  const started = performance.now();
  const out = await pool.prove(
    { circuitId: mbc.circuit.id, wasmPath: mbc.circuit.wasmPath, zkeyPath: mbc.setup.zkeyPath },
    input as unknown as Record<string, unknown>,
    opts,
  );
  return makeBundle({
    kind: 'membership-batch',
    circuitId: mbc.circuit.id,
    vkey: mbc.setup.vkey,
    proof: out.proof,
    publicSignals: out.publicSignals,
    signalNames: membershipBatchSignalNames(mbc.slots),
    addressSignals: [],
    metadata: { ...proofMetadata(out, mbc.setup, started), datasetRoot: dataset.manifest.rootHex, records: recordIds.length },
  });
}
