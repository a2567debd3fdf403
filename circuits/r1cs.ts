import { readFile } from 'node:fs/promises';
import { type BinSection, readBinLayout } from '../common/binfile.ts';
import { ZkaiError } from '../common/errors.ts';

/** One linear combination: wire index → coefficient (mod p). */
export type LinearCombination = Map<number, bigint>;

export interface R1csConstraint {
  a: LinearCombination;
  b: LinearCombination;
  c: LinearCombination;
}

export interface R1csHeader {
  prime: bigint;
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nConstraints: number;
}

export interface R1cs extends R1csHeader {
  constraints: R1csConstraint[];
}

function readLE(buf: Uint8Array, offset: number, n: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[offset + i]!);
  return x;
}

/** The container's sections (common/binfile.ts); `file` names it in errors. */
function r1csSections(buf: Buffer, file: string): Map<number, BinSection[]> {
  return readBinLayout(buf, { magic: 'r1cs', label: `circom r1cs file ${file}` }).sections;
}

function section(sections: Map<number, BinSection[]>, id: number, what: string) {
  const s = sections.get(id)?.[0];
  if (!s) throw new ZkaiError('BAD_INPUT', `${what}: missing section ${id}`);
  return s;
}

function parseHeader(buf: Buffer, start: number): R1csHeader & { n8: number } {
  const n8 = buf.readUInt32LE(start);
  const prime = readLE(buf, start + 4, n8);
  let p = start + 4 + n8;
  const nWires = buf.readUInt32LE(p);
  const nPubOut = buf.readUInt32LE(p + 4);
  const nPubIn = buf.readUInt32LE(p + 8);
  const nPrvIn = buf.readUInt32LE(p + 12);
  p += 16 + 8; // skip nLabels (u64)
  const nConstraints = buf.readUInt32LE(p);
  return { n8, prime, nWires, nPubOut, nPubIn, nPrvIn, nConstraints };
}

export async function readR1csHeader(file: string): Promise<R1csHeader> {
  const buf = await readFile(file);
  const sections = r1csSections(buf, file);
  const { n8: _n8, ...header } = parseHeader(buf, section(sections, 1, file).start);
  return header;
}

export async function readR1cs(file: string): Promise<R1cs> {
  const buf = await readFile(file);
  const sections = r1csSections(buf, file);
  const { n8, ...header } = parseHeader(buf, section(sections, 1, file).start);
  let p = section(sections, 2, file).start;
  const readLc = (): LinearCombination => {
    const n = buf.readUInt32LE(p);
    p += 4;
    const lc: LinearCombination = new Map();
    for (let i = 0; i < n; i++) {
      const wire = buf.readUInt32LE(p);
      lc.set(wire, readLE(buf, p + 4, n8));
      p += 4 + n8;
    }
    return lc;
  };
  const constraints: R1csConstraint[] = [];
  for (let i = 0; i < header.nConstraints; i++) constraints.push({ a: readLc(), b: readLc(), c: readLc() });
  return { ...header, constraints };
}

function evalLc(lc: LinearCombination, witness: readonly bigint[], p: bigint): bigint {
  let acc = 0n;
  for (const [wire, coeff] of lc) acc += coeff * witness[wire]!;
  return acc % p;
}

/**
 * Indices of the constraints that `witness` violates (empty = satisfied).
 * This is the ground truth a Groth16 proof attests to, independent of the witness
 * generator's own asserts: forged-witness tests use it.
 */
export function unsatisfiedConstraints(r1cs: R1cs, witness: readonly bigint[]): number[] {
  if (witness.length !== r1cs.nWires) {
    throw new ZkaiError('BAD_INPUT', `witness has ${witness.length} wires, r1cs expects ${r1cs.nWires}`);
  }
  if (witness[0] !== 1n) return [-1];
  const p = r1cs.prime;
  const bad: number[] = [];
  r1cs.constraints.forEach(({ a, b, c }, i) => {
    if ((evalLc(a, witness, p) * evalLc(b, witness, p) - evalLc(c, witness, p)) % p !== 0n) bad.push(i);
  });
  return bad;
}
