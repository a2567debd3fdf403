import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCircuit } from '../circuits/build.ts';
import { commitDataset, loadDataset, readRecordsFile } from '../circuits/dataset/index.ts';
import { DEFAULT_TREE_DEPTH, membershipCircuitSpec } from '../circuits/membership.ts';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { sha256File } from '../common/hash.ts';
import { parseBundle } from '../prover/bundle.ts';
import { prepareMembershipCircuit, proveMembership } from '../prover/membership.ts';
import { ProverPool } from '../prover/pool.ts';
import { knownVkeyHashes } from '../prover/setup/index.ts';
import { verifyBundle } from '../prover/verify.ts';

const USAGE = `zkai — zero-knowledge proofs for verifiable AI

Usage:
  zkai dataset commit <records.csv|.jsonl> --out dataset.json [--depth 20]
  zkai dataset prove <dataset.json> --record <id> --epoch <n> --out proof.json [--ptau ceremony.ptau]
  zkai verify <proof.json> [--vkey-hash <sha256>]      exit 0 valid, 1 invalid, 2 bad input; the key must be
                                                       --vkey-hash, or one set up here for the bundle's circuit
  zkai circuit build membership [--depth 20]           compile (cached) and print constraint counts
  zkai serve                                           start the HTTP service (same as npm start)

Environment: ZKAI_HOME (cache, default .zkai), ZKAI_PTAU (a prepared public ceremony .ptau), see README.`;

/** Exit codes: 0 ok, 1 a proof did not verify or the operation failed, 2 bad input / usage. */
const INPUT_CODES = new Set(['BAD_INPUT', 'BAD_DATASET', 'BAD_BUNDLE', 'UNKNOWN_RECORD', 'UNKNOWN_DATASET', 'UNKNOWN_CIRCUIT', 'BAD_PTAU']);

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function usage(message?: string): never {
  throw new ZkaiError('BAD_INPUT', message ? `${message}\n\n${USAGE}` : USAGE);
}

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) usage(`--${name} must be a non-negative integer`);
  return Number(value);
}

async function datasetCommit(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, depth: { type: 'string' } },
  });
  const [file] = positionals;
  if (!file || !values.out) usage('dataset commit needs <file> and --out');
  const started = performance.now();
  const records = await readRecordsFile(file);
  log(`read ${records.length} records from ${file}`);
  const ds = await commitDataset(records, path.resolve(values.out), {
    depth: intOption(values.depth, 'depth', DEFAULT_TREE_DEPTH),
    source: { name: path.basename(file), sha256: await sha256File(file) },
    onProgress: (phase, done, total) => process.stderr.write(`\r${phase}: ${done}/${total}   ${done === total ? '\n' : ''}`),
  });
  const m = ds.manifest;
  log(`committed ${m.leafCount} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    JSON.stringify({ root: m.rootHex, depth: m.depth, leafCount: m.leafCount, totalWeight: m.totalWeight, out: values.out }, null, 2),
  );
  return 0;
}

async function datasetProve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { record: { type: 'string' }, epoch: { type: 'string' }, out: { type: 'string' }, ptau: { type: 'string' } },
  });
  const [manifest] = positionals;
  if (!manifest || values.record === undefined || values.epoch === undefined || !values.out)
    usage('dataset prove needs <dataset.json>, --record, --epoch and --out');
  // A public ceremony file replaces the development setup (same as ZKAI_PTAU); it is checked before use.
  if (values.ptau) process.env.ZKAI_PTAU = path.resolve(values.ptau);
  const dataset = await loadDataset(path.resolve(manifest));
  const mc = await prepareMembershipCircuit(dataset.manifest.depth, log);
  const pool = new ProverPool({ threads: 1 });
  try {
    const bundle = await proveMembership(pool, mc, dataset, values.record, values.epoch);
    await writeFileAtomic(values.out, `${JSON.stringify(bundle, null, 2)}\n`);
    log(`proof written to ${values.out} (${bundle.metadata.provingMs} ms)`);
    console.log(JSON.stringify({ out: values.out, public: bundle.public }, null, 2));
  } finally {
    await pool.close();
  }
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'vkey-hash': { type: 'string' } } });
  const [file] = positionals;
  if (!file) usage('verify needs <proof.json>');
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
  const bundle = parseBundle(json);
  // Pin the key: the one given, else the keys this machine set up for the bundle's circuit. Only
  // when neither exists is the bundle checked against its own embedded key, and then we say so.
  let expectedVkeyHash = values['vkey-hash'];
  if (!expectedVkeyHash) {
    const known = await knownVkeyHashes(bundle.circuitId);
    if (known.length > 0) expectedVkeyHash = known.includes(bundle.vkeyHash) ? bundle.vkeyHash : known[0];
    else
      log(
        `note: no trusted key for ${bundle.circuitId} here; checked against the bundle's own key ${bundle.vkeyHash} (pin one with --vkey-hash)`,
      );
  }
  const report = await verifyBundle(bundle, { expectedVkeyHash });
  console.log(JSON.stringify({ file, kind: bundle.kind, circuitId: bundle.circuitId, ...report }, null, 2));
  if (bundle.metadata.insecureSetup)
    log('warning: this proof was made with an INSECURE development setup (locally generated powers of tau)');
  return report.valid ? 0 : 1;
}

async function circuitBuild(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { depth: { type: 'string' } } });
  if (positionals[0] !== 'membership') usage('circuit build knows: membership');
  const c = await buildCircuit(membershipCircuitSpec(intOption(values.depth, 'depth', DEFAULT_TREE_DEPTH)), { log });
  console.log(
    JSON.stringify(
      { id: c.id, constraints: c.nConstraints, wires: c.nWires, publicSignals: c.nPublic, privateInputs: c.nPrivateInputs },
      null,
      2,
    ),
  );
  return 0;
}

async function serve(): Promise<number> {
  const { startService, configFromEnv } = await import('../server/main.ts');
  await startService(configFromEnv());
  return -1; // keep running
}

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (cmd === 'dataset' && sub === 'commit') return datasetCommit(rest);
  if (cmd === 'dataset' && sub === 'prove') return datasetProve(rest);
  if (cmd === 'verify') return verify(argv.slice(1));
  if (cmd === 'circuit' && sub === 'build') return circuitBuild(rest);
  if (cmd === 'serve') return serve();
  usage(`unknown command: ${argv.join(' ')}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    // snarkjs keeps worker threads alive; exit explicitly once the command is done.
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (isZkaiError(err)) {
      log(`error [${err.code}]: ${err.message}`);
      process.exit(INPUT_CODES.has(err.code) ? 2 : 1);
    }
    log(`error: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  },
);
