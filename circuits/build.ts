import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheDir, REPO_ROOT } from '../common/config.ts';
import { ZkaiError } from '../common/errors.ts';
import { sha256File, sha256Hex } from '../common/hash.ts';
import { readR1csHeader } from './r1cs.ts';
import { LOOKUP_ROWS_TAG, orientLookupRows } from './r1cs-orient.ts';
import { assertWitnessCalculatorLoadable } from './wasm-check.ts';

const require = createRequire(import.meta.url);
const LIB_DIR = path.join(REPO_ROOT, 'circuits', 'lib');

/** What to compile: a main component instantiated from a template in circuits/lib. */
export interface CircuitSpec {
  /** Short name, used as the prefix of the circuit id (e.g. "membership-d20"). */
  name: string;
  /** The circom file in circuits/lib that defines the template. */
  include: string;
  /** e.g. "DatasetMembership(20)" */
  instance: string;
  /** Public input signal names, in the order they appear in the public signals. */
  publicInputs: string[];
  /** Extra circom files (absolute paths) the main depends on, e.g. generated model templates. */
  extraSources?: string[];
  /**
   * Names to hash files by instead of their path relative to the release (sourceName): a generated source that another
   * node wrote under its own data directory is named as that node named it, so both compute the same circuit id.
   */
  hashNames?: Record<string, string>;
}

/** How circuitHash names a source file: its path relative to the release root. */
export function sourceName(file: string): string {
  return path.relative(REPO_ROOT, file);
}

export interface BuiltCircuit {
  id: string;
  name: string;
  dir: string;
  r1csPath: string;
  wasmPath: string;
  /** circom symbol file: signal name → wire, for tests and debugging. */
  symPath: string;
  publicInputs: string[];
  nConstraints: number;
  nWires: number;
  nPublic: number;
  nPrivateInputs: number;
  sourceHash: string;
  compiler: string;
  builtAt: string;
  compileSeconds: number;
  /** Size in bytes of the witness calculator's largest wasm function (checked against V8's limit at compile). */
  largestWasmFunction?: number;
  /** sha256 of circuit.wasm as compiled (absent in circuits built before it was recorded): what a worker that fetches it checks. */
  wasmSha256?: string;
  /** LogUp circuits: α rows whose A and B the build swapped (r1cs-orient.ts). */
  lookupRowsOriented?: number;
}

function mainSource(spec: CircuitSpec): string {
  const pub = spec.publicInputs.length ? ` {public [${spec.publicInputs.join(', ')}]}` : '';
  return `pragma circom 2.1.6;\ninclude "${spec.include}";\ncomponent main${pub} = ${spec.instance};\n`;
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** Include directories, in the order circom searches them. */
function includeDirs(spec: CircuitSpec): string[] {
  return [LIB_DIR, path.join(REPO_ROOT, 'node_modules'), ...new Set((spec.extraSources ?? []).map((f) => path.dirname(f)))];
}

/**
 * Every source file the main component reaches through `include`, resolved the way circom does
 * (relative to the including file, then each include directory), in a stable order.
 */
async function reachableSources(spec: CircuitSpec): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (source: string, fromDir: string) => {
    for (const m of source.matchAll(/^\s*include\s+"([^"]+)"\s*;/gm)) {
      const name = m[1]!;
      const file = [fromDir, ...includeDirs(spec)].map((d) => path.resolve(d, name)).find((f) => existsSync(f));
      // Not found (or inside a comment): circom itself reports a real missing include.
      if (!file || seen.has(file)) continue;
      seen.add(file);
      await visit(await readFile(file, 'utf8'), path.dirname(file));
    }
  };
  await visit(mainSource(spec), LIB_DIR);
  return [...seen].sort();
}

/**
 * Content hash of everything that determines the compiled artifacts: the generated main, every
 * source it includes (transitively: our templates and circomlib's), and the compiler and options.
 * Only reachable files count, so adding an unrelated gadget does not change a circuit's id (and
 * with it its keys and deployed verifier).
 */
export async function circuitHash(spec: CircuitSpec): Promise<string> {
  const parts: string[] = [mainSource(spec), `circom2@${packageVersion('circom2')}`, 'O2', 'sym'];
  const nameOf = (file: string) => spec.hashNames?.[file] ?? sourceName(file);
  // In the order of their names, not of their paths on this machine: a worker that names a generated source as its API
  // node did must also order it as the API node did (a data directory outside the release sorts elsewhere by path).
  const reachable = (await reachableSources(spec)).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  for (const file of [...reachable, ...(spec.extraSources ?? [])]) parts.push(nameOf(file), await readFile(file, 'utf8'));
  // A circuit with a LogUp challenge has its r1cs rewritten after circom (r1cs-orient.ts): the tag keeps a cache built
  // before that step from being taken for one built with it (its keys were made from the other rows).
  if (parts.some((text) => text.includes('logupAlpha'))) parts.push(LOOKUP_ROWS_TAG);
  return sha256Hex(parts.join('\0'));
}

