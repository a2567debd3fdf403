/**
 * zkai's phase-2 contribution: what `snarkjs zkey contribute` (and `zkey beacon`) write, with the heavy part on the
 * native engine. A contribution draws a secret d, multiplies δ (in G1 and G2) by d and divides every point of the
 * L (section 8) and H (section 9) sections by d; everything else is copied. snarkjs does the division with one
 * WASM scalar multiplication per point (ffjavascript's batchApplyKey), which was most of a model's setup (102 s of
 * 128 s for LeNet); the native engine's g1BatchScale does the same multiplications with GLV, windowed NAF and
 * batch-affine additions on every core.
 *
 * The record is snarkjs's exactly, so `snarkjs zkey verify` checks it as one of its own: the RNG is ffjavascript's
 * ChaCha seeded as snarkjs seeds it (blake2b-512 of 64 CSPRNG bytes and the entropy text; for a beacon, the
 * iterated SHA-256 of its hash), the secrets and the proof of knowledge (g1_s, g1_sx, the transcript, g2_spx with
 * g2_sp = hashToG2(transcript)) are drawn in snarkjs's order with ffjavascript's own functions, and the file is laid
 * out as snarkjs lays it out (sections 1–10 in order; earlier contributions copied byte for byte). A beacon
 * contribution is therefore byte-identical to `snarkjs zkey beacon` (tested); a random one differs only by its
 * randomness.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { buildBn128, ChaCha } from 'ffjavascript';
import { type BinSection, onlySection, readBinLayoutFromFile } from '../../common/binfile.ts';
import { BN254_R, invMod } from '../../common/bn254.ts';
import { ZkaiError } from '../../common/errors.ts';
import { loadSetupNative } from './setup-engine.ts';

const G1 = 64;
const G2 = 128;
/** Section 2 (Groth16 header): n8q, q, n8r, r, nVars, nPublic, domainSize, then α1, β1, β2, γ2, δ1, δ2. */
const DELTA1_AT = 4 + 32 + 4 + 32 + 12 + G1 + G1 + G2 + G2;
const DELTA2_AT = DELTA1_AT + G1;
const HEADER2_BYTES = DELTA2_AT + G2;
/** One contribution in section 10 before its parameters: δ after, g1_s, g1_sx, g2_spx, transcript, type. */
const CONTRIBUTION_FIXED = G1 * 3 + G2 + 64 + 4;
/** Points per engine call when scaling L and H: 16 MiB in, 16 MiB out. */
const SCALE_CHUNK = 1 << 18;
/** Bytes per copy when a section is passed through unchanged. */
const COPY_CHUNK = 1 << 24;

type FfCurve = Awaited<ReturnType<typeof buildBn128>>;
type FfPoint = Uint8Array;

/** Divides points by the contributor's secret: the native engine's g1BatchScale, or ffjavascript's batchApplyKey. */
export interface ContributionEngine {
  readonly name: string;
  /** Every G1 point (64-byte affine, Montgomery LE) times `scalar` (32 bytes LE, standard form). */
  g1BatchScale(points: Uint8Array, scalar: Uint8Array): Promise<Uint8Array>;
}

let singleThreadCurve: Promise<FfCurve> | undefined;
/** ffjavascript's bn128 on this thread: the few point operations of the record, with no worker threads to end. */
function ffCurve(): Promise<FfCurve> {
  const curve = singleThreadCurve ?? buildBn128(true);
  singleThreadCurve = curve;
  return curve;
}

/** ffjavascript's batchApplyKey on its WASM thread pool: what snarkjs runs, for machines without the native engine. */
export const ffjavascriptContributionEngine: ContributionEngine = {
  name: 'ffjavascript',
  async g1BatchScale(points, scalar) {
    const curve = await buildBn128(); // the process-wide multi-threaded curve (snarkjs shares it)
    const k = curve.Fr.fromObject(leToBigInt(scalar));
    return curve.G1.batchApplyKey(points, k, curve.Fr.one);
  },
};

