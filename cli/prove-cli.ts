/**
 * `zkai prove <circuit.zkey> <witness.wtns> <proof.json> <public.json>`: the rapidsnark / `snarkjs groth16 prove`
 * command line, on zkai's engine (prover/prove-files.ts). Writes the two files as snarkjs does and nothing on
 * stdout; stderr only says when it fell back to snarkjs. Exit 0, 2 for a bad file or usage, 1 a failed proof.
 */
import { parseArgs } from 'node:util';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { proveFiles, snarkjsJson } from '../prover/prove-files.ts';

export const PROVE_USAGE = 'zkai prove <circuit.zkey> <witness.wtns> <proof.json> <public.json>';

export async function proveCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 4) throw new ZkaiError('BAD_INPUT', `usage: ${PROVE_USAGE}`);
  const [zkey, wtns, proofFile, publicFile] = positionals as [string, string, string, string];
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const out = await proveFiles(zkey, wtns, { log });
  if (out.fallbackReason) log(`zkai prove: proved with ${out.engine}: ${out.fallbackReason}`);
  await Promise.all([writeFileAtomic(proofFile, snarkjsJson(out.proof)), writeFileAtomic(publicFile, snarkjsJson(out.publicSignals))]);
  return 0;
}
