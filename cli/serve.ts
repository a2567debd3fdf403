import { parseArgs } from 'node:util';
import { ZkaiError } from '../common/errors.ts';

function usageError(message: string): never {
  throw new ZkaiError('BAD_INPUT', `${message} (zkai help lists the commands and their flags)`);
}

/** `zkai serve [--port N] [--host H]`: the service with its ZKAI_* configuration; the flags win over the variables. */
export async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  if (positionals.length) usageError(`zkai serve takes no arguments, got ${positionals.join(' ')}`);
  const { applyWitnessCompile, witnessCompileFrom } = await import('../prover/witness-compile.ts');
  applyWitnessCompile(witnessCompileFrom()); // before any circuit loads (prover/witness-compile.ts)
  const { startService, configFromEnv } = await import('../server/main.ts');
  const config = configFromEnv();
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535)
      usageError(`--port must be a port number (0..65535), got ${values.port}`);
    config.port = Number(values.port);
  }
  if (values.host !== undefined) config.host = values.host;
  await startService(config);
  return -1; // keep running
}
