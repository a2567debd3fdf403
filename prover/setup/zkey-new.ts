import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { buildBn128 } from 'ffjavascript';
import { binSections } from '../../common/binfile.ts';
import { ZkaiError } from '../../common/errors.ts';
import { FR_ORDER, frMod } from './fr.ts';
import { BN128_Q, powerFor, readPtauLayout } from './ptau.ts';
import { type SetupEngine, TERM_BYTES } from './setup-engine.ts';

const G1 = 64;
const G2 = 128;
const FR_BYTES = 32;
/** Fr's 2-adicity: snarkjs reads the H points differently for a circuit of domain 2^28 (not supported here). */
const FR_TWO_ADICITY = 28;

type FfCurve = Awaited<ReturnType<typeof buildBn128>>;
let singleThreadCurve: Promise<FfCurve> | undefined;
/** ffjavascript's bn128 on this thread, for the point encodings snarkjs hashes (no worker threads to end). */
function ffCurve(): Promise<FfCurve> {
  const curve = singleThreadCurve ?? buildBn128(true);
  singleThreadCurve = curve;
  return curve;
}

/** One entry of an r1cs linear combination: constraint, signal, and where its coefficient lies in the file. */
interface R1csTerms {
  constraint: Uint32Array;
  signal: Uint32Array;
  coefAt: Uint32Array;
  count: number;
}

interface ParsedR1cs {
  buf: Buffer;
  nVars: number;
  nPublic: number;
  nConstraints: number;
  a: R1csTerms;
  b: R1csTerms;
  c: R1csTerms;
}

function readLE(buf: Uint8Array, offset: number, n: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[offset + i]!);
  return x;
}

function writeLE(buf: Uint8Array, offset: number, x: bigint, n = 32): void {
  let v = x;
  for (let i = 0; i < n; i++, v >>= 8n) buf[offset + i] = Number(v & 0xffn);
}

/** Read the r1cs: header, then every A/B/C term of the constraints section as flat arrays (two passes, no objects per term). */
async function parseR1cs(file: string): Promise<ParsedR1cs> {
  const buf = await readFile(file);
  const sections = binSections(buf, 'r1cs');
  const h = sections.get(1)?.[0];
  const cs = sections.get(2)?.[0];
  if (!h || !cs) throw new ZkaiError('BAD_INPUT', `${file}: r1cs without header or constraints section`);
  const n8 = buf.readUInt32LE(h.start);
  const prime = readLE(buf, h.start + 4, n8);
  if (n8 !== FR_BYTES || prime !== FR_ORDER) throw new ZkaiError('BAD_INPUT', `${file}: r1cs is not over the bn128 scalar field`);
  let p = h.start + 4 + n8;
  const nVars = buf.readUInt32LE(p);
  const nOutputs = buf.readUInt32LE(p + 4);
  const nPubInputs = buf.readUInt32LE(p + 8);
  const nConstraints = buf.readUInt32LE(p + 24);

  const counts = [0, 0, 0];
  p = cs.start;
  for (let c = 0; c < nConstraints; c++) {
    for (let m = 0; m < 3; m++) {
      const n = buf.readUInt32LE(p);
      counts[m]! += n;
      p += 4 + n * (4 + FR_BYTES);
    }
  }
  if (p > cs.start + cs.size) throw new ZkaiError('BAD_INPUT', `${file}: constraints section is truncated`);
  const make = (n: number): R1csTerms => ({
    constraint: new Uint32Array(n),
    signal: new Uint32Array(n),
    coefAt: new Uint32Array(n),
    count: 0,
  });
  const lists = [make(counts[0]!), make(counts[1]!), make(counts[2]!)];
  p = cs.start;
  for (let c = 0; c < nConstraints; c++) {
    for (const list of lists) {
      const n = buf.readUInt32LE(p);
      p += 4;
      for (let i = 0; i < n; i++) {
        const k = list.count++;
        list.constraint[k] = c;
        list.signal[k] = buf.readUInt32LE(p);
        list.coefAt[k] = p + 4;
        p += 4 + FR_BYTES;
      }
    }
  }
  return { buf, nVars, nPublic: nOutputs + nPubInputs, nConstraints, a: lists[0]!, b: lists[1]!, c: lists[2]! };
}