/** The native engine when built (and not switched off by ZKAI_NATIVE=0), else ffjavascript. */
export function pickContributionEngine(): ContributionEngine {
  const native = loadSetupNative();
  return native ? { name: 'zkai-native', g1BatchScale: native.g1BatchScale.bind(native) } : ffjavascriptContributionEngine;
}

/** Where the contribution's randomness comes from: entropy text (mixed with the CSPRNG, as snarkjs does) or a beacon. */
export type ContributionRandomness = { entropy: string } | { beaconHash: Uint8Array; numIterationsExp: number };

export interface ContributeZkeyOptions {
  /** Stored in the zkey (snarkjs keeps the first 64 characters). */
  name?: string;
  randomness: ContributionRandomness;
  engine?: ContributionEngine;
  log?: (msg: string) => void;
  /** Told after each chunk of the L and H sections: points divided so far of both sections' total (job progress). */
  onProgress?: (done: number, total: number) => void;
}

export interface ContributeZkeyResult {
  /** blake2b-512 of the contribution's public key, as snarkjs prints and returns it. */
  hash: Uint8Array;
  /** The circuit hash the chain starts from. */
  csHash: Uint8Array;
  engine: string;
}

function leToBigInt(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

function bigIntToLe(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The ChaCha seed snarkjs derives: eight big-endian u32 of a hash. */
function chachaSeed(hash: Uint8Array): number[] {
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  return Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i, false));
}

/** snarkjs's misc.getRandomRng / rngFromBeaconParams. */
function contributionRng(randomness: ContributionRandomness): InstanceType<typeof ChaCha> {
  if ('entropy' in randomness) {
    const h = createHash('blake2b512').update(randomBytes(64)).update(Buffer.from(randomness.entropy, 'utf8')).digest();
    return new ChaCha(chachaSeed(h));
  }
  const { beaconHash, numIterationsExp } = randomness;
  if (beaconHash.length === 0 || beaconHash.length > 255) throw new ZkaiError('BAD_INPUT', 'a beacon hash is 1 to 255 bytes');
  if (!Number.isInteger(numIterationsExp) || numIterationsExp < 10 || numIterationsExp > 63) {
    throw new ZkaiError('BAD_INPUT', 'a beacon takes 2^10 to 2^63 iterations');
  }
  let h: Uint8Array = beaconHash;
  for (let i = 0n; i < 1n << BigInt(numIterationsExp); i++) h = createHash('sha256').update(h).digest();
  return new ChaCha(chachaSeed(h));
}

