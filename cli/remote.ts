/**
 * `zkai --server <url> <command>`: commands against a running service instead of this machine, through the typed
 * client (zkai/client), with the API key from --api-key or ZKAI_API_KEY. The result is JSON on stdout; the long
 * commands (cli/remote-jobs.ts) follow their job on the service and show its progress on stderr like the local ones.
 *
 *   zkai --server <url> datasets | models | jobs [--state <s>]      this tenant's rows
 *   zkai --server <url> verify <proof.json>                          the service's verdict (POST /v1/verify)
 *   zkai --server <url> bundle <jobId> --out <proof.json>            a finished job's bundle
 *   zkai --server <url> dataset commit <file.csv|.jsonl> [--columns …] [--name …] [--json]
 *   zkai --server <url> prove <rootHex> <recordId> --epoch <n> [--out proof.json] [--json]
 *   zkai --server <url> model compile <model.onnx> --calibration <file.csv> [--name …] [--weights …] [--json]
 *   zkai --server <url> model prove <modelId> --input <input.json> [--owner <address>] [--out proof.json] [--json]
 *
 * verify exits like the local `zkai verify`: 0 valid, 1 invalid or another key, 2 bad input, 3 valid only against an
 * unpinned key. A request the service refuses exits like a local command refusing it (cli/exit.ts), with the
 * service's error code and message on one line.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type JobState, ZkaiApiError, ZkaiClient } from '../client/index.ts';
import { ZkaiError, type ZkaiErrorCode } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { EXIT_UNPINNED_KEY } from './bundle-file.ts';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

const OPTIONS = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
  state: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  columns: { type: 'string' },
  name: { type: 'string' },
  epoch: { type: 'string' },
  calibration: { type: 'string' },
  weights: { type: 'string' },
  input: { type: 'string' },
  owner: { type: 'string' },
} as const;

export type RemoteFlags = Partial<Record<Exclude<keyof typeof OPTIONS, 'json'>, string>> & { json?: boolean };

/** Each command: the positionals it needs (its usage), the flags it takes, and what it does. */
interface RemoteCommand {
  usage: string;
  args: number;
  flags: (keyof typeof OPTIONS)[];
  run(client: ZkaiClient, args: string[], flags: RemoteFlags): Promise<number>;
}

const jobs = () => import('./remote-jobs.ts');
/** A listing command: its rows as JSON. */
const listing = (rows: (c: ZkaiClient, f: RemoteFlags) => Promise<unknown>) => async (c: ZkaiClient, _: string[], f: RemoteFlags) => {
  print(await rows(c, f));
  return 0;
};

