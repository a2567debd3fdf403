import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BuiltCircuit } from '../circuits/build.ts';
import { DEFAULT_TREE_DEPTH, membershipCircuitSpec } from '../circuits/membership.ts';
import { BN254_R } from '../common/bn254.ts';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { exitWith } from './exit.ts';
import { compileStep, createProgress, logConstraintTable, progressMode } from './progress.ts';

/*
 * Each command imports what it needs when it runs (the compiler, the service, snarkjs, ethers … are heavy and most
 * commands use one or none of them), so a command's start-up pays only for itself: `zkai prove` loads the prover
 * and nothing else.
 */
const build = () => import('../circuits/build.ts');
const dataset = () => import('../circuits/dataset/index.ts');
const bundles = () => import('../prover/bundle.ts');
const pools = () => import('../prover/pool.ts');
const setup = () => import('../prover/setup/index.ts');

const USAGE = `zkai — zero-knowledge proofs for verifiable AI

Usage:
  zkai dataset commit <records.csv|.jsonl> --out dataset.json [--depth 20] [--columns id=<col>,content_hash=<col>,...]
                                                       fields: id, contributor, content_hash, weight; --columns maps
                                                       yours (e.g. id=record_id,content_hash=content_sha256)
  zkai dataset prove <dataset.json> --record <id> --epoch <n> --out proof.json [--ptau ceremony.ptau]
  zkai dataset prove <dataset.json> --records <id,id,...> --epoch <n> --out proof.json [--slots 16]
                                                       one batch proof for up to --slots records (RoyaltyVault.claimBatch)
  zkai prove <circuit.zkey> <witness.wtns> <proof.json> <public.json>
                                                       Groth16 proof of a circom witness under a snarkjs zkey, on
                                                       zkai's native engine (snarkjs where it is not built): the
                                                       rapidsnark / snarkjs groth16 prove command line and files
  zkai verify <proof.json> [--vkey <vkey.json|model.json>] [--vkey-hash <sha256>]
                                                       check against a trusted key: --vkey / --vkey-hash, else the
                                                       keys set up in ZKAI_HOME for the bundle's circuit, never the
                                                       bundle's own. Exit 0 valid, 1 invalid (or another key),
                                                       2 bad input, 3 the proof holds only against an unpinned key
  zkai model compile <model.onnx> --calibration <inputs.csv> --out <dir> [--name <n>] [--weights pedersen|poseidon|public]
                     [--lookups off|logup]
                                                       quantize, report agreement and constraints per layer, set up
  zkai model prove <dir> --input <input.json> --out proof.json [--owner <address>]
                                                       the proof is bound to the model's registrant (default: the
                                                       ZKAI_CHAIN_KEY address; neither: bound to none, not attestable)
  zkai chain deploy --rpc <url> [--depth 20] [--batch-slots <n>] [--funding-seconds <s>] [--claim-seconds <s>] [--out <file>]
                                                       deploy every contract the service and the economy use (key:
                                                       ZKAI_CHAIN_KEY) and record them for ZKAI_CHAIN=<url>
  zkai model deploy --rpc <url>                        deploy ModelRegistry + InferenceAttestor (key: ZKAI_CHAIN_KEY)
  zkai model register <dir> --rpc <url> [--registry <addr>] [--dataset-root <n>]
                                                       deploy the model's verifier and register its weight commitment
                                                       (--registry/--attestor default: the chain deploy record)
  zkai model attest <proof.json> --rpc <url> [--attestor <addr>] --model <modelId>
  zkai model audit <proof.json> --rpc <url> --attestor <addr> --model <modelId> [--require-attested]
                   [--dir <model dir> [--governance <addr>]]
                                                       check a proof off chain and against the chain (no key); exit 0/1.
                                                       --dir, for a listed model: its setup verifies from the ptau,
                                                       gives the registered verifier's key and the listing's identity
Paid inference and royalties (contracts from <ZKAI_HOME>/deployments/<chain id>.json or --deployment <file>;
--registry/--governance/--market/--vault override; key: ZKAI_CHAIN_KEY; docs/economy.md "Tooling"):
  zkai dataset register <dataset.json|--root <n>> --rpc <url>
                                                       nothing to register on chain: prints the root's current
                                                       royalty epoch (the label to prove for) and its pot
  zkai dataset fund <dataset.json|--root <n>> --amount <wei> [--epoch <n>] --rpc <url>
                                                       --epoch: fundEpoch; else deposit into the royalty epoch
  zkai dataset claim <proof.json> --rpc <url>          membership (claim) or membership-batch (claimBatch) bundle
  zkai dataset roll-over <dataset.json|--root <n>> --epoch <label> --rpc <url>
  zkai dataset reclaim <dataset.json|--root <n>> --epoch <n> --rpc <url>
                                                       a funder takes back its share of what a hand-funded epoch
                                                       left unclaimed (then zkai withdraw --from vault)
  zkai model list <dir> --model <id> --owners 0xA=60,0xB=40 --fee <wei> [--dataset <root>=<bps>]...
                  [--parent <modelId>=<bps>]... [--predecessor <id>] [--hash-only] --rpc <url>
                                                       list a registered model for paid inference (its registrant)
  zkai model propose <id> --fee <wei>|--retire|--approve-version <hash> --rpc <url> ; zkai model approve <proposalId>
  zkai model listing <id> --rpc <url>                  listing, split, lineage, setup identity, what it paid,
                                                       localSetup (this ZKAI_HOME's setup against the identity)
  zkai model transfer-shares <id> --to <address> --amount <shares> --rpc <url>
                                                       move some of the signer's shares (at most 16 holders)
  zkai inference request <id> (--input <input.json> --dir <model dir> | --input-hash <n>) [--deadline <s>] [--max-fee <wei>]
  zkai inference fulfil <requestId> <proof.json> | refund <requestId> | show <requestId>   (each --rpc <url>)
  zkai royalties <address> --rpc <url>                 claimable (market + vault) and credits by source
  zkai withdraw [--from market|vault|both] --rpc <url> withdraw the ZKAI_CHAIN_KEY account's balances
  zkai circuit build membership [--depth 20]           compile (cached) and print constraint counts
  zkai serve [--port <n>] [--host <h>]                 start the HTTP service (same as npm start; flags win over ZKAI_PORT/ZKAI_HOST)
  zkai admin key create --tenant <name>                make an API key for the service (printed once; stored hashed)
  zkai admin key list [--json] | zkai admin key revoke <key-id>
  zkai --server <url> datasets|models|jobs|verify <proof.json>|bundle <jobId> --out <f>
  zkai --server <url> dataset commit <file.csv|.jsonl> [--columns …] [--name <n>]
  zkai --server <url> prove <rootHex> <recordId> --epoch <n> [--out proof.json]
  zkai --server <url> model compile <model.onnx> --calibration <inputs.csv> [--name <n>] [--weights …]
  zkai --server <url> model prove <modelId> --input <input.json> [--owner <address>] [--out proof.json]
                                                       the same against a running service (key: --api-key or
                                                       ZKAI_API_KEY): jobs there, followed with progress (--json)
  zkai worker [--name <n>] [--concurrency <n>]         prove jobs from the Redis queue at ZKAI_QUEUE (several nodes)
  zkai gpu selftest [--max-log 16]                    WebGPU adapter, GPU MSM and NTT vs the CPU engine; exit 1 mismatch, 2 no GPU

Trusted setup (<circuit> is a circuit id like membership-d20-<hash>, or membership / membership-d<depth>):
  zkai setup dev --power <n> [--force]                 make (or check) the cached INSECURE development ptau of 2^n
  zkai setup import <file.ptau>                        register a public ceremony file (known hash, else full verify)
  zkai setup contribute <circuit> [--name <text>] [--entropy <text>]
                                                       add a phase-2 contribution; prints its hash to publish. With
                                                       ZKAI_DB: to a model circuit's keys of record, for every node
  zkai setup verify <circuit> [--expect <hash>]...     snarkjs zkey verify + the contribution chain (and κ's history,
                                                       each --expect a published hash that must be in it); exit 0/1
  zkai setup status <circuit> [--json]                 ptau, contributions and key hashes of the current setup

Output: the result as JSON on stdout; progress on stderr (a bar on a terminal, plain lines otherwise; --json on
dataset commit/prove and model compile/prove, local or remote: one JSON event per line). Exit 0 ok, 1 failed/invalid,
2 bad input (a service's refusal: its code, and the exit code a local command has for it).

Settings: ZKAI_* variables (ZKAI_HOME: the data directory, default the nearest .zkai above here, else ~/.zkai).
  zkai config [--json | --markdown]                    every setting, its effective value and where it came from`;

