/**
 * The witness as .wtns bytes (iden3's container: prover/groth16/wtns.ts reads it), from a circom 2 witness calculator,
 * without circom_runtime's per-word copy-out. Why: `calculateWTNSBin` reads each witness value through nine calls into
 * the wasm instance (`getWitness(i)`, then `readSharedRWMemory(j)` for each of its eight 32-bit words, each through the
 * `instance.exports` getter). For a model of 200,000 wires that is almost two million calls, a tenth or more of the
 * whole witness time. Here `getWitness(i)` still converts value i out of Montgomery form into the shared read/write
 * area, and its 32 bytes are copied from the instance's exported memory in one `set`. The inputs go in the same way
 * (setInputs below): a model's tens of thousands of weights are inputs of every proof.
 * Calculators that lack the exports this needs (circom 1, or a future layout) take circom_runtime's own path.
 */
export interface WasmWitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
}

/** What circom_runtime's WitnessCalculatorCircom2 holds (package version pinned by package-lock; a test compares outputs). */
interface Circom2Internals {
  instance?: { exports: Record<string, unknown> };
  n32?: number;
  prime?: bigint;
  witnessSize?: number;
  sanityCheck?: boolean;
}

interface Circom2Exports {
  memory: WebAssembly.Memory;
  init(sanityCheck: number): void;
  getInputSignalSize(hMSB: number, hLSB: number): number;
  getInputSize(): number;
  setInputSignal(hMSB: number, hLSB: number, i: number): void;
  getSharedRWMemoryStart(): number;
  readSharedRWMemory(j: number): number;
  getRawPrime(): void;
  getWitness(i: number): void;
}

function fastPath(calc: WasmWitnessCalculator): { c: Required<Circom2Internals>; ex: Circom2Exports } | null {
  const c = calc as unknown as Circom2Internals;
  const ex = c.instance?.exports as Partial<Circom2Exports> | undefined;
  if (!ex || !(ex.memory instanceof WebAssembly.Memory) || typeof ex.getSharedRWMemoryStart !== 'function') return null;
  for (const f of ['getWitness', 'readSharedRWMemory', 'getRawPrime', 'init', 'getInputSignalSize', 'getInputSize', 'setInputSignal'])
    if (typeof (ex as Record<string, unknown>)[f] !== 'function') return null;
  if (c.n32 !== 8 || typeof c.prime !== 'bigint' || !Number.isInteger(c.witnessSize)) return null;
  return { c: c as Required<Circom2Internals>, ex: ex as Circom2Exports };
}

/** Same bytes as `calc.calculateWTNSBin(input, sanityCheck)`; throws what it throws (a failed `===`, a bad input). */
export async function witnessBin(calc: WasmWitnessCalculator, input: Record<string, unknown>, sanityCheck = true): Promise<Uint8Array> {
  const fast = fastPath(calc);
  if (!fast) return calc.calculateWTNSBin(input, sanityCheck);
  const { c, ex } = fast;
  setInputs(ex, c.prime, input, c.sanityCheck || sanityCheck);
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

/** fnv-1a 64 of an input name as circom's two 32-bit halves; a model's input names are few and asked every proof. */
const nameHashes = new Map<string, [number, number]>();
function nameHash(name: string): [number, number] {
  let h = nameHashes.get(name);
  if (!h) {
    let x = 0xcbf29ce484222325n;
    for (let i = 0; i < name.length; i++) x = BigInt.asUintN(64, (x ^ BigInt(name.charCodeAt(i))) * 0x100000001b3n);
    h = [Number(x >> 32n), Number(x & 0xffffffffn)];
    nameHashes.set(name, h);
  }
  return h;
}

function countLeaves(a: unknown): number {
  if (!Array.isArray(a)) return 1;
  let n = 0;
  for (const x of a) n += countLeaves(x);
  return n;
}

/**
 * circom_runtime's `_doCalculateWitness` for circom 2 (same checks, same messages, same order of setInputSignal calls:
 * the last one runs the circuit), without its per-value cost: it normalises each value, splits it into words by
 * repeated BigInt division into an array built with `unshift`, and hands the eight words over in eight calls. Here
 * the words go straight into the instance's shared read/write area (writeSharedRWMemory(j, w) is the 32-bit store at
 * its start + 4j), small values without BigInt arithmetic. A model's input is tens of thousands of weights per proof.
 */
function setInputs(ex: Circom2Exports, prime: bigint, input: Record<string, unknown>, sanityCheck: boolean): void {
  ex.init(sanityCheck ? 1 : 0);
  const start = ex.getSharedRWMemoryStart();
  let words = new Uint32Array(ex.memory.buffer, start, 8);
  let count = 0;
  const set = (hMSB: number, hLSB: number, value: unknown, i: number) => {
    let v = typeof value === 'bigint' ? value : BigInt(value as string | number);
    if (v < 0n || v >= prime) {
      v %= prime;
      if (v < 0n) v += prime;
    }
    if (words.buffer !== ex.memory.buffer) words = new Uint32Array(ex.memory.buffer, start, 8);
    if (v <= 0xffffffffn) {
      words.fill(0);
      words[0] = Number(v);
    } else
      for (let j = 0; j < 8; j++) {
        words[j] = Number(BigInt.asUintN(32, v));
        v >>= 32n;
      }
    ex.setInputSignal(hMSB, hLSB, i);
    count++;
  };
  for (const k of Object.keys(input)) {
    const [hMSB, hLSB] = nameHash(k);
    const size = ex.getInputSignalSize(hMSB, hLSB);
    if (size < 0) throw new Error(`Signal ${k} not found\n`);
    const n = countLeaves(input[k]);
    if (n < size) throw new Error(`Not enough values for input signal ${k}\n`);
    if (n > size) throw new Error(`Too many values for input signal ${k}\n`);
    let i = 0;
    const walk = (a: unknown) => {
      if (Array.isArray(a)) for (const x of a) walk(x);
      else set(hMSB, hLSB, a, i++);
    };
    walk(input[k]);
  }
  if (count < ex.getInputSize()) throw new Error(`Not all inputs have been set. Only ${count} out of ${ex.getInputSize()}`);
}