const COMMANDS: Record<string, RemoteCommand> = {
  datasets: { usage: 'datasets', args: 0, flags: [], run: listing((c) => c.listDatasets()) },
  models: { usage: 'models', args: 0, flags: [], run: listing((c) => c.listModels()) },
  jobs: {
    usage: 'jobs [--state <s>]',
    args: 0,
    flags: ['state'],
    run: listing((c, f) => c.listJobs(f.state ? { state: f.state as JobState } : {})),
  },
  verify: {
    usage: 'verify <proof.json>',
    args: 1,
    flags: [],
    async run(c, [file]) {
      let bundle: unknown;
      try {
        bundle = JSON.parse(await readFile(file!, 'utf8'));
      } catch (err) {
        throw new ZkaiError('BAD_INPUT', `cannot read ${file} as JSON: ${(err as Error).message}`);
      }
      // The service judges the bundle (a malformed one is its BAD_BUNDLE).
      const report = await c.verify(bundle);
      print(report);
      return report.valid ? 0 : report.reasonCode === 'KEY_NOT_PINNED' ? EXIT_UNPINNED_KEY : 1;
    },
  },
  bundle: {
    usage: 'bundle <jobId> --out <proof.json>',
    args: 1,
    flags: ['out'],
    async run(c, [jobId], f) {
      if (!f.out) throw new ZkaiError('BAD_INPUT', 'bundle needs --out <proof.json>');
      await writeFileAtomic(f.out, `${JSON.stringify(await c.bundle(jobId!), null, 2)}\n`);
      process.stderr.write(`bundle written to ${f.out}\n`);
      return 0;
    },
  },
  'dataset commit': {
    usage: 'dataset commit <file.csv|.jsonl> [--columns id=<col>,...] [--name <n>] [--json]',
    args: 1,
    flags: ['columns', 'name', 'json'],
    run: async (c, a, f) => (await jobs()).remoteDatasetCommit(c, a[0]!, f),
  },
  prove: {
    usage: 'prove <rootHex> <recordId> --epoch <n> [--out proof.json] [--json]',
    args: 2,
    flags: ['epoch', 'out', 'json'],
    run: async (c, a, f) => (await jobs()).remoteMembershipProve(c, a[0]!, a[1]!, f),
  },
  'model compile': {
    usage: 'model compile <model.onnx> --calibration <inputs.csv> [--name <n>] [--weights pedersen|poseidon|public] [--json]',
    args: 1,
    flags: ['calibration', 'name', 'weights', 'json'],
    run: async (c, a, f) => (await jobs()).remoteModelCompile(c, a[0]!, f),
  },
  'model prove': {
    usage: 'model prove <modelId> --input <input.json> [--owner <address>] [--out proof.json] [--json]',
    args: 1,
    flags: ['input', 'owner', 'out', 'json'],
    run: async (c, a, f) => (await jobs()).remoteModelProve(c, a[0]!, f),
  },
};

function bad(message: string): never {
  throw new ZkaiError('BAD_INPUT', `${message} (zkai help lists the remote commands)`);
}

export async function remoteCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (!values.server) throw new ZkaiError('BAD_INPUT', '--server <url> is required');
  if (!URL.canParse(values.server) || !/^https?:$/.test(new URL(values.server).protocol))
    throw new ZkaiError('BAD_INPUT', `--server must be an http(s) URL, got ${JSON.stringify(values.server)}`);
  const known = (words: string) => (Object.hasOwn(COMMANDS, words) ? words : undefined);
  const name = known(positionals.slice(0, 2).join(' ')) ?? known(positionals[0] ?? '');
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) bad(`unknown remote command: ${positionals.join(' ') || '(none)'}`);
  const args = positionals.slice(name!.split(' ').length);
  if (args.length !== command.args) bad(`usage: zkai --server <url> ${command.usage}`);
  // One option table parses every command's line; a flag this command does not take is still an error.
  const foreign = Object.keys(values).filter(
    (k) => k !== 'server' && k !== 'api-key' && !command.flags.includes(k as keyof typeof OPTIONS),
  );
  if (foreign.length) bad(`${name} does not take ${foreign.map((k) => `--${k}`).join(', ')}`);

  const apiKey = values['api-key'] ?? process.env.ZKAI_API_KEY;
  const client = new ZkaiClient({ baseUrl: values.server, ...(apiKey ? { apiKey } : {}) });
  try {
    return await command.run(client, args, values);
  } catch (err) {
    throw asCliError(err, values.server);
  }
}

/**
 * The service's refusal as the CLI's own typed error: its code and message (reportError prints them on one line and
 * picks the exit code from the code, as for a local command). The code is the service's ZkaiErrorCode, passed on as
 * the contract it is; an older or newer service's unknown code prints as is and exits 1.
 */
function asCliError(err: unknown, server: string): unknown {
  if (err instanceof ZkaiApiError) {
    const code = err.code === 'HTTP_ERROR' ? (err.status < 500 ? 'BAD_INPUT' : 'INTERNAL') : err.code;
    return new ZkaiError(code as ZkaiErrorCode, `${err.detail} (${server})`);
  }
  // fetch's "fetch failed" names its cause (ECONNREFUSED, ENOTFOUND …) only there.
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new ZkaiError('INTERNAL', `cannot reach the service at ${server}: ${cause?.code ?? cause?.message ?? err.message}`);
  }
  return err;
}