/** Exit codes: cli/exit.ts. */
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
    options: { out: { type: 'string' }, depth: { type: 'string' }, columns: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [file] = positionals;
  if (!file || !values.out) usage('dataset commit needs <file> and --out');
  const { commitRecordsFile, parseColumnMap } = await dataset();
  const { sha256File } = await import('../common/hash.ts');
  const columns = values.columns === undefined ? undefined : parseColumnMap(values.columns);
  const progress = createProgress(progressMode(values.json));
  const started = performance.now();
  progress.update(`read ${file}`);
  // Streamed in chunks (records file → leaves → tree levels on disk): memory stays bounded at any dataset size.
  const ds = await commitRecordsFile(file, path.resolve(values.out), {
    depth: intOption(values.depth, 'depth', DEFAULT_TREE_DEPTH),
    columns,
    source: { name: path.basename(file), sha256: await sha256File(file) },
    onProgress: (phase, done, total, engine) => progress.update(`${phase} (${engine})`, done, total),
  });
  progress.end();
  const m = ds.manifest;
  progress.note(
    `committed ${m.leafCount} records in ${((performance.now() - started) / 1000).toFixed(1)} s (Poseidon: ${ds.hashEngine}${ds.fallbackReason ? `, ${ds.fallbackReason}` : ''})`,
  );
  console.log(
    JSON.stringify(
      { rootHex: m.rootHex, root: m.root, depth: m.depth, leafCount: m.leafCount, totalWeight: m.totalWeight, out: values.out },
      null,
      2,
    ),
  );
  return 0;
}