/** Collects sparse-combine terms (40 bytes each) into one growing buffer. */
class TermWriter {
  private buf: Uint8Array;
  private view: DataView;
  count = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(1, capacity) * TERM_BYTES);
    this.view = new DataView(this.buf.buffer);
  }

  add(output: number, point: number, scalar: Uint8Array, scalarAt = 0): void {
    const at = this.count++ * TERM_BYTES;
    this.view.setUint32(at, output, true);
    this.view.setUint32(at + 4, point, true);
    this.buf.set(scalar.subarray(scalarAt, scalarAt + FR_BYTES), at + 8);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.count * TERM_BYTES);
  }
}

/** Big-endian u32, as snarkjs feeds section lengths to the circuit hash. */
function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export interface NewZkeyOptions {
  log?: (msg: string) => void;
}

export interface NewZkeyResult {
  /** snarkjs's circuit hash (blake2b-512), also stored in the zkey's section 10. */
  csHash: Uint8Array;
  domainSize: number;
  nVars: number;
  nPublic: number;
  nConstraints: number;
  /** Engine that did the point sums. */
  engine: string;
}

/**
 * The initial Groth16 zkey of a circuit (δ = γ = generator, no contributions): byte for byte what
 * `snarkjs zkey new` writes for the same r1cs and prepared ptau, but with the point sums done by
 * `engine` (native sparse combinations) instead of one small multiexp per signal in WASM.
 *
 * With L_c the Lagrange basis of the circuit's domain at τ (ptau sections 12–15), for every signal s:
 * A[s] = Σ a_cs·L_c, B[s] = Σ b_cs·L_c (in G1 and G2), and for public s (IC) or private s (C)
 * Σ (β·a_cs + α·b_cs + c_cs)·L_c; each public signal also gets one extra constraint at row nC+s
 * (A gains L_{nC+s}, IC gains β·L_{nC+s}). H is the odd half of the doubled domain's basis.
 */