/** A zkey's sections 1–10, each exactly once: id → [start, size] of the body (common/binfile.ts). */
async function readSections(fh: FileHandle, file: string): Promise<Map<number, BinSection>> {
  const format = { magic: 'zkey', label: `zkey ${file}` };
  const layout = await readBinLayoutFromFile(fh, format);
  const sections = new Map<number, BinSection>();
  for (let id = 1; id <= 10; id++) sections.set(id, onlySection(layout, id, format));
  return sections;
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Uint8Array> {
  const b = new Uint8Array(len);
  const { bytesRead } = await fh.read(b, 0, len, pos);
  if (bytesRead !== len) throw new ZkaiError('BAD_INPUT', 'zkey: truncated');
  return b;
}

/** A point as snarkjs hashes it: read from the file's LEM form, written uncompressed. */
function uncompressed(curve: FfCurve, group: 'G1' | 'G2', lem: Uint8Array): Uint8Array {
  const out = new Uint8Array(group === 'G1' ? G1 : G2);
  curve[group].toRprUncompressed(out, 0, curve[group].fromRprLEM(lem, 0));
  return out;
}

/** What snarkjs's hashPubKey feeds a hasher for one contribution record (its first CONTRIBUTION_FIXED − 4 bytes). */
function hashPubKey(hasher: ReturnType<typeof createHash>, curve: FfCurve, record: Uint8Array): void {
  hasher.update(uncompressed(curve, 'G1', record.subarray(0, G1)));
  hasher.update(uncompressed(curve, 'G1', record.subarray(G1, 2 * G1)));
  hasher.update(uncompressed(curve, 'G1', record.subarray(2 * G1, 3 * G1)));
  hasher.update(uncompressed(curve, 'G2', record.subarray(3 * G1, 3 * G1 + G2)));
  hasher.update(record.subarray(3 * G1 + G2, 3 * G1 + G2 + 64));
}

/** Section 10's earlier contributions: each record's bytes (snarkjs re-writes them unchanged). */
function splitContributions(body: Uint8Array): { csHash: Uint8Array; records: Uint8Array[] } {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const csHash = body.subarray(0, 64);
  const n = view.getUint32(64, true);
  const records: Uint8Array[] = [];
  let pos = 68;
  for (let i = 0; i < n; i++) {
    if (pos + CONTRIBUTION_FIXED + 4 > body.length) throw new ZkaiError('BAD_INPUT', 'zkey: section 10 is truncated');
    const end = pos + CONTRIBUTION_FIXED + 4 + view.getUint32(pos + CONTRIBUTION_FIXED, true);
    if (end > body.length) throw new ZkaiError('BAD_INPUT', 'zkey: section 10 is truncated');
    records.push(body.subarray(pos, end));
    pos = end;
  }
  if (pos !== body.length) throw new ZkaiError('BAD_INPUT', 'zkey: section 10 has trailing bytes');
  return { csHash, records };
}

/** The new record's parameters, as snarkjs's writeContribution encodes them (name = 1, beacon = 2 and 3). */
function recordParams(name: string | undefined, randomness: ContributionRandomness): Uint8Array {
  const params: number[] = [];
  if (name) {
    const bytes = new TextEncoder().encode(name.substring(0, 64));
    if (bytes.length > 255) throw new ZkaiError('BAD_INPUT', 'a contribution name is at most 255 bytes');
    params.push(1, bytes.length, ...bytes);
  }
  if ('beaconHash' in randomness) params.push(2, randomness.numIterationsExp, 3, randomness.beaconHash.length, ...randomness.beaconHash);
  return new Uint8Array([...u32le(params.length), ...params]);
}

/**
 * Adds one phase-2 contribution to the Groth16 zkey `oldPath`, writing `newPath` (the old file is not changed).
 * Returns the contribution hash the contributor publishes.
 */
export async function contributeZkey(oldPath: string, newPath: string, opts: ContributeZkeyOptions): Promise<ContributeZkeyResult> {
  const engine = opts.engine ?? pickContributionEngine();
  const curve = await ffCurve();
  const { Fr } = curve;
  const fh = await open(oldPath, 'r');
  let out: FileHandle | undefined;
  try {
    const sections = await readSections(fh, oldPath);
    const sec = (id: number) => sections.get(id)!;
    const groth = await readAt(fh, sec(1).start, 4);
    if (sec(1).size !== 4 || new DataView(groth.buffer).getUint32(0, true) !== 1) {
      throw new ZkaiError('BAD_INPUT', `${oldPath}: not a Groth16 zkey`);
    }
    const header = await readAt(fh, sec(2).start, sec(2).size);
    const hv = new DataView(header.buffer);
    if (sec(2).size !== HEADER2_BYTES || hv.getUint32(0, true) !== 32 || leToBigInt(header.subarray(40, 72)) !== BN254_R) {
      throw new ZkaiError('BAD_INPUT', `${oldPath}: not a bn128 Groth16 zkey header`);
    }
    const { csHash, records } = splitContributions(await readAt(fh, sec(10).start, sec(10).size));

    // The record, drawn in snarkjs's order from its RNG (zkey_contribute.js).
    const transcript = createHash('blake2b512').update(csHash);
    for (const r of records) hashPubKey(transcript, curve, r);
    const rng = contributionRng(opts.randomness);
    const prvKey: Uint8Array = Fr.fromRng(rng);
    const g1s: FfPoint = curve.G1.toAffine(curve.G1.fromRng(rng));
    const g1sx: FfPoint = curve.G1.toAffine(curve.G1.timesFr(g1s, prvKey));
    const lem = (group: 'G1' | 'G2', p: FfPoint) => {
      const b = new Uint8Array(group === 'G1' ? G1 : G2);
      curve[group].toRprLEM(b, 0, p);
      return b;
    };
    const g1sU = new Uint8Array(G1);
    const g1sxU = new Uint8Array(G1);
    curve.G1.toRprUncompressed(g1sU, 0, g1s);
    curve.G1.toRprUncompressed(g1sxU, 0, g1sx);
    const transcriptHash = new Uint8Array(transcript.update(g1sU).update(g1sxU).digest());
    const g2sp: FfPoint = curve.G2.fromRng(new ChaCha(chachaSeed(transcriptHash))); // snarkjs's hashToG2
    const g2spx: FfPoint = curve.G2.toAffine(curve.G2.timesFr(g2sp, prvKey));
    const delta1 = lem('G1', curve.G1.timesFr(curve.G1.fromRprLEM(header, DELTA1_AT), prvKey));
    const delta2 = lem('G2', curve.G2.timesFr(curve.G2.fromRprLEM(header, DELTA2_AT), prvKey));
    const record = new Uint8Array([
      ...delta1,
      ...lem('G1', g1s),
      ...lem('G1', g1sx),
      ...lem('G2', g2spx),
      ...transcriptHash,
      ...u32le('beaconHash' in opts.randomness ? 1 : 0),
      ...recordParams(opts.name, opts.randomness),
    ]);
    const newHeader = header.slice();
    newHeader.set(delta1, DELTA1_AT);
    newHeader.set(delta2, DELTA2_AT);
    const invDelta = bigIntToLe(invMod(Fr.toObject(prvKey) as bigint, BN254_R));

    out = await open(newPath, 'w');
    let pos = 0;
    const write = async (b: Uint8Array) => {
      await out!.write(b, 0, b.length, pos);
      pos += b.length;
    };
    const startSection = async (id: number, size: number) => {
      const h = new Uint8Array(12);
      const v = new DataView(h.buffer);
      v.setUint32(0, id, true);
      v.setBigUint64(4, BigInt(size), true);
      await write(h);
    };
    await write(new Uint8Array([...new TextEncoder().encode('zkey'), ...u32le(1), ...u32le(10)]));
    await startSection(1, 4);
    await write(groth);
    await startSection(2, newHeader.length);
    await write(newHeader);
    for (const id of [3, 4, 5, 6, 7]) {
      const { start, size } = sec(id);
      await startSection(id, size);
      for (let at = 0; at < size; at += COPY_CHUNK) await write(await readAt(fh, start + at, Math.min(COPY_CHUNK, size - at)));
    }
    // The two sections are nearly all of the work: progress counts their points.
    const totalPoints = (sec(8).size + sec(9).size) / G1;
    let donePoints = 0;
    opts.onProgress?.(0, totalPoints);
    for (const id of [8, 9]) {
      const { start, size } = sec(id);
      if (size % G1 !== 0) throw new ZkaiError('BAD_INPUT', `${oldPath}: section ${id} is not a list of G1 points`);
      const t = performance.now();
      await startSection(id, size);
      // Read the next chunk while the engine scales this one.
      const chunkBytes = SCALE_CHUNK * G1;
      let next = size > 0 ? readAt(fh, start, Math.min(chunkBytes, size)) : undefined;
      for (let at = 0; at < size; at += chunkBytes) {
        const points = await next!;
        const following = at + chunkBytes;
        next = following < size ? readAt(fh, start + following, Math.min(chunkBytes, size - following)) : undefined;
        await write(await engine.g1BatchScale(points, invDelta));
        donePoints += points.length / G1;
        opts.onProgress?.(donePoints, totalPoints);
      }
      opts.log?.(
        `  ${id === 8 ? 'L' : 'H'} section: ${size / G1} points divided by the secret (${engine.name}, ${((performance.now() - t) / 1000).toFixed(2)}s)`,
      );
    }
    const section10 = new Uint8Array([...csHash, ...u32le(records.length + 1), ...records.flatMap((r) => [...r]), ...record]);
    await startSection(10, section10.length);
    await write(section10);
    await out.sync();

    const hash = createHash('blake2b512');
    hashPubKey(hash, curve, record);
    return { hash: new Uint8Array(hash.digest()), csHash: csHash.slice(), engine: engine.name };
  } finally {
    await fh.close();
    await out?.close();
  }
}
