/**
 * The two-round prover for LogUp circuits (docs/lookups.md):
 *   round 1  witness pass 1 with a throwaway α (the LogUp identity holds at every α when the lookups are valid, so
 *            circom's asserts pass) gives the committed values: looked-up limbs, multiplicities, a fresh blind;
 *            D = Pedersen commitment to them with its proof of knowledge;
 *   round 2  α = H(D); witness pass 2 with that α (the committed values must come out the same: they may not depend
 *            on α); the Groth16 proof of the whole witness.
 * Pass 2 recomputes the whole witness; computing only the α-dependent wires would halve witness time (docs).
 */

import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { ZkaiError } from '../../common/errors.ts';
import { commitPublicInputs, type PublicInputCommitment, randomScalar, statementSignals } from '../commitment.ts';
import { processProvingEngine } from '../engine.ts';
import { bigIntToLe } from '../groth16/points.ts';
import { type Groth16Kernels, kernelsFrom, proveGroth16 } from '../groth16/prove.ts';
import { computeQuotientWasm } from '../groth16/quotient-wasm.ts';
import { createWasmBackend } from '../groth16/wasm-backend.ts';
import { type ParsedZkey, parseZkey } from '../groth16/zkey.ts';
import { logupChallenge } from './challenge.ts';
import type { LookupSetup } from './setup.ts';
import type { LookupProof } from './verify.ts';

const FR_BYTES = 32;

/** zkai's kernels for this process (native when built), or the wasm ones when the process engine is snarkjs. */
async function kernels(): Promise<Groth16Kernels> {
  const engine = await processProvingEngine();
  return engine.kernels ?? kernelsFrom(await createWasmBackend(), computeQuotientWasm, 'wasm');
}

const zkeys = new WeakMap<LookupSetup, Promise<ParsedZkey>>();
function zkeyOf(ls: LookupSetup): Promise<ParsedZkey> {
  let z = zkeys.get(ls);
  if (!z) {
    z = readFile(ls.setup.zkeyPath).then((b) => parseZkey(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    zkeys.set(ls, z);
  }
  return z;
}

interface Calculator {
  calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]>;
}
const calculators = new Map<string, Promise<Calculator>>();

/**
 * Full witness for `input` from the circuit's witness calculator, compiled once per wasm file and reused (both passes
 * of every proof run on the same instance: compiling it each time was most of a small circuit's proving time).
 */
export async function lookupWitness(wasmPath: string, input: Record<string, unknown>): Promise<bigint[]> {
  let calc = calculators.get(wasmPath);
  if (!calc) {
    calc = readFile(wasmPath).then((b) => WitnessCalculatorBuilder(b) as Promise<Calculator>);
    calculators.set(wasmPath, calc);
    calc.catch(() => calculators.delete(wasmPath));
  }
  try {
    return (await (await calc).calculateWitness(input, true)).map(BigInt);
  } catch (err) {
    throw new ZkaiError('WITNESS_FAILED', String((err as Error).message).split('\n')[0]!);
  }
}

/** The committed values of a full witness (wire = public index + 1), in the key's order. */
export function committedValues(ls: LookupSetup, witness: readonly bigint[]): bigint[] {
  return ls.layout.committedIndices.map((i) => witness[i + 1]!);
}

/**
 * A model's Pedersen-committed weights in a LogUp circuit: their positions among the public signals and their W (the
 * same for every proof of the model: prover/inference.ts computes and caches it).
 */
export interface CommittedWeights {
  publicIndices: readonly number[];
  commitment: PublicInputCommitment;
}

/**
 * Commits to `witness`'s committed values and proves the witness AS GIVEN (its α signal is not recomputed): the
 * honest prover's last step, and what a forger with a hand-made witness would run.
 */
export async function proveLookupWitness(ls: LookupSetup, witness: readonly bigint[], weights?: CommittedWeights): Promise<LookupProof> {
  const commitment = await commitPublicInputs(ls.key, committedValues(ls, witness));
  const bytes = new Uint8Array(witness.length * FR_BYTES);
  for (const [i, v] of witness.entries()) bigIntToLe(v, bytes, i * FR_BYTES);
  const { proof, publicSignals } = await proveGroth16(await zkeyOf(ls), bytes, await kernels());
  const hidden = [...ls.layout.committedIndices, ...(weights?.publicIndices ?? [])];
  return {
    proof,
    publicSignals: statementSignals(publicSignals, hidden),
    commitment,
    ...(weights ? { weights: weights.commitment } : {}),
  };
}

/**
 * Both rounds for `input` (the circuit's inputs without logupAlpha and logupBlind; with Pedersen weights, including
 * the packed weights and their blind, whose W is `weights.commitment`).
 */
export async function proveWithLookups(ls: LookupSetup, input: Record<string, unknown>, weights?: CommittedWeights): Promise<LookupProof> {
  const blind = randomScalar();
  const pass1 = await lookupWitness(ls.circuit.wasmPath, { ...input, logupAlpha: randomScalar(), logupBlind: blind });
  const round1 = committedValues(ls, pass1);
  const commitment = await commitPublicInputs(ls.key, round1);
  const alpha = logupChallenge(commitment.point);
  const pass2 = await lookupWitness(ls.circuit.wasmPath, { ...input, logupAlpha: alpha, logupBlind: blind });
  if (committedValues(ls, pass2).some((v, i) => v !== round1[i])) {
    throw new ZkaiError('PROOF_FAILED', 'the circuit computes a committed value from α: it cannot be committed before α');
  }
  return proveLookupWitness(ls, pass2, weights);
}