export async function newZkey(
  r1csPath: string,
  ptauPath: string,
  zkeyPath: string,
  engine: SetupEngine,
  opts: NewZkeyOptions = {},
): Promise<NewZkeyResult> {
  const log = opts.log;
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work();
    log?.(`  ${what} (${((performance.now() - t) / 1000).toFixed(2)}s)`);
    return result;
  };
  const r1cs = await timed('read r1cs', () => parseR1cs(r1csPath));
  const { nVars, nPublic, nConstraints, buf: r1csBuf } = r1cs;
  const cirPower = powerFor(nConstraints, nPublic);
  const D = 2 ** cirPower;
  const layout = await readPtauLayout(ptauPath);
  if (cirPower > layout.power) {
    throw new ZkaiError('PTAU_TOO_SMALL', `circuit needs a ptau of power ≥ ${cirPower}, ${ptauPath} has ${layout.power}`, {
      needed: cirPower,
    });
  }
  if (cirPower >= FR_TWO_ADICITY) throw new ZkaiError('BAD_INPUT', `circuit domain 2^${cirPower} is too large for zkai's zkey generator`);
  const sec = (id: number) => {
    const s = layout.sections.get(id)?.[0];
    if (!s) throw new ZkaiError('BAD_PTAU', `${ptauPath} is not prepared for phase 2 (section ${id} missing)`);
    return s;
  };
  for (const id of [2, 4, 5, 6, 12, 13, 14, 15]) sec(id);

  const curve = await ffCurve();
  const fh = await open(ptauPath, 'r');
  let zkeyHeader: Uint8Array;
  let hashPrefix: Uint8Array[];
  let g1Points: Uint8Array;
  let g2Points: Uint8Array;
  let hSection: Uint8Array;
  let hHash: Uint8Array;
  try {
    const readAt = async (pos: number, len: number) => {
      const b = new Uint8Array(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      if (bytesRead !== len) throw new ZkaiError('BAD_PTAU', `${ptauPath}: truncated`);
      return b;
    };
    const block = (id: number, size: number, first: number, n: number) => readAt(sec(id).start + first * size, n * size);
    // Domain blocks of the Lagrange sections (blocks of 2^0, 2^1, … points: the one of size D starts at D − 1).
    const [tau, alphaTau, betaTau, tau2, doubled] = await timed('read ptau Lagrange blocks', () =>
      Promise.all([
        block(12, G1, D - 1, D),
        block(14, G1, D - 1, D),
        block(15, G1, D - 1, D),
        block(13, G2, D - 1, D),
        block(12, G1, 2 * D - 1, 2 * D),
      ]),
    );
    g1Points = new Uint8Array(3 * D * G1);
    g1Points.set(tau, 0);
    g1Points.set(alphaTau, D * G1);
    g1Points.set(betaTau, 2 * D * G1);
    g2Points = tau2;
    hSection = new Uint8Array(D * G1);
    for (let i = 0; i < D; i++) hSection.set(doubled.subarray((2 * i + 1) * G1, (2 * i + 2) * G1), i * G1);

    const alpha1 = await readAt(sec(4).start, G1);
    const beta1 = await readAt(sec(5).start, G1);
    const beta2 = await readAt(sec(6).start, G2);
    const g1 = new Uint8Array(G1);
    const g2 = new Uint8Array(G2);
    curve.G1.toRprLEM(g1, 0, curve.G1.g);
    curve.G2.toRprLEM(g2, 0, curve.G2.g);
    const header = new Uint8Array(4 + 32 + 4 + 32 + 12);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, 32, true);
    writeLE(header, 4, BN128_Q);
    hv.setUint32(36, 32, true);
    writeLE(header, 40, FR_ORDER);
    hv.setUint32(72, nVars, true);
    hv.setUint32(76, nPublic, true);
    hv.setUint32(80, D, true);
    // γ = δ = generator in the initial key; a phase-2 contribution moves δ.
    zkeyHeader = concatBytes([header, alpha1, beta1, beta2, g2, g1, g2]);
    hashPrefix = [
      await curve.G1.batchLEMtoU(alpha1),
      await curve.G1.batchLEMtoU(beta1),
      await curve.G2.batchLEMtoU(beta2),
      await curve.G2.batchLEMtoU(g2),
      await curve.G1.batchLEMtoU(g1),
      await curve.G2.batchLEMtoU(g2),
    ];
    hHash = await timed('H points for the circuit hash', () => hashHPoints(curve, readAt, sec(2).start, D));
  } finally {
    await fh.close();
  }

  // Terms of the sparse combinations. G1 points: τ block [0, D), α block [D, 2D), β block [2D, 3D);
  // outputs: A [0, nVars), B1 [nVars, 2nVars), IC ∪ C [2nVars, 3nVars) (IC is s ≤ nPublic).
  const one = new Uint8Array(FR_BYTES);
  one[0] = 1;
  const { a, b, c } = r1cs;
  const g1Terms = new TermWriter(2 * a.count + 2 * b.count + c.count + 2 * (nPublic + 1));
  const g2Terms = new TermWriter(b.count);
  for (let k = 0; k < a.count; k++) {
    const s = a.signal[k]!;
    g1Terms.add(s, a.constraint[k]!, r1csBuf, a.coefAt[k]!);
    g1Terms.add(2 * nVars + s, 2 * D + a.constraint[k]!, r1csBuf, a.coefAt[k]!);
  }
  for (let k = 0; k < b.count; k++) {
    const s = b.signal[k]!;
    g1Terms.add(nVars + s, b.constraint[k]!, r1csBuf, b.coefAt[k]!);
    g1Terms.add(2 * nVars + s, D + b.constraint[k]!, r1csBuf, b.coefAt[k]!);
    g2Terms.add(s, b.constraint[k]!, r1csBuf, b.coefAt[k]!);
  }
  for (let k = 0; k < c.count; k++) g1Terms.add(2 * nVars + c.signal[k]!, c.constraint[k]!, r1csBuf, c.coefAt[k]!);
  for (let s = 0; s <= nPublic; s++) {
    g1Terms.add(s, nConstraints + s, one);
    g1Terms.add(2 * nVars + s, 2 * D + nConstraints + s, one);
  }
  log?.(`  ${g1Terms.count} G1 and ${g2Terms.count} G2 terms over ${nVars} signals, domain 2^${cirPower} (${engine.name})`);
  const [g1Out, g2Out] = await timed('A, B1, IC, C, B2 sparse combinations', () =>
    Promise.all([engine.g1SparseCombine(g1Points, g1Terms.bytes(), 3 * nVars), engine.g2SparseCombine(g2Points, g2Terms.bytes(), nVars)]),
  );
  const A = g1Out.subarray(0, nVars * G1);
  const B1 = g1Out.subarray(nVars * G1, 2 * nVars * G1);
  const IC = g1Out.subarray(2 * nVars * G1, (2 * nVars + nPublic + 1) * G1);
  const C = g1Out.subarray((2 * nVars + nPublic + 1) * G1, 3 * nVars * G1);

  const coefs = coefficientSection(r1cs);

  // The circuit hash: the header's points, then each point section (length first), in snarkjs's order.
  const hasher = createHash('blake2b512');
  for (const part of hashPrefix) hasher.update(part);
  const hashSection = async (group: 'G1' | 'G2', points: Uint8Array, n: number) => {
    hasher.update(u32be(n));
    hasher.update(await curve[group].batchLEMtoU(points));
  };
  await timed('circuit hash', async () => {
    await hashSection('G1', IC, nPublic + 1);
    hasher.update(hHash);
    await hashSection('G1', C, nVars - nPublic - 1);
    await hashSection('G1', A, nVars);
    await hashSection('G1', B1, nVars);
    await hashSection('G2', g2Out, nVars);
  });
  const csHash = new Uint8Array(hasher.digest());

  await timed('write zkey', async () => {
    const sections: [number, Uint8Array[]][] = [
      [1, [u32le(1)]], // Groth16
      [2, [zkeyHeader]],
      [4, coefs],
      [3, [IC]],
      [9, [hSection]],
      [8, [C]],
      [5, [A]],
      [6, [B1]],
      [7, [g2Out]],
      [10, [csHash, u32le(0)]], // no contributions yet
    ];
    const out = await open(zkeyPath, 'w');
    try {
      const head = new Uint8Array(12);
      head.set(new TextEncoder().encode('zkey'), 0);
      new DataView(head.buffer).setUint32(4, 1, true);
      new DataView(head.buffer).setUint32(8, sections.length, true);
      await out.write(head);
      for (const [id, parts] of sections) {
        const sh = new Uint8Array(12);
        const v = new DataView(sh.buffer);
        v.setUint32(0, id, true);
        v.setBigUint64(4, BigInt(parts.reduce((s, p) => s + p.byteLength, 0)), true);
        await out.write(sh);
        for (const p of parts) await out.write(p);
      }
      await out.sync();
    } finally {
      await out.close();
    }
  });
  return { csHash, domainSize: D, nVars, nPublic, nConstraints, engine: engine.name };
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/**
 * Section 4: the A and B matrices (and the public-input rows) as the prover reads them, each
 * coefficient stored as v·R² mod r (R = 2^256), which is what snarkjs writes. Coefficients repeat
 * a lot (1, −1, powers of two), so each distinct one is converted once.
 */
