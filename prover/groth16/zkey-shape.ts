/**
 * A zkey's shape from its headers alone, for `zkai prove` (prover/prove-files.ts). Apart from zkey.ts because it reads
 * a file: zkey.ts is also bundled into the web console, which has no node:fs.
 */
import { open } from 'node:fs/promises';
import { readBinLayoutFromFile } from '../../common/binfile.ts';
import { G1_BYTES, G2_BYTES } from '../../gpu/backend.ts';
import { COEF_BYTES, ZKEY_FORMAT } from './zkey.ts';

/**
 * A zkey file's shape (domain size, variables, coefficients) from its headers alone (a few small reads), so that a
 * prover can ready its kernels while the file itself is still being read. Null when the file is not a consistent
 * Groth16 zkey: parseZkey then says why. Consistent means every size the shape implies matches its section's, so a
 * shape never asks for more memory than the file's own size warrants.
 */
export async function readZkeyShape(path: string): Promise<{ domainSize: number; nVars: number; nCoefs: number } | null> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, 'r');
    const layout = await readBinLayoutFromFile(fh, ZKEY_FORMAT);
    const first = (id: number) => layout.sections.get(id)?.[0];
    const h2 = first(2);
    const s4 = first(4);
    if (!h2 || !s4 || h2.size < 84 || s4.size < 4) return null;
    const head = new Uint8Array(84);
    await fh.read(head, 0, 84, h2.start);
    const count = new Uint8Array(4);
    await fh.read(count, 0, 4, s4.start);
    const v = new DataView(head.buffer);
    if (v.getUint32(0, true) !== 32 || v.getUint32(36, true) !== 32) return null;
    const nVars = v.getUint32(72, true);
    const domainSize = v.getUint32(80, true);
    const nCoefs = new DataView(count.buffer).getUint32(0, true);
    const sizeOf = (id: number) => first(id)?.size;
    if (domainSize === 0 || (domainSize & (domainSize - 1)) !== 0) return null;
    if (sizeOf(9) !== domainSize * G1_BYTES || sizeOf(5) !== nVars * G1_BYTES || sizeOf(7) !== nVars * G2_BYTES) return null;
    if (s4.size !== 4 + nCoefs * COEF_BYTES) return null;
    return { domainSize, nVars, nCoefs };
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}