async function datasetProve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      record: { type: 'string' },
      records: { type: 'string' },
      slots: { type: 'string' },
      epoch: { type: 'string' },
      out: { type: 'string' },
      ptau: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [manifest] = positionals;
  if (!manifest || (values.record === undefined) === (values.records === undefined) || values.epoch === undefined || !values.out)
    usage('dataset prove needs <dataset.json>, --record <id> or --records <id,id,...>, --epoch and --out');
  // A public ceremony file replaces the development setup (same as ZKAI_PTAU); it is checked before use.
  if (values.ptau) process.env.ZKAI_PTAU = path.resolve(values.ptau);
  // A royalty epoch's label (RoyaltyVault.royaltyEpochLabel, `zkai dataset register` prints it) is a field element,
  // not a small integer, so the CLI takes any field element (the vault refuses larger ones: EpochOutOfField).
  const epoch = values.epoch!;
  if (!/^\d{1,78}$/.test(epoch) || BigInt(epoch) >= BN254_R) usage('--epoch must be a decimal integer below the BN254 scalar field order');
  const { loadDataset } = await dataset();
  const { prepareMembershipCircuit, proveMembership } = await import('../prover/membership.ts');
  const { DEFAULT_BATCH_SLOTS, prepareMembershipBatchCircuit, proveMembershipBatch } = await import('../prover/membership-batch.ts');
  const ds = await loadDataset(path.resolve(manifest));
  const depth = ds.manifest.depth;
  const progress = createProgress(progressMode(values.json));
  // --records: one proof of the batch circuit (RoyaltyVault.claimBatch), --slots of them (default 16).
  const slots = values.slots === undefined ? DEFAULT_BATCH_SLOTS : Number(values.slots);
  const note = (msg: string) => progress.note(msg);
  const pool = new (await pools()).ProverPool({ threads: 1 });
  try {
    progress.update(
      `membership circuit (depth ${depth}${values.records !== undefined ? `, ${slots} slots` : ''}): compile and set up (cached)`,
    );
    const onPhase = (phase: string) => progress.update(`prove: ${phase}`);
    let bundle: Awaited<ReturnType<typeof proveMembership>>;
    if (values.records !== undefined) {
      const circuit = await prepareMembershipBatchCircuit(slots, depth, note);
      progress.update('prove');
      bundle = await proveMembershipBatch(pool, circuit, ds, values.records.split(','), BigInt(epoch), { onPhase });
    } else {
      const circuit = await prepareMembershipCircuit(depth, note);
      progress.update('prove');
      bundle = await proveMembership(pool, circuit, ds, values.record!, BigInt(epoch), { onPhase });
    }
    progress.end();
    await writeFileAtomic(values.out, `${JSON.stringify(bundle, null, 2)}\n`);
    progress.note(`proof written to ${values.out} (${bundle.metadata.provingMs} ms)`);
    console.log(JSON.stringify({ out: values.out, public: bundle.public }, null, 2));
  } finally {
    await pool.close();
  }
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'vkey-hash': { type: 'string' }, vkey: { type: 'string' } },
  });
  const [file] = positionals;
  if (!file) usage('verify needs <proof.json>');
  const { EXIT_UNPINNED_KEY, pinnedKeys, readBundleFile } = await import('./bundle-file.ts');
  const { verifyBundle } = await import('../prover/verify.ts');
  const { signedOutputs } = await bundles();
  const bundle = await readBundleFile(file);
  // Pin the key: the one given, else the keys this machine set up for the bundle's circuit; never the bundle's own
  // (whoever made a key can prove anything under it).
  const pins = await pinnedKeys(bundle, { vkeyFile: values.vkey, vkeyHash: values['vkey-hash'] });
  const report = await verifyBundle(bundle, { trustedVkeyHashes: pins.hashes });
  const outputs = signedOutputs(bundle);
  console.log(
    JSON.stringify(
      { file, kind: bundle.kind, circuitId: bundle.circuitId, keys: pins.source, ...report, ...(outputs ? { outputs } : {}) },
      null,
      2,
    ),
  );
  if (bundle.metadata.insecureSetup)
    log('warning: this proof was made with an INSECURE development setup (locally generated powers of tau)');
  if (report.reasonCode === 'KEY_NOT_PINNED') {
    log(
      `not valid: the proof holds only against the bundle's own key ${report.vkeyHash}, and no trusted key for ${bundle.circuitId} ` +
        `is set up here; pin one with --vkey <file> or --vkey-hash <sha256> (exit ${EXIT_UNPINNED_KEY})`,
    );
    return EXIT_UNPINNED_KEY;
  }
  return report.valid ? 0 : 1;
}