/** The id buildCircuit gives `spec`, the full source hash it is cut from, and its cache folder: without compiling. */
export async function circuitIdentity(spec: CircuitSpec): Promise<{ id: string; sourceHash: string; dir: string }> {
  const sourceHash = await circuitHash(spec);
  const id = `${spec.name}-${sourceHash.slice(0, 12)}`;
  return { id, sourceHash, dir: cacheDir('circuits', id) };
}

function runCircom(args: string[]): Promise<string> {
  // circom2's WASI runtime only opens files below its cwd, so run it from "/" with paths relative to it.
  const cli = require.resolve('circom2/cli.js');
  const rel = (p: string) => (p.startsWith('-') ? p : path.relative('/', p));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args.map(rel)], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colours from compiler output
      const clean = out.replace(/\u001b\[[0-9;]*m/g, '');
      if (code === 0 && clean.includes('Everything went okay')) resolve(clean);
      else reject(new ZkaiError('CIRCUIT_COMPILE_FAILED', `circom failed (exit ${code}):\n${clean.trim()}`));
    });
  });
}

/**
 * Compile a circuit to r1cs + witness wasm with the npm circom2 compiler, cached under
 * `.zkai/circuits/<name>-<hash>/`. A second call with unchanged sources returns at once.
 */
export async function buildCircuit(spec: CircuitSpec, opts: { log?: (msg: string) => void } = {}): Promise<BuiltCircuit> {
  const { id, sourceHash: hash, dir } = await circuitIdentity(spec);
  const metaPath = path.join(dir, 'circuit.json');
  if (existsSync(metaPath)) return readMeta(dir);

  opts.log?.(`compiling circuit ${id} with circom2 …`);
  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    const mainPath = path.join(tmp, 'circuit.circom');
    await writeFile(mainPath, mainSource(spec));
    await runCircom([mainPath, '--r1cs', '--wasm', '--sym', '--O2', '-o', tmp, ...includeDirs(spec).flatMap((d) => ['-l', d])]);
    const r1csPath = path.join(dir, 'circuit.r1cs');
    const wasmPath = path.join(dir, 'circuit.wasm');
    await rename(path.join(tmp, 'circuit_js', 'circuit.wasm'), path.join(tmp, 'circuit.wasm'));
    await rm(path.join(tmp, 'circuit_js'), { recursive: true, force: true });
    // An artifact V8 cannot load must fail here, not at the first prove (wasm-check.ts).
    const { largestFunction } = await assertWitnessCalculatorLoadable(await readFile(path.join(tmp, 'circuit.wasm')), `circuit ${id}`);
    // LogUp circuits: the inverse wires to A, out of the prover's G2 work (r1cs-orient.ts), before anything reads the rows.
    const lookupRowsOriented = await orientLookupRows(path.join(tmp, 'circuit.r1cs'), path.join(tmp, 'circuit.sym'));
    const header = await readR1csHeader(path.join(tmp, 'circuit.r1cs'));
    const meta: BuiltCircuit = {
      id,
      name: spec.name,
      dir,
      r1csPath,
      wasmPath,
      symPath: path.join(dir, 'circuit.sym'),
      publicInputs: spec.publicInputs,
      nConstraints: header.nConstraints,
      nWires: header.nWires,
      nPublic: header.nPubOut + header.nPubIn,
      nPrivateInputs: header.nPrvIn,
      sourceHash: hash,
      compiler: `circom2@${packageVersion('circom2')}`,
      builtAt: new Date().toISOString(),
      compileSeconds: Math.round((performance.now() - started) / 10) / 100,
      largestWasmFunction: largestFunction,
      wasmSha256: await sha256File(path.join(tmp, 'circuit.wasm')),
      ...(lookupRowsOriented > 0 ? { lookupRowsOriented } : {}),
    };
    await writeFile(path.join(tmp, 'circuit.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: its artifacts are identical.
      if (!existsSync(metaPath)) throw err;
    }
    opts.log?.(`circuit ${id}: ${meta.nConstraints} constraints, ${meta.nWires} wires (${meta.compileSeconds}s)`);
    return meta;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Read a cached circuit's metadata; file paths are taken from where the cache is now, so it can move. */
async function readMeta(dir: string): Promise<BuiltCircuit> {
  const meta = JSON.parse(await readFile(path.join(dir, 'circuit.json'), 'utf8')) as BuiltCircuit;
  return {
    ...meta,
    dir,
    r1csPath: path.join(dir, 'circuit.r1cs'),
    wasmPath: path.join(dir, 'circuit.wasm'),
    symPath: path.join(dir, 'circuit.sym'),
  };
}

/** Load a circuit built earlier, by id. */
export async function loadCircuit(id: string): Promise<BuiltCircuit> {
  if (!/^[a-z0-9-]+$/i.test(id)) throw new ZkaiError('UNKNOWN_CIRCUIT', `bad circuit id ${JSON.stringify(id)}`);
  const dir = cacheDir('circuits', id);
  if (!existsSync(path.join(dir, 'circuit.json'))) throw new ZkaiError('UNKNOWN_CIRCUIT', `circuit ${id} is not built here`);
  return readMeta(dir);
}
