// Worker thread for fixed-base scalar multiplication on bn128 (driven by fixed-base.ts).
//
// It instantiates ffjavascript's own bn128 WASM module (the code bytes come from the main
// thread) and calls its curve functions directly, so that one multiplication costs one
// WASM call per window instead of one message per operation. Plain JS (not TS) because a
// worker file is loaded by Node as is, without tsx.
//
// Messages (answered in order, each with the same `id`):
//   { op: 'init', id, code }                          -> {}
//   { op: 'table', id, group, generator, window }     -> {}   generator: jacobian, Montgomery
//   { op: 'mul', id, group, scalars, compressed }     -> { lem, comp? }
// scalars: n × 32 bytes, little-endian, canonical (< r). lem: n affine points in the
// ptau/zkey layout (x, y little-endian Montgomery; infinity = all zero); comp: the same
// points compressed (what the powers-of-tau response hash covers).
import { parentPort } from 'node:worker_threads';

const MAX_PAGES = 32767;
const SCALAR_BYTES = 32;
const SCALAR_BITS = 254; // r < 2^254
const N8 = { G1: 32, G2: 64 }; // bytes of one base-field element (Fq, Fq2)
const PREFIX = { G1: 'g1m', G2: 'g2m' };

let memory;
let fns;
let top = 0; // our bump allocator; the WASM code also allocates scratch above u32[0]
const tables = {};

function ensure(end) {
  const missing = end - memory.buffer.byteLength;
  if (missing > 0) {
    const pages = Math.ceil(missing / 65536);
    if (memory.buffer.byteLength / 65536 + pages > MAX_PAGES) throw new Error('fixed-base worker: out of WASM memory');
    memory.grow(pages);
  }
}

/** Allocate `n` bytes, keeping `headroom` free above for the WASM functions' own scratch space. */
function alloc(n, headroom = 1 << 20) {
  const p = (top + 63) & ~63;
  top = p + n;
  ensure(top + headroom);
  new Uint32Array(memory.buffer)[0] = top;
  return p;
}

function release(p) {
  top = p;
  new Uint32Array(memory.buffer)[0] = top;
}

function setBytes(p, bytes) {
  new Uint8Array(memory.buffer).set(bytes, p);
}

function getBytes(p, n) {
  return new Uint8Array(memory.buffer).slice(p, p + n);
}

async function init(code) {
  const module = await WebAssembly.compile(code);
  memory = new WebAssembly.Memory({ initial: 25, maximum: MAX_PAGES });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  fns = instance.exports;
  top = new Uint32Array(memory.buffer)[0];
}

/**
 * Table of d·2^(w·j)·G for every window j and digit d (affine), so that k·G is the sum of
 * one table entry per non-zero window of k: ⌈254/w⌉ mixed additions, no doublings.
 */
function buildTable(group, generator, window) {
  const n8 = N8[group];
  const px = PREFIX[group];
  const J = n8 * 3;
  const A = n8 * 2;
  const size = 1 << window;
  const nWindows = Math.ceil(SCALAR_BITS / window);
  const pTable = alloc(nWindows * size * A);
  const mark = top;
  const pTmp = alloc(size * J, size * n8 + (1 << 20));
  const pBase = alloc(J);
  setBytes(pBase, generator);
  const add = fns[`${px}_add`];
  const double = fns[`${px}_double`];
  for (let j = 0; j < nWindows; j++) {
    fns[`${px}_normalize`](pBase, pBase); // z = 1, so the adds below take the cheaper mixed path
    fns[`${px}_zero`](pTmp);
    fns[`${px}_copy`](pBase, pTmp + J);
    for (let d = 2; d < size; d++) add(pTmp + (d - 1) * J, pBase, pTmp + d * J);
    fns[`${px}_batchToAffine`](pTmp, size, pTable + j * size * A);
    for (let t = 0; t < window; t++) double(pBase, pBase);
  }
  release(mark);
  tables[group] = { pTable, window, nWindows, size };
  return {};
}

function multiply(group, scalars, compressed) {
  const table = tables[group];
  if (!table) throw new Error(`fixed-base worker: no table for ${group}`);
  const n8 = N8[group];
  const px = PREFIX[group];
  const J = n8 * 3;
  const A = n8 * 2;
  const n = scalars.byteLength / SCALAR_BYTES;
  const { pTable, window, nWindows } = table;
  const mask = (1 << window) - 1;
  const addMixed = fns[`${px}_addMixed`];
  const toJacobian = fns[`${px}_toJacobian`];
  const zero = fns[`${px}_zero`];

  const mark = top;
  const pAcc = alloc(n * J);
  const pOut = alloc(n * A);
  const pComp = compressed ? alloc(n * n8) : 0;
  ensure(top + n * n8 + (1 << 20)); // batchToAffine keeps n inverses above u32[0]

  const aligned = scalars.byteOffset % 4 === 0 ? scalars : scalars.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, n * 8);
  for (let i = 0; i < n; i++) {
    const acc = pAcc + i * J;
    const w0 = i * 8;
    let started = false;
    for (let j = 0; j < nWindows; j++) {
      const bit = j * window;
      const k = bit >>> 5;
      const s = bit & 31;
      let d = words[w0 + k] >>> s;
      if (s + window > 32 && k < 7) d |= words[w0 + k + 1] << (32 - s);
      d &= mask;
      if (d === 0) continue;
      const entry = pTable + ((j << window) + d) * A;
      if (started) addMixed(acc, entry, acc);
      else {
        toJacobian(entry, acc);
        started = true;
      }
    }
    if (!started) zero(acc);
  }
  fns[`${px}_batchToAffine`](pAcc, n, pOut);
  const lem = getBytes(pOut, n * A);
  let comp;
  if (compressed) {
    fns[`${px}_batchLEMtoC`](pOut, n, pComp);
    comp = getBytes(pComp, n * n8);
  }
  release(mark);
  return comp ? { lem, comp } : { lem };
}

async function handle(msg) {
  try {
    let result;
    if (msg.op === 'init') {
      await init(msg.code);
      result = {};
    } else if (msg.op === 'table') result = buildTable(msg.group, msg.generator, msg.window);
    else if (msg.op === 'mul') result = multiply(msg.group, msg.scalars, msg.compressed);
    else throw new Error(`fixed-base worker: unknown op ${msg.op}`);
    const transfer = [result.lem?.buffer, result.comp?.buffer].filter(Boolean);
    parentPort.postMessage({ id: msg.id, ok: true, ...result }, transfer);
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
  }
}

// One message at a time, in arrival order ('init' is async, the others must wait for it).
let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(() => handle(msg));
});
