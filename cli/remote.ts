/**
 * `zkai --server <url> <command>`: a few commands against a running service instead of this machine, through the
 * typed client (zkai/client), with the API key from --api-key or ZKAI_API_KEY. Output is JSON on stdout.
 *
 *   zkai --server <url> datasets | models | jobs [--state <s>]      this tenant's rows
 *   zkai --server <url> verify <proof.json>                          the service's verdict (POST /v1/verify)
 *   zkai --server <url> bundle <jobId> --out <proof.json>            a finished job's bundle
 *
 * verify exits like the local `zkai verify`: 0 valid, 1 invalid or another key, 2 bad input, 3 valid only against an
 * unpinned key.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type JobState, ZkaiApiError, ZkaiClient } from '../client/index.ts';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { EXIT_UNPINNED_KEY } from './bundle-file.ts';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export async function remoteCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: 'string' }, 'api-key': { type: 'string' }, state: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.server) throw new ZkaiError('BAD_INPUT', '--server <url> is required');
  const apiKey = values['api-key'] ?? process.env.ZKAI_API_KEY;
  const client = new ZkaiClient({ baseUrl: values.server, ...(apiKey ? { apiKey } : {}) });
  const [cmd, arg] = positionals;
  try {
    if (cmd === 'datasets') print(await client.listDatasets());
    else if (cmd === 'models') print(await client.listModels());
    else if (cmd === 'jobs') print(await client.listJobs(values.state ? { state: values.state as JobState } : {}));
    else if (cmd === 'verify' && arg) {
      const report = await client.verify(JSON.parse(await readFile(arg, 'utf8')));
      print(report);
      return report.valid ? 0 : report.reasonCode === 'KEY_NOT_PINNED' ? EXIT_UNPINNED_KEY : 1;
    } else if (cmd === 'bundle' && arg && values.out) {
      await writeFileAtomic(values.out, `${JSON.stringify(await client.bundle(arg), null, 2)}\n`);
      process.stderr.write(`bundle written to ${values.out}\n`);
    } else {
      throw new ZkaiError('BAD_INPUT', `unknown remote command: ${positionals.join(' ') || '(none)'}; see zkai help`);
    }
    return 0;
  } catch (err) {
    // The service's own error code, with the same exit code rule as local commands (2: the input was refused).
    if (err instanceof ZkaiApiError) throw new ZkaiError(err.status === 400 ? 'BAD_INPUT' : 'INTERNAL', err.message);
    throw err;
  }
}
