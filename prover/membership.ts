import { type BuiltCircuit, buildCircuit } from '../circuits/build.ts';
import { type Dataset, membershipInput } from '../circuits/dataset/index.ts';
import { DEFAULT_TREE_DEPTH, MEMBERSHIP_PUBLIC_SIGNALS, membershipCircuitSpec } from '../circuits/membership.ts';
import { ZkaiError } from '../common/errors.ts';
import { makeBundle, type ProofBundle, proofMetadata } from './bundle.ts';
import type { ProverPool } from './pool.ts';
import type { OnPhase } from './progress.ts';
import { type CircuitSetup, ensureCircuitSetup } from './setup/index.ts';

/** A membership circuit of one depth, compiled and set up, ready to prove. */
export interface MembershipCircuit {
  depth: number;
  circuit: BuiltCircuit;
  setup: CircuitSetup;
}

/** Compile (cached) and set up (cached) the membership circuit for trees of `depth`. */
export async function prepareMembershipCircuit(depth = DEFAULT_TREE_DEPTH, log?: (msg: string) => void): Promise<MembershipCircuit> {
  const circuit = await buildCircuit(membershipCircuitSpec(depth), { log });
  const setup = await ensureCircuitSetup(circuit, { log });
  return { depth, circuit, setup };
}

/**
 * Prove that `recordId` is in `dataset` for royalty `epoch`, on the warm pool, and wrap the
 * proof in a self-describing bundle.
 */
export async function proveMembership(
  pool: ProverPool,
  mc: MembershipCircuit,
  dataset: Dataset,
  recordId: string,
  epoch: bigint | number | string,
  /** onPhase: told the proof's phases (job progress). */
  opts: { onPhase?: OnPhase } = {},
): Promise<ProofBundle> {
  if (dataset.manifest.depth !== mc.depth) {
    throw new ZkaiError('BAD_INPUT', `dataset has depth ${dataset.manifest.depth}, circuit has depth ${mc.depth}`);
  }
  const input = await membershipInput(dataset, recordId, epoch);
  const started = performance.now();
  const out = await pool.prove(
    { circuitId: mc.circuit.id, wasmPath: mc.circuit.wasmPath, zkeyPath: mc.setup.zkeyPath },
    input as unknown as Record<string, unknown>,
    opts,
  );
  const named: Record<string, string> = {};
  MEMBERSHIP_PUBLIC_SIGNALS.forEach((name, i) => {
    named[name] = out.publicSignals[i]!;
  });
  named.contributor = dataset.records[dataset.indexOf.get(recordId)!]!.contributor;
  return makeBundle({
    kind: 'membership',
    circuitId: mc.circuit.id,
    vkey: mc.setup.vkey,
    proof: out.proof,
    publicSignals: out.publicSignals,
    public: named,
    metadata: { ...proofMetadata(out, mc.setup, started), datasetRoot: dataset.manifest.rootHex },
  });
}
