/**
 * Proving from files, in the shape of rapidsnark and `snarkjs groth16 prove`: a snarkjs Groth16 .zkey and a circom
 * .wtns in, the proof and the public signals out as snarkjs writes them, so a circom project switches by changing
 * one word.
 *
 * This module is the whole of what `zkai prove` loads (cli/prove-cli.ts; cli/bin.js runs a compiled bundle of it),
 * so it imports only the zkey/wtns readers, zkai's Groth16 prover and the native engine's loader; snarkjs and the
 * other engines are imported only when asked for. The WebGPU probe the service makes is not made here: a file
 * prover on a machine without a GPU should not pay for looking (ZKAI_ENGINE=webgpu asks for it).
 */
import { readFile } from 'node:fs/promises';
import { ZkaiError } from '../common/errors.ts';
import { type Groth16Kernels, type Groth16Proof, kernelsFrom, proveGroth16 } from './groth16/prove.ts';
import { parseWtns } from './groth16/wtns.ts';
import { parseZkey } from './groth16/zkey.ts';

export interface FileProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  /** What proved: 'native', 'snarkjs', … (prover/engine.ts names). */
  engine: string;
  /** Why the requested (or default) engine was not used, when it was not. */
  fallbackReason?: string;
  timings: { readMs: number; proveMs: number };
}

interface FileEngine {
  name: string;
  kernels: Groth16Kernels | null;
  fallbackReason?: string;
  /** The native engine's memory mapping of a file (NativeEngine.mapFile), when that engine proves. */
  mapFile?: (path: string) => Uint8Array;
}

/**
 * The engine for one file proof. Unset or `native`: the C++ engine, else snarkjs with the reason; `snarkjs`:
 * snarkjs; anything else goes through prover/engine.ts's full selection (wasm, webgpu).
 */
async function fileEngine(requested: string | undefined, log: (m: string) => void): Promise<FileEngine> {
  const name = requested?.trim().toLowerCase() || undefined;
  if (name === 'snarkjs') return { name: 'snarkjs', kernels: null };
  if (name === undefined || name === 'native') {
    const { loadNativeEngine, nativeEngineStatus } = await import('./native/index.ts');
    const native = loadNativeEngine();
    if (native) {
      const kernels = kernelsFrom(native, (c, n, w, d) => native.groth16Quotient(c, n, w, d));
      return { name: 'native', kernels, mapFile: (p) => native.mapFile(p) };
    }
    return { name: 'snarkjs', kernels: null, fallbackReason: `the native engine is unavailable: ${nativeEngineStatus().reason}` };
  }
  const { selectEngine } = await import('./engine.ts');
  const engine = await selectEngine(requested, log);
  return { name: engine.name, kernels: engine.kernels, fallbackReason: engine.fallbackReason };
}

/**
 * A file's bytes: memory-mapped by the native engine when it proves (no read() copy into a fresh buffer, nor that
 * buffer's page faults: half of a one-shot 2^16 proof's), else read.
 */
async function readInput(file: string, what: string, engine: Promise<FileEngine>): Promise<Uint8Array> {
  try {
    const { mapFile } = await engine;
    if (mapFile) return mapFile(file);
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Proves the witness in `wtnsPath` under the Groth16 key in `zkeyPath`. Both files are checked by zkai's readers
 * before any engine sees them, so a bad file is the same one-line BAD_INPUT error whichever engine proves.
 * `requestedEngine` defaults to ZKAI_ENGINE; `log` hears about fallbacks.
 */
export async function proveFiles(
  zkeyPath: string,
  wtnsPath: string,
  opts: { requestedEngine?: string; log?: (m: string) => void } = {},
): Promise<FileProofResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const t0 = performance.now();
  const selected = fileEngine(opts.requestedEngine ?? process.env.ZKAI_ENGINE, log);
  // No prepareGroth16 here: a warm prover's preparation (twiddles, pre-faulted huge-page scratch) pays over many
  // proofs, but a one-shot process has nothing to overlap it with (the files are mapped, not read) and pre-faults more
  // than one proof touches: without it `zkai prove` took 0.225 s instead of 0.25 at the membership circuit, 0.25
  // instead of 0.29 at 2^14, 0.56 instead of 0.64 at 2^16, with less system time and a lower peak RSS (medians of 5-6
  // runs, interleaved, 2026-12-07).
  const [zkeyBytes, wtnsBytes, engine] = await Promise.all([
    readInput(zkeyPath, 'proving key', selected),
    readInput(wtnsPath, 'witness', selected),
    selected,
  ]);
  const zkey = parseZkey(zkeyBytes);
  const witness = parseWtns(wtnsBytes);
  if (witness.nWitness !== zkey.nVars) {
    throw new ZkaiError('BAD_INPUT', `the witness has ${witness.nWitness} values, the proving key's circuit has ${zkey.nVars} variables`);
  }
  const t1 = performance.now();
  let proof: Groth16Proof;
  let publicSignals: string[];
  try {
    if (engine.kernels) {
      ({ proof, publicSignals } = await proveGroth16(zkey, witness.values, engine.kernels));
    } else {
      const snarkjs = await import('snarkjs');
      ({ proof, publicSignals } = (await snarkjs.groth16.prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtnsBytes })) as {
        proof: Groth16Proof;
        publicSignals: string[];
      });
    }
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    throw new ZkaiError('PROOF_FAILED', `proving failed (${engine.name}): ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  return {
    proof,
    publicSignals,
    engine: engine.name,
    ...(engine.fallbackReason ? { fallbackReason: engine.fallbackReason } : {}),
    timings: { readMs: t1 - t0, proveMs: performance.now() - t1 },
  };
}

/** JSON exactly as the snarkjs CLI writes proof.json and public.json (bfj, one-space indent, no final newline). */
export function snarkjsJson(value: unknown): string {
  return JSON.stringify(value, null, 1);
}