async function circuitBuild(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { depth: { type: 'string' } } });
  if (positionals[0] !== 'membership') usage('circuit build knows: membership');
  const { buildCircuit } = await build();
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

/** A circuit named on the command line: `membership[-d<depth>]` builds (cache hit) the current one, else an id built here. */
async function resolveCircuit(name: string | undefined): Promise<BuiltCircuit> {
  if (!name) usage('setup needs a <circuit>');
  const m = /^membership(?:-d(\d+))?$/.exec(name);
  const { buildCircuit, loadCircuit } = await build();
  if (m) return buildCircuit(membershipCircuitSpec(m[1] ? Number(m[1]) : DEFAULT_TREE_DEPTH), { log });
  return loadCircuit(name);
}

async function setupDev(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { power: { type: 'string' }, force: { type: 'boolean' } } });
  if (values.power === undefined) usage('setup dev needs --power <n>');
  const { ensureDevPtau } = await import('../prover/setup/dev-ptau.ts');
  const started = performance.now();
  const info = await ensureDevPtau(intOption(values.power, 'power', 0), { log, force: values.force });
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  console.log(JSON.stringify({ ...info, seconds }, null, 2));
  return 0;
}

async function setupImport(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [file] = positionals;
  if (!file) usage('setup import needs <file.ptau>');
  const { importCeremony } = await setup();
  const { ceremony, added } = await importCeremony(file, { log });
  console.log(JSON.stringify({ added, ...ceremony }, null, 2));
  return 0;
}

