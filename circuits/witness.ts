import { readFile, stat } from 'node:fs/promises';
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
  const cached = await calculator(wasmPath);
  // One calculation at a time per instance: circom_runtime reads the witness out after an await, so a second call
  // started meanwhile would overwrite it.
  const run = cached.tail.then(() => cached.calc.calculateWitness(input, true));
  cached.tail = run.then(
    () => {},
    () => {},
  );
  try {
    return await run;
  } catch (err) {
    // circom_runtime appends each failure's message to one it never clears: the next call gets a fresh instance.
    if (calculators.get(cached.key) === cached) calculators.delete(cached.key);
    throw new ZkaiError('WITNESS_FAILED', String((err as Error).message).split('\n')[0]!);
  }
}

/**
 * A few instantiated calculators, most recently used last: tests compute dozens of witnesses of one circuit, and
 * compiling its wasm each time (0.1–0.2 s for a 5 MB model circuit) and running it before V8 has optimised it cost
 * more than the witnesses. An instance is reused while it succeeds (each calculation starts with the wasm's `init`)
 * and dropped after a failure (above). Keyed by file identity, so a rebuilt file is compiled again; few, because each
 * holds its memory.
 */
interface CachedCalculator {
  key: string;
  calc: Calculator;
  tail: Promise<void>;
}
const calculators = new Map<string, CachedCalculator>();
const building = new Map<string, Promise<CachedCalculator>>();
const MAX_CALCULATORS = 4;

async function calculator(wasmPath: string): Promise<CachedCalculator> {
  const st = await stat(wasmPath);
  const key = `${wasmPath}:${st.size}:${st.mtimeMs}:${st.ino}`;
  const hit = calculators.get(key);
  if (hit) {
    calculators.delete(key);
    calculators.set(key, hit);
    return hit;
  }
  let pending = building.get(key);
  if (!pending) {
    pending = readFile(wasmPath)
      .then(async (bytes) => ({ key, calc: (await WitnessCalculatorBuilder(bytes)) as Calculator, tail: Promise.resolve() }))
      .finally(() => building.delete(key));
    building.set(key, pending);
  }
  const entry = await pending;
  if (!calculators.has(key)) {
    calculators.set(key, entry);
    while (calculators.size > MAX_CALCULATORS) calculators.delete(calculators.keys().next().value!);
  }
  return calculators.get(key) ?? entry;
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
