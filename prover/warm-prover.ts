import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { ZkaiError } from '../common/errors.ts';
import { type ProvingEngine, processProvingEngine } from './engine.ts';
import type { Groth16Proof } from './groth16/prove.ts';
import { prepareGroth16, proveGroth16 } from './groth16/prove.ts';
import { parseWtns } from './groth16/wtns.ts';
import { type ParsedZkey, parseZkey } from './groth16/zkey.ts';
import type { OnPhase } from './progress.ts';
import { type WasmWitnessCalculator, witnessBin } from './witness-bin.ts';

export type { Groth16Proof };

export interface ProveResult {
  proof: Groth16Proof;
  publicSignals: string[];
  /** The engine that made the proof (see prover/engine.ts), e.g. 'native' or 'snarkjs'. */
  engine: string;
  /** Milliseconds. The per-phase ones come from zkai's prover only (absent with snarkjs), and overlap. */
  timings: { witnessMs: number; proveMs: number; loadMs: number; quotientMs?: number; msmG1Ms?: number; msmG2Ms?: number };
}

/** What a worker needs to load to prove for one circuit. */
export interface CircuitKeys {
  circuitId: string;
  wasmPath: string;
  zkeyPath: string;
}

interface WarmCircuit {
  zkey: Uint8Array;
  /** Sections of `zkey` (zero-copy), parsed once, when zkai's own prover is the engine. */
  parsed: ParsedZkey | null;
  witness: WasmWitnessCalculator;
}

/**
 * Proves Groth16 while keeping each circuit warm: the zkey (bytes and parsed sections) and the compiled
 * witness calculator are loaded once per process and reused, instead of per proof as
 * `snarkjs groth16 fullprove` does. The engine (zkai's prover on native/wasm/webgpu kernels, or snarkjs)
 * is this process's ZKAI_ENGINE selection unless one is given.
 */
export class WarmProver {
  private readonly circuits = new Map<string, Promise<WarmCircuit>>();
  private readonly engine: () => Promise<ProvingEngine>;

  constructor(engine?: ProvingEngine | Promise<ProvingEngine>) {
    this.engine = engine ? () => Promise.resolve(engine) : processProvingEngine;
  }

  private load(keys: CircuitKeys): Promise<WarmCircuit> {
    let warm = this.circuits.get(keys.circuitId);
    if (!warm) {
      warm = (async () => {
        const [wasm, zkey, engine] = await Promise.all([readFile(keys.wasmPath), readFile(keys.zkeyPath), this.engine()]);
        const witness = (await WitnessCalculatorBuilder(wasm)) as WasmWitnessCalculator;
        const bytes = new Uint8Array(zkey.buffer, zkey.byteOffset, zkey.byteLength);
        const parsed = engine.kernels ? parseZkey(bytes) : null;
        // What the first proof would build (tables, scratch memory, compiled point arithmetic) is built with the load.
        if (parsed && engine.kernels) await prepareGroth16(parsed, engine.kernels);
        return { zkey: bytes, parsed, witness };
      })();
      warm.catch(() => this.circuits.delete(keys.circuitId));
      this.circuits.set(keys.circuitId, warm);
    }
    return warm;
  }

  isWarm(circuitId: string): boolean {
    return this.circuits.has(circuitId);
  }

  /** `onPhase` is told witness, then quotient and msm (zkai's prover) or proving (snarkjs); it must not throw. */
  async prove(keys: CircuitKeys, input: Record<string, unknown>, onPhase?: OnPhase): Promise<ProveResult> {
    const t0 = performance.now();
    const warm = await this.load(keys);
    const t1 = performance.now();
    let wtns: Uint8Array;
    onPhase?.('witness');
    try {
      wtns = await witnessBin(warm.witness, input);
    } catch (err) {
      // The witness calculator throws on a failed `===` or a bad input name: the statement is false.
      throw new ZkaiError('WITNESS_FAILED', `witness generation failed for ${keys.circuitId}: ${firstLine(err)}`);
    }
    const t2 = performance.now();
    const engine = await this.engine();
    try {
      if (engine.kernels && warm.parsed) {
        const out = await proveGroth16(warm.parsed, parseWtns(wtns).values, engine.kernels, { onPhase });
        const { quotientMs, msmG1Ms, msmG2Ms } = out.timings;
        const proveMs = performance.now() - t2;
        const timings = { loadMs: t1 - t0, witnessMs: t2 - t1, proveMs, quotientMs, msmG1Ms, msmG2Ms };
        return { proof: out.proof, publicSignals: out.publicSignals, engine: engine.name, timings };
      }
      onPhase?.('proving');
      const out = (await snarkjs.groth16.prove({ type: 'mem', data: warm.zkey }, { type: 'mem', data: wtns })) as {
        proof: Groth16Proof;
        publicSignals: string[];
      };
      const t3 = performance.now();
      return { ...out, engine: engine.name, timings: { loadMs: t1 - t0, witnessMs: t2 - t1, proveMs: t3 - t2 } };
    } catch (err) {
      throw new ZkaiError('PROOF_FAILED', `proving failed for ${keys.circuitId} (${engine.name}): ${firstLine(err)}`);
    }
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