async function setupContribute(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, entropy: { type: 'string' } },
  });
  const opts = { name: values.name, entropy: values.entropy, log };
  // With ZKAI_DB (as the service reads it), a circuit of models of record is contributed to for every node; without
  // it, to this data directory's setup and the models compiled here on that circuit.
  const published = (await contributeToModelsOfRecord(positionals[0], opts)) ?? (await contributeToLocalModels(positionals[0], opts));
  const { contributePhase2 } = await setup();
  const r = published?.contribution ?? (await contributePhase2(await resolveCircuit(positionals[0]), opts));
  log(`contribution hash (publish it so others can check the chain):\n  ${r.hash}`);
  if (r.commitmentKey) log(`commitment-key (κ) contribution #${r.commitmentKey.index} hash (publish it too):\n  ${r.commitmentKey.hash}`);
  console.log(JSON.stringify(published ? { ...r, modelsOfRecord: published.models } : r, null, 2));
  return 0;
}

/**
 * `zkai setup contribute` without ZKAI_DB, to a model circuit: the models compiled on it in this data directory move to
 * the new keys with it (jobs/contribute-models.ts); undefined for the membership circuit, or with ZKAI_DB.
 */
async function contributeToLocalModels(name: string | undefined, opts: { name?: string; entropy?: string; log: typeof log }) {
  const { dbFrom } = await import('../server/config.ts');
  if (dbFrom(process.env).kind === 'postgres' || !name || /^membership(?:-d\d+)?$/.test(name)) return undefined;
  const [{ contributeToLocalModels: contribute }, { cacheDir }] = await Promise.all([
    import('../jobs/contribute-models.ts'),
    import('../common/config.ts'),
  ]);
  const done = await contribute(cacheDir('models'), await resolveCircuit(name), opts);
  if (done.models.length > 0) log(`models moved to the new keys: ${done.models.map((m) => m.id).join(', ')}`);
  return done;
}

/**
 * `zkai setup contribute` with ZKAI_DB=postgres://…: when models of record prove with `name`'s circuit, contribute on top
 * of their keys of record and publish the result to every node (jobs/pg-contribute.ts); undefined otherwise.
 */
async function contributeToModelsOfRecord(name: string | undefined, opts: { name?: string; entropy?: string; log: typeof log }) {
  const { dbFrom, blobGraceFrom } = await import('../server/config.ts');
  const db = dbFrom(process.env);
  if (db.kind !== 'postgres' || !name || /^membership(?:-d\d+)?$/.test(name)) return undefined;
  const graceHours = blobGraceFrom(process.env);
  const [{ openCatalogs }, { contributeOfRecord }, { SharedModelFiles }, { cacheDir }] = await Promise.all([
    import('../jobs/catalogs.ts'),
    import('../jobs/pg-contribute.ts'),
    import('../jobs/pg-model-files.ts'),
    import('../common/config.ts'),
  ]);
  const catalogs = await openCatalogs({ storeFile: cacheDir('jobs.sqlite'), modelsDir: cacheDir('models'), pgUrl: db.url });
  try {
    if (!(catalogs.modelFiles instanceof SharedModelFiles)) return undefined;
    const published = await contributeOfRecord(catalogs.modelFiles, name, {
      ...opts,
      ...(graceHours > 0 ? { blobGraceMs: graceHours * 3_600_000 } : {}),
    });
    if (published) log(`published to the store of record: ${published.models.map((m) => m.id).join(', ')} prove under the new keys`);
    return published;
  } finally {
    await catalogs.close();
  }
}

async function setupVerify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { expect: { type: 'string', multiple: true } },
  });
  const circuit = await resolveCircuit(positionals[0]);
  log(`verifying the zkey of ${circuit.id} against its r1cs and ptau (snarkjs zkey verify) …`);
  const { verifyPhase2 } = await setup();
  const r = await verifyPhase2(circuit, { log, ...(values.expect ? { expect: values.expect } : {}) });
  for (const c of r.contributions) log(`  #${c.index} ${c.name || '(no name)'}: ${c.hash}`);
  if (!r.matchesSetupJson) log('warning: setup.json lists a different contribution chain than the zkey holds');
  if (r.commitmentKey) {
    log(`commitment key (committed public inputs): ${r.commitmentKey}; κ history from κ0 = 1:`);
    for (const c of r.commitmentKeyHistory ?? []) log(`  κ #${c.index} ${c.name || '(no name)'}: ${c.hash}`);
    if (r.statementVkeyHash) log(`statement vkey sha256 (bundles, the model's verifier): ${r.statementVkeyHash}`);
  }
  log(r.valid ? `zkey OK (${r.seconds}s)` : `zkey INVALID: ${r.errors.join('; ')}`);
  console.log(JSON.stringify(r, null, 2));
  return r.valid ? 0 : 1;
}

