/**
 * Every ZKAI_* setting, in one table: its default and what it does. `zkai config` prints the effective values,
 * `zkai config --markdown` prints this table as docs/configuration.md has it (a test keeps the two equal), and a
 * test checks that every ZKAI_* variable the code reads is listed here. Parsing stays with the code that uses a
 * setting (server/config.ts for the service's); this file only describes.
 */

export type SettingArea = 'service' | 'limits' | 'queue' | 'chain' | 'proving' | 'setup';

export interface Setting {
  name: `ZKAI_${string}`;
  area: SettingArea;
  /** The default, as a person reads it. */
  default: string;
  description: string;
  /** Never printed (a private key). */
  secret?: boolean;
  /** The value may hold a password (a URL with credentials): printed with it redacted. */
  url?: boolean;
}

export const SETTINGS: readonly Setting[] = [
  // The service.
  {
    name: 'ZKAI_HOME',
    area: 'service',
    default: 'nearest .zkai above the current directory, else ~/.zkai',
    description: 'Data directory: circuits, keys, datasets, models, jobs, API keys, deployment.json. One service owns it.',
  },
  { name: 'ZKAI_HOST', area: 'service', default: '127.0.0.1', description: 'Address the API listens on (0.0.0.0 to expose it).' },
  { name: 'ZKAI_PORT', area: 'service', default: '8080', description: 'Port of the API; 0 picks a free one.' },
  {
    name: 'ZKAI_AUTH',
    area: 'service',
    default: 'keys',
    description: "keys: private routes need an API key (the first start makes one for 'default'); off: no keys (local development only).",
  },
  {
    name: 'ZKAI_LOG_LEVEL',
    area: 'service',
    default: 'info',
    description: 'Request log level (pino): trace, debug, info, warn, error, silent.',
  },
  {
    name: 'ZKAI_WARMUP',
    area: 'service',
    default: '1',
    description: 'Prove once at start so the first real proof finds the circuit warm (0 to skip).',
  },
  {
    name: 'ZKAI_TREE_DEPTH',
    area: 'service',
    default: '20',
    description: 'Depth of the membership circuit: datasets of up to 2^depth records.',
  },
  { name: 'ZKAI_POOL_SIZE', area: 'service', default: '1', description: 'Proving worker threads (one proof already uses every core).' },
  {
    name: 'ZKAI_TRUST_PROXY',
    area: 'service',
    default: 'off',
    description:
      'Behind a reverse proxy: which X-Forwarded-For hops to believe for the client address (a hop count, all, or addresses/CIDRs of your proxies).',
  },
  {
    name: 'ZKAI_API_KEY',
    area: 'service',
    default: '(none)',
    description: 'The API key `zkai --server <url> …` sends to a running service (or --api-key).',
    secret: true,
  },
  // Limits.
  {
    name: 'ZKAI_BODY_LIMIT',
    area: 'limits',
    default: '52428800 (50 MB)',
    description: 'Largest request body in bytes (413 BODY_TOO_LARGE).',
  },
  {
    name: 'ZKAI_MAX_MODEL_BYTES',
    area: 'limits',
    default: '8388608 (8 MiB)',
    description: 'Largest ONNX upload, and largest calibration CSV.',
  },
  {
    name: 'ZKAI_MAX_MODEL_CONSTRAINTS',
    area: 'limits',
    default: '500000',
    description: 'Largest model circuit (413 MODEL_TOO_LARGE, estimated from the graph at upload).',
  },
  { name: 'ZKAI_RATE_LIMIT', area: 'limits', default: '600', description: 'Requests per minute per tenant (429 RATE_LIMITED).' },
  {
    name: 'ZKAI_MAX_QUEUE',
    area: 'limits',
    default: '1000',
    description: 'Proof requests get 429 QUEUE_FULL while this many jobs are queued.',
  },
  {
    name: 'ZKAI_JOB_TIMEOUT_MS',
    area: 'limits',
    default: '300000 (5 min)',
    description: 'A running job fails with JOB_TIMEOUT after this; 0 for none.',
  },
  {
    name: 'ZKAI_COMPILE_TIMEOUT_MS',
    area: 'limits',
    default: '3600000 (1 h)',
    description: 'The same for model compiles (circom and a trusted setup); 0 for none.',
  },
  {
    name: 'ZKAI_MAX_CHILD_PROCESSES',
    area: 'limits',
    default: '2',
    description: 'Compiles and large dataset commits run in child processes, at most this many at once (the rest wait).',
  },
  {
    name: 'ZKAI_JOB_RETENTION_HOURS',
    area: 'limits',
    default: '168 (7 days)',
    description: 'Finished proof jobs and their bundles are deleted after this; 0 keeps them. Compiles are kept.',
  },
  // The job queue.
  {
    name: 'ZKAI_QUEUE',
    area: 'queue',
    default: '(empty: embedded SQLite)',
    description: 'redis://host:port: jobs go through BullMQ to `zkai worker` processes on any machine.',
    url: true,
  },
  {
    name: 'ZKAI_QUEUE_LOCK_MS',
    area: 'queue',
    default: '30000',
    description: "A Redis-queue worker's hold on a job; a worker killed mid-proof loses it after this.",
  },
  {
    name: 'ZKAI_QUEUE_STALLED_MS',
    area: 'queue',
    default: '30000',
    description: 'How often Redis-queue workers look for jobs whose worker was lost.',
  },
  {
    name: 'ZKAI_QUEUE_RECONCILE_MS',
    area: 'queue',
    default: '5000',
    description:
      'How often an API node checks that Redis still holds its deliveries; after a Redis restart or flush it delivers every unfinished job again.',
  },
  {
    name: 'ZKAI_DB',
    area: 'queue',
    default: '(empty: <ZKAI_HOME>/jobs.sqlite)',
    description:
      'postgres://user@host:port/db: job records, tenants and API keys, dataset ownership, committed datasets and the model catalog in PostgreSQL, shared by several API nodes and workers on several machines (needs ZKAI_QUEUE); `zkai admin` uses it too.',
    url: true,
  },
  {
    name: 'ZKAI_BLOB_GRACE_HOURS',
    area: 'queue',
    default: '24',
    description:
      'With ZKAI_DB: a stored model file (a blob) that no model references any more, superseded by a setup contribution, is deleted once found unreferenced this long (hourly on each API node, and after each contribution); 0 keeps every blob.',
  },
  {
    name: 'ZKAI_WORKER_TOKEN',
    area: 'queue',
    default: '(none: the worker routes refuse every request)',
    description:
      'A shared secret (at least 32 characters) that `zkai worker` processes present to the API node to fetch circuits, keys, datasets and compiled models by content hash (/v1/worker/…); set the same value on both.',
    secret: true,
  },
  {
    name: 'ZKAI_API_URL',
    area: 'queue',
    default: '(none: read everything from ZKAI_HOME)',
    description:
      "A `zkai worker`'s API node, http(s)://host:port: what its own ZKAI_HOME lacks (the membership circuit and key, datasets, compiled models) is fetched from there with ZKAI_WORKER_TOKEN, checked against its content hash and cached.",
  },
  // The chain.
  {
    name: 'ZKAI_CHAIN',
    area: 'chain',
    default: 'dev',
    description:
      'dev: a local Hardhat chain with the contracts deployed, EPHEMERAL (its state is gone when the service stops); dev-persistent: the same, journaled in <ZKAI_HOME>/dev-chain and replayed at the next start; off: none; an http(s) RPC URL: use that chain and the contracts in ZKAI_CHAIN_DEPLOYMENT.',
    url: true,
  },
  { name: 'ZKAI_CHAIN_PORT', area: 'chain', default: '8545', description: 'Port of the dev chain (ZKAI_CHAIN=dev).' },
  {
    name: 'ZKAI_BATCH_SLOTS',
    area: 'chain',
    default: '0',
    description:
      'With ZKAI_CHAIN=dev or dev-persistent: 0, the RoyaltyVault takes no batch claims; n (1..64, 16 the documented size): the dev chain also deploys the batch membership verifier of n slots, for claimBatch. Its first setup takes minutes (cached).',
  },
  {
    name: 'ZKAI_CHAIN_DEPLOYMENT',
    area: 'chain',
    default: '<ZKAI_HOME>/deployments/<chain id>.json',
    description: 'With ZKAI_CHAIN=<rpc>: the deployment file naming the contracts on that chain (`zkai chain deploy` writes one).',
  },
  {
    name: 'ZKAI_CHAIN_KEY',
    area: 'chain',
    default: '(none)',
    description: "Private key that signs the CLI's transactions (dev key allowed on a local RPC only).",
    secret: true,
  },
  // Proving.
  {
    name: 'ZKAI_ENGINE',
    area: 'proving',
    default: '(auto: native, else snarkjs)',
    description: 'native, snarkjs, wasm or webgpu: which Groth16 engine proves.',
  },
  {
    name: 'ZKAI_NATIVE',
    area: 'proving',
    default: 'on',
    description: 'off: never load the native C++ engine (also skips building it at install).',
  },
  {
    name: 'ZKAI_WITNESS_COMPILE',
    area: 'proving',
    default: 'optimized',
    description:
      "How the service and zkai worker compile witness calculators (WebAssembly): optimized, every function by V8's optimizing compiler when a circuit loads (membership witness 13–20 ms instead of 30–58 ms; LeNet-5 takes 3.8 s more to load); baseline: V8's default.",
  },
  {
    name: 'ZKAI_NATIVE_SIMD',
    area: 'proving',
    default: 'on',
    description: "off: the native engine's scalar path instead of AVX-512 IFMA (tests compare both).",
  },
  {
    name: 'ZKAI_CLI_BUNDLE',
    area: 'proving',
    default: 'on',
    description:
      'The zkai command runs its compiled bundles (cli/dist, built at install: `zkai prove` alone, and every other command) when they are current; off: always the TypeScript sources through tsx.',
  },
  {
    name: 'ZKAI_NATIVE_THREADS',
    area: 'proving',
    default: '(every core)',
    description: 'Threads of the native engine per proof (1..1024).',
  },
  {
    name: 'ZKAI_NATIVE_SCRATCH_MIB',
    area: 'proving',
    default: '1024',
    description:
      'MiB of scratch memory the native engine keeps mapped between calls for its big temporaries (0: none kept; docs/engines.md).',
  },
  {
    name: 'ZKAI_FIXED_BASE_MIB',
    area: 'proving',
    default: '256',
    description:
      "MiB of precomputed multiples of warm circuits' proving-key points each proving worker may keep (0: none): built when a circuit loads (1.4 s for the membership circuit, 66 MiB), used only where they save ≥ 10% of an MSM (small circuits; docs/engines.md).",
  },
  {
    name: 'ZKAI_NATIVE_HUGEPAGES',
    area: 'proving',
    default: 'on',
    description: "off: no transparent-huge-page advice on the native engine's scratch memory.",
  },
  {
    name: 'ZKAI_DATASET_HASH',
    area: 'proving',
    default: 'auto',
    description:
      "Who hashes a dataset commitment's Poseidon leaves and tree: auto (the native engine when built, else JavaScript), native or js (same roots).",
  },
  {
    name: 'ZKAI_GPU',
    area: 'proving',
    default: 'auto',
    description: 'off: never probe for a GPU; auto uses a hardware adapter that passes the self-check.',
  },
  { name: 'ZKAI_GPU_BASES_MB', area: 'proving', default: '2048', description: 'GPU memory for cached MSM bases, in MiB.' },
  // Trusted setup.
  {
    name: 'ZKAI_PTAU',
    area: 'setup',
    default: '(a registered ceremony, else the INSECURE dev ptau)',
    description: 'A prepared public powers-of-tau file for every setup (checked by hash or verified in full).',
  },
  {
    name: 'ZKAI_ZKEY_GENERATOR',
    area: 'setup',
    default: '(zkai with the native engine, else snarkjs)',
    description: 'zkai or snarkjs: who makes initial zkeys (byte-identical output).',
  },
];

/**
 * Names that look like settings but are not: benchmark knobs (bench/), test seeds and logs, a warning code, the
 * browser the console's tests and screenshot script drive.
 */
export const NOT_SETTINGS = [/^ZKAI_BENCH_/, /^ZKAI_TEST_/, /^ZKAI_FUZZ_/, /^ZKAI_VERIFIER_DISAGREEMENT$/, /^ZKAI_CHROMIUM$/] as const;

export function settingNamed(name: string): Setting | undefined {
  return SETTINGS.find((s) => s.name === name);
}

/** The docs table (docs/configuration.md), one section per area. */
export function settingsMarkdown(): string {
  const titles: Record<SettingArea, string> = {
    service: 'The service',
    limits: 'Limits',
    queue: 'The job queue',
    chain: 'The chain',
    proving: 'Proving engines',
    setup: 'Trusted setup',
  };
  const out: string[] = [];
  for (const area of Object.keys(titles) as SettingArea[]) {
    out.push(`### ${titles[area]}`, '', '| variable | default | what it does |', '| --- | --- | --- |');
    for (const s of SETTINGS.filter((x) => x.area === area))
      out.push(`| \`${s.name}\` | ${s.default.replaceAll('|', '\\|')} | ${s.description.replaceAll('|', '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
