/**
 * The witness as .wtns bytes (iden3's container: prover/groth16/wtns.ts reads it), from a circom 2 witness calculator,
 * without circom_runtime's per-word copy-out. Why: `calculateWTNSBin` reads each witness value through nine calls into
 * the wasm instance (`getWitness(i)`, then `readSharedRWMemory(j)` for each of its eight 32-bit words, each through the
 * `instance.exports` getter). For a model of 200,000 wires that is almost two million calls, a tenth or more of the
 * whole witness time. Here `getWitness(i)` still converts value i out of Montgomery form into the shared read/write
 * area, and its 32 bytes are copied from the instance's exported memory in one `set`.
 * Calculators that lack the exports this needs (circom 1, or a future layout) take circom_runtime's own path.
 */
export interface WasmWitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
}

/** What circom_runtime's WitnessCalculatorCircom2 holds (package version pinned by package-lock; a test compares outputs). */
interface Circom2Internals {
  instance?: { exports: Record<string, unknown> };
  n32?: number;
  witnessSize?: number;
  _doCalculateWitness?: (input: Record<string, unknown>, sanityCheck?: boolean) => Promise<void>;
}

interface Circom2Exports {
  memory: WebAssembly.Memory;
  getSharedRWMemoryStart(): number;
  readSharedRWMemory(j: number): number;
  getRawPrime(): void;
  getWitness(i: number): void;
}

function fastPath(calc: WasmWitnessCalculator): { c: Required<Circom2Internals>; ex: Circom2Exports } | null {
  const c = calc as unknown as Circom2Internals;
  const ex = c.instance?.exports as Partial<Circom2Exports> | undefined;
  if (!ex || !(ex.memory instanceof WebAssembly.Memory) || typeof ex.getSharedRWMemoryStart !== 'function') return null;
  if (typeof ex.getWitness !== 'function' || typeof ex.readSharedRWMemory !== 'function' || typeof ex.getRawPrime !== 'function')
    return null;
  if (c.n32 !== 8 || !Number.isInteger(c.witnessSize) || typeof c._doCalculateWitness !== 'function') return null;
  return { c: c as Required<Circom2Internals>, ex: ex as Circom2Exports };
}

/** Same bytes as `calc.calculateWTNSBin(input, sanityCheck)`; throws what it throws (a failed `===`, a bad input). */
export async function witnessBin(calc: WasmWitnessCalculator, input: Record<string, unknown>, sanityCheck = true): Promise<Uint8Array> {
  const fast = fastPath(calc);
  if (!fast) return calc.calculateWTNSBin(input, sanityCheck);
  const { c, ex } = fast;
  await c._doCalculateWitness.call(c, input, sanityCheck);
  const n8 = 32;
  const nWitness = c.witnessSize;
  // Header: "wtns", version 2, 2 sections; section 1 (8 + n8 bytes): n8, the prime, the witness count; section 2.
  const headerBytes = 4 + 4 + 4 + (4 + 8) + 4 + n8 + 4 + (4 + 8);
  const out = new Uint8Array(headerBytes + nWitness * n8);
  const view = new DataView(out.buffer);
  out.set([0x77, 0x74, 0x6e, 0x73]); // "wtns"
  view.setUint32(4, 2, true);
  view.setUint32(8, 2, true);
  view.setUint32(12, 1, true);
  view.setBigUint64(16, BigInt(8 + n8), true);
  view.setUint32(24, n8, true);
  ex.getRawPrime();
  for (let j = 0; j < 8; j++) view.setUint32(28 + 4 * j, ex.readSharedRWMemory(j), true);
  view.setUint32(60, nWitness, true);
  view.setUint32(64, 2, true);
  view.setBigUint64(68, BigInt(n8 * nWitness), true);
  // The witness values: the memory does not grow while they are read out, so one view serves them all.
  const shared = new Uint8Array(ex.memory.buffer, ex.getSharedRWMemoryStart(), n8);
  const getWitness = ex.getWitness;
  let pos = headerBytes;
  for (let i = 0; i < nWitness; i++) {
    getWitness(i);
    out.set(shared, pos);
    pos += n8;
  }
  return out;
}