async function setupStatusCmd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const circuit = await resolveCircuit(positionals[0]);
  const s = await (await setup()).setupStatus(circuit);
  if (values.json) {
    console.log(JSON.stringify(s, null, 2));
    return 0;
  }
  const lines = [
    `circuit      ${s.circuitId}`,
    `r1cs sha256  ${s.r1csSha256}`,
    `ptau         ${s.ptau.label}, 2^${s.ptau.power}${s.ptau.insecure ? ', INSECURE' : ''}, sha256 ${s.ptau.sha256}`,
    `zkey made by ${s.zkeyGenerator}`,
    `version      ${s.version}`,
    'contributions:',
    ...s.contributions.map((c, i) => `  #${i + 1} ${c.name}: ${c.hash}`),
    `vkey sha256  ${s.vkeySha256}`,
    `zkey sha256  ${s.zkeySha256}`,
    ...Object.entries(s.paths).map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`),
    ...(s.commitmentKey
      ? [
          `commitment key ${s.commitmentKey.file}, κ history:`,
          ...s.commitmentKey.history.map((c) => `  κ #${c.index} ${c.name}: ${c.hash}`),
        ]
      : []),
  ];
  if (s.warning) lines.push(`WARNING: ${s.warning}`);
  console.log(lines.join('\n'));
  return 0;
}

async function modelCompile(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      calibration: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      weights: { type: 'string' },
      lookups: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [onnx] = positionals;
  if (!onnx || !values.calibration || !values.out) usage('model compile needs <model.onnx>, --calibration and --out');
  const lookups = values.lookups ?? 'off';
  if (lookups !== 'off' && lookups !== 'logup') usage('--lookups is off (default) or logup');
  const modes = { pedersen: 'private-pedersen', poseidon: 'private-committed', public: 'public-constants' } as const;
  const choice = values.weights ?? 'pedersen';
  if (!Object.hasOwn(modes, choice)) usage('--weights is pedersen (default), poseidon or public');
  const weights = modes[choice as keyof typeof modes];
  const { compileModel } = await import('../prover/inference.ts');
  const progress = createProgress(progressMode(values.json));
  const compiled = await compileModel(onnx, values.calibration, {
    outDir: path.resolve(values.out),
    name: values.name,
    weights,
    input: weights === 'public-constants' ? 'public' : 'private-hashed',
    lookups,
    log: (msg) => progress.note(msg),
    // The same lines as `zkai --server … model compile` shows from the job's events (cli/remote-jobs.ts).
    onProgress: (p) => progress.update(compileStep(p.phase, p.step), p.percent, 100),
  });
  progress.end();
  const m = compiled.manifest;
  logConstraintTable(m.constraints, log);
  console.log(
    JSON.stringify(
      {
        out: values.out,
        circuitId: m.circuitId,
        constraints: m.constraints.total,
        agreement: m.agreement,
        weightCommitment: m.weightCommitment ?? null,
        ...(m.commitment ? { commitment: m.commitment } : {}),
        vkeyHash: m.vkeyHash,
        insecureSetup: m.insecureSetup,
      },
      null,
      2,
    ),
  );
  return 0;
}

