/**
 * Two toy inference circuits with the model circuits' binding (circuits/model/codegen.ts): a public input `binding`
 * squared into one constraint, the last public signal of the statement. The contract tests prove real inferences
 * with them, so that a replay under a copied model is shown failing on a real verifier, not a mock.
 *
 * - BoundPedersenToy: "weights" w[3] and a blind are committed public inputs (Pedersen, as prover/commitment.ts);
 *   statement [y, z, binding] with y = w0·x + w1 (the "input hash" slot) and z = w2·x (the output).
 * - BoundPoseidonToy: w[3] private, hashed in the circuit; signals [weightsHash, y, z, binding].
 */
import path from 'node:path';
import { type BuiltCircuit, buildCircuit } from '../../circuits/build.ts';
import { cacheDir } from '../../common/config.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import { type CircuitSetup, ensureCircuitSetup } from '../../prover/setup/index.ts';

const PEDERSEN_SOURCE = `pragma circom 2.1.6;
template BoundPedersenToy() {
    signal input x;
    signal input binding;
    signal input w[3];
    signal input blind;
    signal output y;
    signal output z;
    y <== w[0] * x + w[1];
    z <== w[2] * x;
    signal bindingSquare;
    bindingSquare <== binding * binding;
}
`;

const POSEIDON_SOURCE = `pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
template BoundPoseidonToy() {
    signal input x;
    signal input binding;
    signal input w[3];
    signal output weightsHash;
    signal output y;
    signal output z;
    weightsHash <== Poseidon(3)(w);
    y <== w[0] * x + w[1];
    z <== w[2] * x;
    signal bindingSquare;
    bindingSquare <== binding * binding;
}
`;

/** Positions of w[0..2] and blind among BoundPedersenToy's public signals [y, z, binding, w0, w1, w2, blind]. */
export const BOUND_PEDERSEN_COMMITTED = [3, 4, 5, 6];

async function build(name: string, template: string, source: string, publicInputs: string[]) {
  const file = cacheDir('test-circuits', `${name}.circom`);
  await writeFileAtomic(file, source);
  const circuit = await buildCircuit({
    name,
    include: path.basename(file),
    instance: `${template}()`,
    publicInputs,
    extraSources: [file],
  });
  return { circuit, setup: await ensureCircuitSetup(circuit) };
}

/** The Pedersen toy, built and set up (cached by content). */
export function boundPedersenToy(): Promise<{ circuit: BuiltCircuit; setup: CircuitSetup }> {
  return build('bound-pedersen-toy', 'BoundPedersenToy', PEDERSEN_SOURCE, ['binding', 'w', 'blind']);
}

/** The Poseidon toy, built and set up (cached by content). */
export function boundPoseidonToy(): Promise<{ circuit: BuiltCircuit; setup: CircuitSetup }> {
  return build('bound-poseidon-toy', 'BoundPoseidonToy', POSEIDON_SOURCE, ['binding']);
}