function coefficientSection(r1cs: ParsedR1cs): Uint8Array[] {
  const { a, b, nConstraints, nPublic, buf } = r1cs;
  const R2 = frMod(2n ** 512n);
  const nCoefs = a.count + b.count + nPublic + 1;
  const body = new Uint8Array(4 + nCoefs * (12 + FR_BYTES));
  const view = new DataView(body.buffer);
  view.setUint32(0, nCoefs, true);
  const memo = new Map<string, Uint8Array>();
  const converted = (bytes: Uint8Array): Uint8Array => {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let v = memo.get(key);
    if (!v) {
      v = new Uint8Array(FR_BYTES);
      writeLE(v, 0, (readLE(bytes, 0, FR_BYTES) * R2) % FR_ORDER);
      memo.set(key, v);
    }
    return v;
  };
  let pos = 4;
  const put = (matrix: number, constraint: number, signal: number, coef: Uint8Array) => {
    view.setUint32(pos, matrix, true);
    view.setUint32(pos + 4, constraint, true);
    view.setUint32(pos + 8, signal, true);
    body.set(converted(coef), pos + 12);
    pos += 12 + FR_BYTES;
  };
  // snarkjs lists, per constraint, its A terms then its B terms; then one row per public input.
  let ia = 0;
  let ib = 0;
  for (let cIdx = 0; cIdx < nConstraints; cIdx++) {
    for (; ia < a.count && a.constraint[ia] === cIdx; ia++)
      put(0, cIdx, a.signal[ia]!, buf.subarray(a.coefAt[ia]!, a.coefAt[ia]! + FR_BYTES));
    for (; ib < b.count && b.constraint[ib] === cIdx; ib++)
      put(1, cIdx, b.signal[ib]!, buf.subarray(b.coefAt[ib]!, b.coefAt[ib]! + FR_BYTES));
  }
  const one = new Uint8Array(FR_BYTES);
  one[0] = 1;
  for (let s = 0; s <= nPublic; s++) put(0, nConstraints + s, s, one);
  return [body];
}