async function modelProve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string' }, out: { type: 'string' }, owner: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [dir] = positionals;
  if (!dir || !values.input || !values.out) usage('model prove needs <dir>, --input and --out');
  // The registrant the proof is bound to (InferenceAttestor checks it), resolved before the slow model load.
  const bound = (await import('./model-binding.ts')).proofBinding(values.owner);
  if (bound.note) log(bound.note);
  const { loadCompiledModel, parseModelInput, proveInference } = await import('../prover/inference.ts');
  const progress = createProgress(progressMode(values.json));
  progress.update('load the model (and check its keys)');
  const compiled = await loadCompiledModel(path.resolve(dir), (msg) => progress.note(msg));
  let json: unknown;
  try {
    json = JSON.parse(await readFile(values.input, 'utf8'));
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read ${values.input} as JSON: ${(err as Error).message}`);
  }
  const input = parseModelInput(json, compiled.manifest);
  const { signedOutputs } = await bundles();
  const pool = new (await pools()).ProverPool({ threads: 1 });
  try {
    progress.update('prove');
    const bundle = await proveInference(pool, compiled, input, {
      binding: bound.binding,
      onPhase: (phase) => progress.update(`prove: ${phase}`),
    });
    progress.end();
    await writeFileAtomic(values.out, `${JSON.stringify(bundle, null, 2)}\n`);
    progress.note(`proof written to ${values.out} (${bundle.metadata.provingMs} ms)`);
    console.log(
      JSON.stringify(
        { out: values.out, label: bundle.public.label, logits: signedOutputs(bundle)!.logits, public: bundle.public },
        null,
        2,
      ),
    );
  } finally {
    await pool.close();
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (cmd === '--server' || cmd.startsWith('--server=')) return (await import('./remote.ts')).remoteCommand(argv);
  if (cmd === 'prove') return (await import('./prove-cli.ts')).proveCommand(argv.slice(1));
  if (cmd === 'dataset' && sub === 'commit') return datasetCommit(rest);
  if (cmd === 'dataset' && sub === 'prove') return datasetProve(rest);
  if (cmd === 'verify') return verify(argv.slice(1));
  if (cmd === 'circuit' && sub === 'build') return circuitBuild(rest);
  if (cmd === 'model' && sub === 'compile') return modelCompile(rest);
  if (cmd === 'model' && sub === 'prove') return modelProve(rest);
  if (cmd === 'model' && sub === 'deploy') return (await import('./model-chain.ts')).modelDeploy(rest);
  if (cmd === 'model' && sub === 'register') return (await import('./model-chain.ts')).modelRegister(rest);
  if (cmd === 'model' && sub === 'attest') return (await import('./model-chain.ts')).modelAttest(rest);
  if (cmd === 'model' && sub === 'audit') return (await import('./model-audit.ts')).modelAudit(rest);
  if (cmd === 'model' && sub === 'list') return (await import('./model-market.ts')).modelList(rest);
  if (cmd === 'model' && sub === 'propose') return (await import('./model-market.ts')).modelPropose(rest);
  if (cmd === 'model' && sub === 'approve') return (await import('./model-market.ts')).modelApprove(rest);
  if (cmd === 'model' && sub === 'listing') return (await import('./model-market.ts')).modelListing(rest);
  if (cmd === 'model' && sub === 'transfer-shares') return (await import('./model-market.ts')).modelTransferShares(rest);
  if (cmd === 'dataset' && ['register', 'fund', 'claim', 'roll-over', 'reclaim'].includes(sub ?? ''))
    return (await import('./dataset-chain.ts')).datasetChainCommand(sub!, rest);
  if (cmd === 'inference') return (await import('./inference-cli.ts')).inferenceCommand(sub, rest);
  if (cmd === 'royalties') return (await import('./royalties-cli.ts')).royaltiesCommand(argv.slice(1));
  if (cmd === 'withdraw') return (await import('./royalties-cli.ts')).withdrawCommand(argv.slice(1));
  if (cmd === 'serve') return (await import('./serve.ts')).serve(argv.slice(1));
  if (cmd === 'chain') return (await import('./chain-deploy.ts')).chainCommand(sub, rest);
  if (cmd === 'config') return (await import('./config.ts')).configCommand(argv.slice(1));
  if (cmd === 'admin') return (await import('./admin.ts')).adminCommand(sub, rest);
  if (cmd === 'worker') return (await import('./worker.ts')).workerCommand(argv.slice(1));
  if (cmd === 'gpu') return (await import('./gpu.ts')).gpuCommand(sub, rest);
  if (cmd === 'setup' && sub === 'dev') return setupDev(rest);
  if (cmd === 'setup' && sub === 'import') return setupImport(rest);
  if (cmd === 'setup' && sub === 'contribute') return setupContribute(rest);
  if (cmd === 'setup' && sub === 'verify') return setupVerify(rest);
  if (cmd === 'setup' && sub === 'status') return setupStatusCmd(rest);
  usage(`unknown command: ${argv.join(' ')}`);
}

exitWith(main(process.argv.slice(2)));
