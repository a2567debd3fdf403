import { buildBn128 } from 'ffjavascript';
import type { NativeEngine } from '../native/api.ts';
import { loadNativeEngine } from '../native/index.ts';

/** The part of the native engine trusted setup needs: fixed-base multiplication and sparse combinations. */
export type SetupEngine = Pick<NativeEngine, 'g1FixedBase' | 'g2FixedBase' | 'g1SparseCombine' | 'g2SparseCombine'> & {
  readonly name: string;
};

/** Bytes of one sparse-combine term: output u32, point u32, scalar 32 LE. */
export const TERM_BYTES = 40;

/**
 * The native C++ engine, or null when it is not built or ZKAI_NATIVE is off/0 (then setup uses the
 * ffjavascript paths or snarkjs).
 */
export function loadSetupNative(): NativeEngine | null {
  const flag = process.env.ZKAI_NATIVE;
  if (flag === '0' || flag === 'off') return null;
  return loadNativeEngine();
}

type FfCurve = Awaited<ReturnType<typeof buildBn128>>;

interface Task {
  cmd: string;
  [k: string]: unknown;
}

/** Most terms one task carries (as snarkjs's zkey new chunks its multiexps). */
const TASK_TERMS = 1 << 15;

/**
 * Sparse combination on ffjavascript's WASM thread pool: per output a small multiexp (or one scalar
 * multiplication), many outputs per task. The same work snarkjs's zkey new does, hence about as fast:
 * the fallback for machines without the native engine.
 */
async function ffSparseCombine(group: 'G1' | 'G2', points: Uint8Array, terms: Uint8Array, nOutputs: number): Promise<Uint8Array> {
  const curve: FfCurve = await buildBn128(); // the process-wide multi-threaded curve (snarkjs shares it)
  const n8 = group === 'G1' ? 32 : 64;
  const sIn = 2 * n8;
  const sJac = 3 * n8;
  const px = group === 'G1' ? 'g1m' : 'g2m';
  const nTerms = terms.byteLength / TERM_BYTES;
  const view = new DataView(terms.buffer, terms.byteOffset, terms.byteLength);

  // Group terms by output (counting sort, stable).
  const start = new Uint32Array(nOutputs + 1);
  for (let t = 0; t < nTerms; t++) start[view.getUint32(t * TERM_BYTES, true) + 1]!++;
  for (let o = 0; o < nOutputs; o++) start[o + 1]! += start[o]!;
  const order = new Uint32Array(nTerms);
  const fill = start.slice(0, nOutputs);
  for (let t = 0; t < nTerms; t++) order[fill[view.getUint32(t * TERM_BYTES, true)]!++] = t;

  const out = new Uint8Array(nOutputs * sIn);
  const jobs: Promise<void>[] = [];
  let o = 0;
  while (o < nOutputs) {
    let end = o + 1;
    while (end < nOutputs && start[end + 1]! - start[o]! <= TASK_TERMS) end++;
    const first = o;
    const last = end;
    const count = start[last]! - start[first]!;
    const bases = new Uint8Array(count * sIn);
    const scalars = new Uint8Array(count * 32);
    for (let k = 0; k < count; k++) {
      const t = order[start[first]! + k]!;
      const p = view.getUint32(t * TERM_BYTES + 4, true);
      bases.set(points.subarray(p * sIn, (p + 1) * sIn), k * sIn);
      scalars.set(terms.subarray(t * TERM_BYTES + 8, (t + 1) * TERM_BYTES), k * 32);
    }
    const task: Task[] = [
      { cmd: 'ALLOCSET', var: 0, buff: bases },
      { cmd: 'ALLOCSET', var: 1, buff: scalars },
      { cmd: 'ALLOC', var: 2, len: (last - first) * sJac },
    ];
    for (let i = first; i < last; i++) {
      const n = start[i + 1]! - start[i]!;
      const pos = start[i]! - start[first]!;
      const dst = { var: 2, offset: (i - first) * sJac };
      if (n === 0) task.push({ cmd: 'CALL', fnName: `${px}_zero`, params: [dst] });
      else if (n === 1) {
        task.push({
          cmd: 'CALL',
          fnName: `${px}_timesScalarAffine`,
          params: [{ var: 0, offset: pos * sIn }, { var: 1, offset: pos * 32 }, { val: 32 }, dst],
        });
      } else {
        task.push({
          cmd: 'CALL',
          fnName: `${px}_multiexpAffine`,
          params: [{ var: 0, offset: pos * sIn }, { var: 1, offset: pos * 32 }, { val: 32 }, { val: n }, dst],
        });
      }
    }
    task.push({ cmd: 'CALL', fnName: `${px}_batchToAffine`, params: [{ var: 2 }, { val: last - first }, { var: 2 }] });
    task.push({ cmd: 'GET', out: 0, var: 2, len: (last - first) * sIn });
    const tm = curve.tm as { queueAction(task: Task[]): Promise<Uint8Array[]> };
    jobs.push(tm.queueAction(task).then((r) => out.set(r[0]!, first * sIn)));
    o = last;
  }
  await Promise.all(jobs);
  return out;
}

/** ffjavascript's fixed-base path: scalars × generator, one timesScalar per point (tests and tiny inputs only). */
async function ffFixedBase(group: 'G1' | 'G2', scalars: Uint8Array): Promise<Uint8Array> {
  const curve: FfCurve = await buildBn128();
  const G = curve[group];
  const n = scalars.byteLength / 32;
  const sIn = group === 'G1' ? 64 : 128;
  const gen = new Uint8Array(sIn);
  G.toRprLEM(gen, 0, G.g);
  const terms = new Uint8Array(n * TERM_BYTES);
  const view = new DataView(terms.buffer);
  for (let i = 0; i < n; i++) {
    view.setUint32(i * TERM_BYTES, i, true);
    terms.set(scalars.subarray(i * 32, (i + 1) * 32), i * TERM_BYTES + 8);
  }
  return ffSparseCombine(group, gen, terms, n);
}

/** The setup engine backed by ffjavascript (no native code). */
export const ffjavascriptSetupEngine: SetupEngine = {
  name: 'ffjavascript',
  g1FixedBase: (s) => ffFixedBase('G1', s),
  g2FixedBase: (s) => ffFixedBase('G2', s),
  g1SparseCombine: (p, t, n) => ffSparseCombine('G1', p, t, n),
  g2SparseCombine: (p, t, n) => ffSparseCombine('G2', p, t, n),
};

/** The native engine as a SetupEngine, or null when it is not built. */
export function nativeSetupEngine(): SetupEngine | null {
  const n = loadSetupNative();
  if (!n) return null;
  return {
    name: 'zkai-native',
    g1FixedBase: n.g1FixedBase.bind(n),
    g2FixedBase: n.g2FixedBase.bind(n),
    g1SparseCombine: n.g1SparseCombine.bind(n),
    g2SparseCombine: n.g2SparseCombine.bind(n),
  };
}
