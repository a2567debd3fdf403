import { readFile } from 'node:fs/promises';
import { ZkaiError } from '../common/errors.ts';
import { type ProofBundle, parseBundle } from '../prover/bundle.ts';

/**
 * Reads and parses a proof bundle file for a CLI command: BAD_INPUT when it cannot be read, BAD_BUNDLE when it is
 * not JSON or not a valid bundle (parseBundle names the field).
 */
export async function readBundleFile(file: string): Promise<ProofBundle> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ZkaiError('BAD_BUNDLE', `${file} is not valid JSON`);
  }
  return parseBundle(json);
}
