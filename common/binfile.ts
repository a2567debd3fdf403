/**
 * The one reader of iden3's binary container, which .r1cs, .wtns, .zkey and .ptau files share:
 *   magic (4 ASCII bytes) · u32 version · u32 section count · sections of (u32 type, u64 byte length, body)
 * all little-endian. This module checks the container (magic, version, every section inside the file) and says
 * where each section's body lies; the per-format readers (circuits/r1cs.ts, prover/groth16/zkey.ts and wtns.ts,
 * prover/setup/ptau.ts and zkey-contribute.ts) give the bodies their meaning.
 *
 * The table walk is written once, as a generator that asks for the 12 bytes at a position; it is driven over bytes
 * in memory (zkeys and witnesses, whose sections are then zero-copy views) or over an open file (ptau files reach
 * gigabytes and are never loaded whole).
 */
import type { FileHandle } from 'node:fs/promises';
import { ZkaiError, type ZkaiErrorCode } from './errors.ts';

/** Where one section's body lies in the file. */
export interface BinSection {
  start: number;
  size: number;
}

export interface BinLayout {
  version: number;
  fileSize: number;
  /** Sections by type, in file order (a type may repeat; the format readers decide whether it may). */
  sections: Map<number, BinSection[]>;
}

export interface BinFormat {
  /** The 4-character magic: 'r1cs', 'wtns', 'zkey', 'ptau'. */
  magic: string;
  /** For messages: "not a usable <label>: …". */
  label: string;
  /** The error code of a malformed file (BAD_INPUT unless the format has its own, e.g. BAD_PTAU). */
  code?: ZkaiErrorCode;
  /** Versions accepted; any when absent. */
  versions?: readonly number[];
}

const HEADER_BYTES = 12;

function failer(format: BinFormat) {
  return (why: string): never => {
    throw new ZkaiError(format.code ?? 'BAD_INPUT', `not a usable ${format.label}: ${why}`);
  };
}

/** The walk: yields a position, receives the (up to) 12 bytes there, returns the layout. */
function* walk(format: BinFormat, fileSize: number): Generator<number, BinLayout, Uint8Array> {
  const fail = failer(format);
  if (fileSize < HEADER_BYTES) fail(`${fileSize} bytes is too short for a header`);
  const head = yield 0;
  const magic = String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!);
  if (magic !== format.magic) fail(`magic is ${JSON.stringify(magic)}, expected ${JSON.stringify(format.magic)}`);
  const hv = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
  const version = hv.getUint32(4, true);
  if (format.versions && !format.versions.includes(version)) fail(`version ${version} is not supported (${format.versions.join(', ')})`);
  const nSections = hv.getUint32(8, true);
  const sections = new Map<number, BinSection[]>();
  let pos = HEADER_BYTES;
  for (let i = 0; i < nSections; i++) {
    if (pos + HEADER_BYTES > fileSize) fail(`truncated: section header ${i + 1} of ${nSections} lies past the end (${fileSize} bytes)`);
    const h = yield pos;
    const v = new DataView(h.buffer, h.byteOffset, HEADER_BYTES);
    const type = v.getUint32(0, true);
    const size = v.getBigUint64(4, true);
    pos += HEADER_BYTES;
    if (BigInt(pos) + size > BigInt(fileSize))
      fail(`truncated: section ${type} needs ${size} bytes at offset ${pos}, the file has ${fileSize}`);
    const list = sections.get(type) ?? [];
    list.push({ start: pos, size: Number(size) });
    sections.set(type, list);
    pos += Number(size);
  }
  return { version, fileSize, sections };
}

/** The layout of a container held in memory. Throws ZkaiError (format.code) for a malformed one. */
export function readBinLayout(bytes: Uint8Array, format: BinFormat): BinLayout {
  const it = walk(format, bytes.byteLength);
  let step = it.next();
  while (!step.done) step = it.next(bytes.subarray(step.value, step.value + HEADER_BYTES));
  return step.value;
}

/** The layout of a container in an open file, reading only its headers. */
export async function readBinLayoutFromFile(fh: FileHandle, format: BinFormat): Promise<BinLayout> {
  const fileSize = (await fh.stat()).size;
  const it = walk(format, fileSize);
  let step = it.next();
  while (!step.done) {
    const buf = new Uint8Array(HEADER_BYTES);
    await fh.read(buf, 0, HEADER_BYTES, step.value);
    step = it.next(buf);
  }
  return step.value;
}

/**
 * The one section of `type`: missing or repeated is an error. Formats whose readers take the first of a repeated
 * type (as snarkjs does) use `layout.sections.get(type)?.[0]` instead.
 */
export function onlySection(layout: BinLayout, type: number, format: BinFormat): BinSection {
  const list = layout.sections.get(type) ?? [];
  if (list.length !== 1) failer(format)(list.length === 0 ? `section ${type} is missing` : `section ${type} appears ${list.length} times`);
  return list[0]!;
}

/** Section bodies by type (the first of each type), as zero-copy views of `bytes`. */
export function readBinSections(bytes: Uint8Array, format: BinFormat): Map<number, Uint8Array> {
  const bodies = new Map<number, Uint8Array>();
  for (const [type, list] of readBinLayout(bytes, format).sections) {
    const { start, size } = list[0]!;
    bodies.set(type, bytes.subarray(start, start + size));
  }
  return bodies;
}

/** Sections by type of a container in memory, with the generic label "<magic> file" (r1cs and tests). */
export function binSections(bytes: Uint8Array, magic: string): Map<number, BinSection[]> {
  return readBinLayout(bytes, { magic, label: `${magic} file` }).sections;
}
