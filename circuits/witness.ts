import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { ZkaiError } from '../common/errors.ts';

interface Calculator {
  calculateWitness(input: Record<string, unknown>, sanityCheck?: boolean): Promise<bigint[]>;
}

/**
 * Full witness (every wire, wire 0 = 1) for `input`, as bigints. Used by tests and tools that
 * inspect or tamper with witnesses; the prover uses the binary form directly.
 */
export async function calculateWitness(wasmPath: string, input: Record<string, unknown>): Promise<bigint[]> {
  const calc = (await WitnessCalculatorBuilder(await readFile(wasmPath))) as Calculator;
  try {
    return await calc.calculateWitness(input, true);
  } catch (err) {
    throw new ZkaiError('WITNESS_FAILED', String((err as Error).message).split('\n')[0]!);
  }
}

/** Signal name (e.g. "main.tree.switches[2].bit") → wire index, from circom's .sym file. Signals optimised away are absent. */
export async function readSymbols(symPath: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await readFile(symPath, 'utf8')).split('\n')) {
    const [, wire, , name] = line.split(',');
    if (name && Number(wire) >= 0) out.set(name.trim(), Number(wire));
  }
  return out;
}

/**
 * The witness a malicious prover would compute: circom's generated code with its `===` asserts ignored (the wasm
 * reports a failed assert through `exceptionHandler(4)` and carries on when the handler returns). What such a
 * witness is worth is decided by the R1CS alone, which is what a Groth16 proof attests to. For forged-witness tests.
 */
export async function witnessIgnoringAsserts(
  wasmPath: string,
  input: Record<string, unknown>,
): Promise<{ w: bigint[]; failedAsserts: number }> {
  let failedAsserts = 0;
  const memory = new WebAssembly.Memory({ initial: 2048 });
  const noop = () => {};
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(await readFile(wasmPath)), {
    env: { memory },
    runtime: {
      exceptionHandler: (code: number) => {
        if (code !== 4) throw new Error(`witness code ${code}`);
        failedAsserts++;
      },
      printErrorMessage: noop,
      writeBufferMessage: noop,
      showSharedRWMemory: noop,
      error: (code: number) => {
        throw new Error(`witness error ${code}`);
      },
      log: noop,
      logGetSignal: noop,
      logSetSignal: noop,
      logStartComponent: noop,
      logFinishComponent: noop,
    },
  });
  const calc = (await WitnessCalculatorBuilder(instance)) as { calculateWitness(i: unknown, s: boolean): Promise<bigint[]> };
  const w = (await calc.calculateWitness(input, false)).map(BigInt);
  return { w, failedAsserts };
}