/**
 * The H part of the circuit hash: u32 (D − 1), then (τ^(D+i) − τ^i)·G1 uncompressed for each i, from
 * ptau section 2, computed with ffjavascript's own affine subtraction as snarkjs does. snarkjs hashes
 * min(D − 1, 2^14) points per chunk, so for D > 2^14 it hashes D points, the last one read just past
 * section 2 when the ptau has exactly the circuit's power: reading the same file bytes and running
 * the same WASM functions reproduces that point exactly.
 */
async function hashHPoints(
  curve: FfCurve,
  readAt: (pos: number, len: number) => Promise<Uint8Array>,
  sec2: number,
  D: number,
): Promise<Uint8Array> {
  const CHUNK = 1 << 14;
  const parts: Uint8Array[] = [u32be(D - 1)];
  for (let i = 0; i < D - 1; i += CHUNK) {
    const n = Math.min(D - 1, CHUNK);
    const hi = await readAt(sec2 + (i + D) * G1, n * G1);
    const lo = await readAt(sec2 + i * G1, n * G1);
    const task: { cmd: string; [k: string]: unknown }[] = [
      { cmd: 'ALLOCSET', var: 0, buff: hi },
      { cmd: 'ALLOCSET', var: 1, buff: lo },
      { cmd: 'ALLOC', var: 2, len: n * 96 },
    ];
    for (let k = 0; k < n; k++) {
      task.push({
        cmd: 'CALL',
        fnName: 'g1m_subAffine',
        params: [
          { var: 0, offset: k * G1 },
          { var: 1, offset: k * G1 },
          { var: 2, offset: k * 96 },
        ],
      });
    }
    task.push({ cmd: 'CALL', fnName: 'g1m_batchToAffine', params: [{ var: 2 }, { val: n }, { var: 2 }] });
    task.push({ cmd: 'CALL', fnName: 'g1m_batchLEMtoU', params: [{ var: 2 }, { val: n }, { var: 2 }] });
    task.push({ cmd: 'GET', out: 0, var: 2, len: n * G1 });
    const tm = curve.tm as { queueAction(task: unknown[]): Promise<Uint8Array[]> };
    parts.push((await tm.queueAction(task))[0]!);
  }
  return concatBytes(parts);
}
