import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { type BinSection, readBinLayoutFromFile } from '../../common/binfile.ts';
import { BN254_Q } from '../../common/bn254.ts';
import { ZkaiError } from '../../common/errors.ts';
import { sha256File } from '../../common/hash.ts';

/** Base field modulus q of bn128: what a ptau header names its curve by. */
export const BN128_Q = BN254_Q;

/** The name of the one contribution in every zkai dev ptau: the file itself says what it is. */
export const DEV_CONTRIBUTION_NAME = 'zkai INSECURE development ptau — do not use in production';

/** Largest power zkai makes a development ptau for (2^20 constraints). */
export const MAX_DEV_POWER = 20;

/** A powers-of-tau file ready for Groth16 phase 2 (sections 12–15 present). */
export interface PtauInfo {
  path: string;
  power: number;
  sha256: string;
  /** True for a locally generated development file: whoever generated τ could forge proofs. */
  insecure: boolean;
  source: 'zkai-dev' | 'user';
  label: string;
}

/**
 * sha256 of public, prepared ceremony files → label. Empty on purpose: the published hashes are
 * blake2b-512, and `zkai setup import` checks those (HERMEZ_FINAL_BLAKE2B in ceremony.ts) and
 * records the sha256 of what it accepts in the registry. An unknown hash here is still accepted,
 * it is just labelled by file name.
 */
export const KNOWN_CEREMONIES: ReadonlyMap<string, string> = new Map<string, string>();

/** Sizes of the sections of a ptau file of this power, prepared for phase 2, by section id. */
export function ptauSectionSizes(power: number): Map<number, number> {
  const n = 2 ** power;
  const g1 = 64;
  const g2 = 128;
  return new Map([
    [2, (2 * n - 1) * g1],
    [3, n * g2],
    [4, n * g1],
    [5, n * g1],
    [6, g2],
    [12, (4 * n - 1) * g1], // Lagrange bases for domains 2^0 … 2^(power+1)
    [13, (2 * n - 1) * g2], // … 2^0 … 2^power
    [14, (2 * n - 1) * g1],
    [15, (2 * n - 1) * g1],
  ]);
}

/**
 * The smallest power p whose ptau can hold this circuit: 2^p ≥ nConstraints + nPublic + 1.
 * This is snarkjs zkey_new's rule (cirPower = log2(nConstraints + nPublic) + 1, log2 rounding
 * down): the domain also carries one constraint per public input plus the constant one.
 */
export function powerFor(nConstraints: number, nPublic: number): number {
  if (!Number.isInteger(nConstraints) || !Number.isInteger(nPublic) || nConstraints < 0 || nPublic < 0) {
    throw new ZkaiError('BAD_INPUT', `bad circuit size: ${nConstraints} constraints, ${nPublic} public signals`);
  }
  const total = nConstraints + nPublic;
  let p = 1; // snarkjs never goes below a domain of 2
  while (2 ** p < total + 1) p++;
  return p;
}

export interface PtauLayout {
  power: number;
  ceremonyPower: number;
  sections: Map<number, BinSection[]>;
  fileSize: number;
}

/**
 * Read and check the container of a ptau file without loading it (public files reach
 * gigabytes): magic, version, header, curve, and the section table. Throws BAD_PTAU.
 */
export async function readPtauLayout(file: string): Promise<PtauLayout> {
  const bad = (why: string) => new ZkaiError('BAD_PTAU', `${file}: ${why}`, { file });
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new ZkaiError('BAD_PTAU', `cannot open ptau file ${file}: ${(err as Error).message}`, { file });
  }
  try {
    const { fileSize, sections } = await readBinLayoutFromFile(fh, {
      magic: 'ptau',
      label: `powers-of-tau file ${file}`,
      code: 'BAD_PTAU',
      versions: [1],
    });
    const read = async (pos: number, len: number): Promise<Buffer> => {
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      return buf;
    };
    const header = sections.get(1);
    if (header?.length !== 1) throw bad('missing or repeated header section');
    const h = await read(header[0]!.start, header[0]!.size);
    const n8 = h.readUInt32LE(0);
    if (n8 !== 32 || h.length !== 4 + n8 + 8) throw bad('header is not for a 254-bit curve');
    let q = 0n;
    for (let i = n8 - 1; i >= 0; i--) q = (q << 8n) | BigInt(h[4 + i]!);
    if (q !== BN128_Q) throw bad('curve is not bn128 (alt_bn128 / BN254)');
    const power = h.readUInt32LE(4 + n8);
    const ceremonyPower = h.readUInt32LE(8 + n8);
    if (power < 1 || power > 28) throw bad(`implausible power ${power}`);
    return { power, ceremonyPower, sections, fileSize };
  } finally {
    await fh.close();
  }
}

const shaMemo = new Map<string, string>();

async function fileSha256(file: string): Promise<string> {
  const s = await stat(file);
  const key = `${file}\0${s.size}\0${s.mtimeMs}`;
  let sha = shaMemo.get(key);
  if (!sha) {
    sha = await sha256File(file);
    shaMemo.set(key, sha);
  }
  return sha;
}

/**
 * Use a user's powers-of-tau file (e.g. from a public ceremony). It must be for bn128 and
 * prepared for phase 2; its sha256 is recorded so every artifact made from it can name it.
 */
export async function importPtau(file: string): Promise<PtauInfo> {
  const abs = path.resolve(file);
  const layout = await readPtauLayout(abs);
  const expected = ptauSectionSizes(layout.power);
  for (const id of [2, 3, 4, 5, 6]) {
    if (!layout.sections.has(id)) throw new ZkaiError('BAD_PTAU', `${abs}: missing section ${id}`, { file: abs });
  }
  if (![12, 13, 14, 15].every((id) => layout.sections.has(id))) {
    throw new ZkaiError(
      'BAD_PTAU',
      `${abs} is not prepared for phase 2 (no Lagrange sections 12–15). Run: snarkjs powersoftau prepare phase2 ${path.basename(abs)} <prepared>.ptau — or use a published *_final_NN.ptau file, which is already prepared.`,
      { file: abs },
    );
  }
  for (const [id, size] of expected) {
    const s = layout.sections.get(id)!;
    if (s.length !== 1 || s[0]!.size !== size) {
      throw new ZkaiError('BAD_PTAU', `${abs}: section ${id} has the wrong size for power ${layout.power}`, { file: abs });
    }
  }
  const sha256 = await fileSha256(abs);
  const known = KNOWN_CEREMONIES.get(sha256);
  // A zkai dev file passed in as a user file is still insecure: say so rather than launder it.
  if (await isZkaiDevPtau(abs, layout)) {
    return {
      path: abs,
      power: layout.power,
      sha256,
      insecure: true,
      source: 'user',
      label: `${path.basename(abs)} (INSECURE zkai development ptau)`,
    };
  }
  return { path: abs, power: layout.power, sha256, insecure: false, source: 'user', label: known ?? path.basename(abs) };
}

/** Whether the contributions section names a zkai development contribution. */
async function isZkaiDevPtau(file: string, layout: PtauLayout): Promise<boolean> {
  const s = layout.sections.get(7)?.[0];
  if (!s || s.size > 1 << 24) return false;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(s.size);
    await fh.read(buf, 0, s.size, s.start);
    return buf.includes(Buffer.from(DEV_CONTRIBUTION_NAME, 'utf8'));
  } finally {
    await fh.close();
  }
}
