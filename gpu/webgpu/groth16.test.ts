// A full Groth16 proof with the G1 MSMs on the WebGPU backend (quotient and G2 on ffjavascript) verifies
// with snarkjs; a second proof reuses the resident zkey bases; a corrupted witness does not verify.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { syntheticCircuitSpec, syntheticInput } from '../../circuits/bench/synthetic.ts';
import { buildCircuit } from '../../circuits/build.ts';
import { type Groth16Kernels, proveGroth16 } from '../../prover/groth16/prove.ts';
import { computeQuotientWasm } from '../../prover/groth16/quotient-wasm.ts';
import { createWasmBackend } from '../../prover/groth16/wasm-backend.ts';
import { parseWtns } from '../../prover/groth16/wtns.ts';
import { type ParsedZkey, parseZkey } from '../../prover/groth16/zkey.ts';
import { ensureCircuitSetup } from '../../prover/setup/index.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { ProvingBackend } from '../backend.ts';
import { createWebGpuBackend, shutdownWebGpu } from './index.ts';
import { gpuForTests } from './test-support.ts';

const { skip } = await gpuForTests();
let gpu: ProvingBackend & { residentBasesCount?: number };
let kernels: Groth16Kernels;
let zkey: ParsedZkey;
let witness: Uint8Array;
let vkey: Record<string, unknown>;

before(async () => {
  if (skip) return;
  const circuit = await buildCircuit(syntheticCircuitSpec(1000));
  const setup = await ensureCircuitSetup(circuit);
  const calculator = (await WitnessCalculatorBuilder(await readFile(circuit.wasmPath))) as {
    calculateWTNSBin(i: Record<string, unknown>, sanity: boolean): Promise<Uint8Array>;
  };
  witness = parseWtns(await calculator.calculateWTNSBin(syntheticInput(2), true)).values;
  zkey = parseZkey(new Uint8Array(await readFile(setup.zkeyPath)));
  vkey = setup.vkey as Record<string, unknown>;
  const cpu = await createWasmBackend();
  gpu = (await createWebGpuBackend({ g2: cpu }))!;
  assert.ok(gpu, 'WebGPU backend passed its self-check');
  kernels = { name: 'webgpu+wasm', g1: gpu, g2: cpu, quotient: computeQuotientWasm };
});

after(async () => {
  await gpu?.close?.();
  await shutdownWebGpu();
  await releaseVerifierResources();
});

describe('Groth16 with the WebGPU backend', { skip }, () => {
  test('proofs verify with snarkjs, and the second proof reuses the resident bases', async () => {
    const first = await proveGroth16(zkey, witness, kernels);
    assert.equal(await snarkjs.groth16.verify(vkey, first.publicSignals, first.proof), true);
    const resident = gpu.residentBasesCount;
    assert.ok((resident ?? 0) >= 3, 'the A, B1, C and H sections are resident');
    const second = await proveGroth16(zkey, witness, kernels);
    assert.equal(await snarkjs.groth16.verify(vkey, second.publicSignals, second.proof), true);
    assert.equal(gpu.residentBasesCount, resident, 'no new uploads for the same zkey');
    assert.notDeepEqual(first.proof.pi_a, second.proof.pi_a);
  });

  test('a corrupted witness gives a proof that does not verify', async () => {
    const bad = witness.slice();
    const wire = zkey.nPublic + 2;
    bad[wire * 32] ^= 1;
    const out = await proveGroth16(zkey, bad, kernels);
    assert.equal(await snarkjs.groth16.verify(vkey, out.publicSignals, out.proof), false);
  });
});
