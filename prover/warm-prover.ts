import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { ZkaiError } from '../common/errors.ts';

export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: 'groth16';
  curve: 'bn128';
}

export interface ProveResult {
  proof: Groth16Proof;
  publicSignals: string[];
  timings: { witnessMs: number; proveMs: number; loadMs: number };
}

/** What a worker needs to load to prove for one circuit. */
export interface CircuitKeys {
  circuitId: string;
  wasmPath: string;
  zkeyPath: string;
}

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
}

interface WarmCircuit {
  zkey: Uint8Array;
  witness: WitnessCalculator;
}

/**
 * Proves Groth16 with snarkjs while keeping each circuit warm: the zkey bytes and the compiled
 * witness calculator are loaded once per process and reused, instead of per proof as
 * `snarkjs groth16 fullprove` does.
 */
export class WarmProver {
  private readonly circuits = new Map<string, Promise<WarmCircuit>>();

  private load(keys: CircuitKeys): Promise<WarmCircuit> {
    let warm = this.circuits.get(keys.circuitId);
    if (!warm) {
      warm = (async () => {
        const [wasm, zkey] = await Promise.all([readFile(keys.wasmPath), readFile(keys.zkeyPath)]);
        const witness = (await WitnessCalculatorBuilder(wasm)) as WitnessCalculator;
        return { zkey: new Uint8Array(zkey), witness };
      })();
      warm.catch(() => this.circuits.delete(keys.circuitId));
      this.circuits.set(keys.circuitId, warm);
    }
    return warm;
  }

  isWarm(circuitId: string): boolean {
    return this.circuits.has(circuitId);
  }

  async prove(keys: CircuitKeys, input: Record<string, unknown>): Promise<ProveResult> {
    const t0 = performance.now();
    const warm = await this.load(keys);
    const t1 = performance.now();
    let wtns: Uint8Array;
    try {
      wtns = await warm.witness.calculateWTNSBin(input, true);
    } catch (err) {
      // The witness calculator throws on a failed `===` or a bad input name: the statement is false.
      throw new ZkaiError('WITNESS_FAILED', `witness generation failed for ${keys.circuitId}: ${firstLine(err)}`);
    }
    const t2 = performance.now();
    let out: { proof: Groth16Proof; publicSignals: string[] };
    try {
      out = await snarkjs.groth16.prove({ type: 'mem', data: warm.zkey }, { type: 'mem', data: wtns });
    } catch (err) {
      throw new ZkaiError('PROOF_FAILED', `proving failed for ${keys.circuitId}: ${firstLine(err)}`);
    }
    const t3 = performance.now();
    return { ...out, timings: { loadMs: t1 - t0, witnessMs: t2 - t1, proveMs: t3 - t2 } };
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
