/**
 * TEST-ONLY fixtures: real Groth16 proofs for a small (depth-2) membership circuit.
 *
 * The keys come from prover/setup's ensureCircuitSetup, i.e. the fast INSECURE development ptau (cached
 * under .zkai/). The witness inputs are computed here with circomlibjs, independently of circuits/dataset,
 * so a bug there does not hide in these tests.
 */

import path from 'node:path';
import { buildPoseidon } from 'circomlibjs';
import * as snarkjs from 'snarkjs';
import { type BuiltCircuit, buildCircuit } from '../circuits/build.ts';
import { membershipCircuitSpec } from '../circuits/membership.ts';
import { cacheDir } from '../common/config.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { type CircuitSetup, ensureCircuitSetup } from './setup/index.ts';

export interface Groth16Fixture {
  circuit: BuiltCircuit;
  zkeyPath: string;
  vkey: Record<string, unknown>;
  vkeyHash: string;
  insecure: boolean;
}

export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The membership circuit of `depth`, compiled and set up (both cached: ~10 s the first time, instant after). */
export async function membershipTestSetup(depth = 2, log?: (m: string) => void): Promise<Groth16Fixture> {
  const circuit = await buildCircuit(membershipCircuitSpec(depth), { log });
  const setup = await ensureCircuitSetup(circuit, { log });
  return { circuit, zkeyPath: setup.zkeyPath, vkey: setup.vkey, vkeyHash: setup.vkeyHash, insecure: setup.insecure };
}

export interface MembershipRecord {
  recordId: bigint;
  contributor: bigint; // uint160 address
  contentHi: bigint;
  contentLo: bigint;
  weight: bigint;
}

type Poseidon = ((inputs: bigint[]) => unknown) & { F: { toObject(x: unknown): bigint } };
let poseidonPromise: Promise<Poseidon> | undefined;

/** Poseidon over the BN254 scalar field (circomlibjs, the same constants as circomlib's circuits). */
export async function poseidonHash(inputs: bigint[]): Promise<bigint> {
  poseidonPromise ??= buildPoseidon() as Promise<Poseidon>;
  const poseidon = await poseidonPromise;
  return poseidon.F.toObject(poseidon(inputs));
}

/**
 * The circuit input proving that `records[index]` is in the depth-`depth` Merkle-sum tree of `records` (a node is
 * (hash, sum), parent = (Poseidon(lH, lS, rH, rS), lS + rS), empty leaves (0, 0)), with nullifier
 * Poseidon(leaf, epoch). Independent of circuits/dataset on purpose.
 */
export async function membershipInput(
  records: MembershipRecord[],
  index: number,
  epoch: bigint,
  depth = 2,
): Promise<Record<string, string | string[]>> {
  if (records.length > 2 ** depth) throw new Error(`${records.length} records do not fit a depth-${depth} tree`);
  const leaves: { hash: bigint; sum: bigint }[] = [];
  for (const r of records)
    leaves.push({ hash: await poseidonHash([r.recordId, r.contributor, r.contentHi, r.contentLo, r.weight]), sum: r.weight });
  while (leaves.length < 2 ** depth) leaves.push({ hash: 0n, sum: 0n });
  const leaf = leaves[index]!.hash;
  const pathElements: bigint[] = [];
  const pathSums: bigint[] = [];
  const pathIndices: number[] = [];
  let level = leaves;
  let i = index;
  for (let d = 0; d < depth; d++) {
    pathElements.push(level[i ^ 1]!.hash);
    pathSums.push(level[i ^ 1]!.sum);
    pathIndices.push(i & 1); // LSB first: bit d of the leaf index says whether we are the right child at level d
    const next: { hash: bigint; sum: bigint }[] = [];
    for (let j = 0; j < level.length; j += 2) {
      const [l, r] = [level[j]!, level[j + 1]!];
      next.push({ hash: await poseidonHash([l.hash, l.sum, r.hash, r.sum]), sum: l.sum + r.sum });
    }
    level = next;
    i >>= 1;
  }
  const r = records[index]!;
  return {
    root: level[0]!.hash.toString(),
    total: level[0]!.sum.toString(),
    contributor: r.contributor.toString(),
    weight: r.weight.toString(),
    epoch: epoch.toString(),
    nullifier: (await poseidonHash([leaf, epoch])).toString(),
    recordId: r.recordId.toString(),
    contentHi: r.contentHi.toString(),
    contentLo: r.contentLo.toString(),
    pathElements: pathElements.map(String),
    pathSums: pathSums.map(String),
    pathIndices: pathIndices.map(String),
  };
}

/** A Groth16 proof with snarkjs fullProve (witness + proof), timed. */
export async function proveWithSnarkjs(
  fixture: Groth16Fixture,
  input: Record<string, string | string[]>,
): Promise<{ proof: SnarkjsProof; publicSignals: string[]; provingMs: number }> {
  const started = performance.now();
  const { proof, publicSignals } = (await snarkjs.groth16.fullProve(input, fixture.circuit.wasmPath, fixture.zkeyPath)) as {
    proof: SnarkjsProof;
    publicSignals: string[];
  };
  return { proof, publicSignals, provingMs: performance.now() - started };
}

/**
 * A toy "model" with committed public inputs (prover/commitment.ts): private x, committed public inputs w[3] and
 * blind, statement outputs y = w0·x + w1 and z = w2·x. Public signals [y, z, w0, w1, w2, blind]: the statement is
 * [y, z] and COMMIT_TOY_COMMITTED the rest.
 */
const COMMIT_TOY_SOURCE = `pragma circom 2.1.6;
template CommitToy() {
    signal input x;
    signal input w[3];
    signal input blind;
    signal output y;
    signal output z;
    y <== w[0] * x + w[1];
    z <== w[2] * x;
}
`;
export const COMMIT_TOY_COMMITTED = [2, 3, 4, 5];

/** The toy committed circuit, built and set up (both cached, so every test file shares them). */
export async function commitToySetup(): Promise<{ circuit: BuiltCircuit; setup: CircuitSetup }> {
  const file = cacheDir('test-circuits', 'commit-toy.circom');
  await writeFileAtomic(file, COMMIT_TOY_SOURCE);
  const circuit = await buildCircuit({
    name: 'commit-toy',
    include: path.basename(file),
    instance: 'CommitToy()',
    publicInputs: ['w', 'blind'],
    extraSources: [file],
  });
  return { circuit, setup: await ensureCircuitSetup(circuit) };
}
