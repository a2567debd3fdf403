import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { ZkaiError } from '../common/errors.ts';
import { type CommitmentKey, commitPublicInputs, type PublicInputCommitment, randomScalar } from './commitment.ts';
import { type ProvingEngine, processProvingEngine } from './engine.ts';
import { buildFixedTables, type FixedTables, fixedBaseBudgetFrom } from './groth16/fixed-tables.ts';
import { leToBigInt } from './groth16/points.ts';
import type { Groth16Proof } from './groth16/prove.ts';
import { prepareGroth16, proveGroth16, warmUpProof } from './groth16/prove.ts';
import { parseWtns } from './groth16/wtns.ts';
import { type ParsedZkey, parseZkey } from './groth16/zkey.ts';
import { type AlphaPlan, alphaPlan, patchAlphaAuto } from './lookup/alpha-patch.ts';
import { logupChallenge } from './lookup/challenge.ts';
import type { OnPhase } from './progress.ts';
import { type WasmWitnessCalculator, witnessBin } from './witness-bin.ts';

export type { Groth16Proof };

export interface ProveResult {
  proof: Groth16Proof;
  publicSignals: string[];
  /** The engine that made the proof (see prover/engine.ts), e.g. 'native' or 'snarkjs'. */
  engine: string;
  /** Milliseconds. The per-phase ones come from zkai's prover only (absent with snarkjs), and overlap. */
  timings: {
    witnessMs: number;
    proveMs: number;
    loadMs: number;
    quotientMs?: number;
    msmG1Ms?: number;
    msmG2Ms?: number;
    /** A LogUp proof's runs of the witness calculator: 2, or 1 once pass 2 is patched (lookup/alpha-patch.ts). */
    witnessPasses?: number;
  };
  /** A LogUp circuit's lookup commitment D and its proof of knowledge (publicSignals still holds every signal). */
  lookupCommitment?: PublicInputCommitment;
}

/** What a worker needs to load to prove for one circuit. */
export interface CircuitKeys {
  circuitId: string;
  wasmPath: string;
  zkeyPath: string;
  /**
   * A LogUp circuit (prover/lookup/, docs/lookups.md): its lookup commitment key (lookupkey.json) and the public-signal
   * positions it commits. The proof then takes two rounds (see proveLookupRounds) and its result carries D.
   */
  lookup?: { keyPath: string; committedIndices: number[]; alphaIndex?: number };
  /**
   * Names the content of the keys when a path alone does not (the lookup key is rewritten in place at a contribution):
   * a change loads the circuit again. Default: the paths alone.
   */
  keyRevision?: string;
}

interface WarmCircuit {
  zkey: Uint8Array;
  /** Sections of `zkey` (zero-copy), parsed once, when zkai's own prover is the engine. */
  parsed: ParsedZkey | null;
  /** Precomputed multiples of the key's fixed bases (groth16/fixed-tables.ts), where the budget had room and they pay. */
  tables?: FixedTables;
  witness: WasmWitnessCalculator;
  /** The circuit's wasm, to replace `witness` after a failure (see prove). */
  wasm: Uint8Array;
  /** The parsed lookup key of a LogUp circuit. */
  lookupKey?: CommitmentKey;
  /** A LogUp circuit's pass 2 without the witness calculator (alpha-patch.ts), once planned. */
  alphaPatch?: AlphaPatchState;
}

/** The plan, undefined when the circuit does not fit it; `checked` once a patched witness equalled a full pass 2. */
interface AlphaPatchState {
  plan: AlphaPlan | undefined;
  checked: boolean;
}

export interface WarmProverOptions {
  /**
   * Where the prover reports, at warn level, what makes it slower without failing a proof (default console.warn, as
   * engine.ts reports an engine's fallback; in the pool's worker threads it reaches the process's stderr).
   */
  warn?: (message: string) => void;
  /** Plans a LogUp circuit's patched pass 2 (default alpha-patch.ts alphaPlan; a test gives a wrong one). */
  alphaPlan?: (zkey: ParsedZkey, alphaWire: number) => AlphaPlan | undefined;
  /**
   * Bytes this prover may keep in fixed-base tables over all its warm circuits (default ZKAI_FIXED_BASE_MIB, 256 MiB;
   * 0: none). A circuit's tables are built when it loads, from what its predecessors left.
   */
  fixedBaseBudget?: number;
}

/** The files a circuit's warm state comes from (the zkey's path changes at every contribution: it is versioned). */
function keysFrom(keys: CircuitKeys): string {
  return JSON.stringify([keys.wasmPath, keys.zkeyPath, keys.lookup?.keyPath ?? null, keys.keyRevision ?? null]);
}

/**
 * Proves Groth16 while keeping each circuit warm: the zkey (bytes and parsed sections) and the compiled
 * witness calculator are loaded once per process and reused, instead of per proof as
 * `snarkjs groth16 fullprove` does. The engine (zkai's prover on native/wasm/webgpu kernels, or snarkjs)
 * is this process's ZKAI_ENGINE selection unless one is given.
 */
export class WarmProver {
  private readonly circuits = new Map<string, Promise<WarmCircuit>>();
  private readonly engine: () => Promise<ProvingEngine>;
  private readonly warn: (message: string) => void;
  private readonly planAlpha: (zkey: ParsedZkey, alphaWire: number) => AlphaPlan | undefined;
  private readonly fixedBaseBudget: number;
  /** Table bytes held per circuit id (the circuit's latest load), against fixedBaseBudget. */
  private readonly tableBytes = new Map<string, number>();

  constructor(engine?: ProvingEngine | Promise<ProvingEngine>, opts: WarmProverOptions = {}) {
    this.engine = engine ? () => Promise.resolve(engine) : processProvingEngine;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.planAlpha = opts.alphaPlan ?? alphaPlan;
    this.fixedBaseBudget = opts.fixedBaseBudget ?? fixedBaseBudgetFrom();
  }

  /** The key's fixed-base tables within what the budget has left (a reload of the same circuit gives its share back). */
  private async tablesFor(circuitId: string, parsed: ParsedZkey, engine: ProvingEngine): Promise<FixedTables | undefined> {
    this.tableBytes.delete(circuitId);
    const fb = engine.kernels?.fixedBase;
    if (!fb || this.fixedBaseBudget === 0) return undefined;
    const tables = await buildFixedTables(parsed, fb, this.fixedBaseBudget - this.fixedTableBytes());
    if (tables) this.tableBytes.set(circuitId, tables.bytes);
    return tables;
  }

  /** Bytes of fixed-base tables this prover holds (all its warm circuits). */
  fixedTableBytes(): number {
    return [...this.tableBytes.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * What a warm circuit was loaded from: a `zkai setup contribute` gives the same circuit a new zkey (a new,
   * version-numbered file) and a new lookup key, so a circuit is warm only for the files it was loaded from; a proof with
   * other files loads those (and drops the old ones), never proving under a superseded key.
   */
  private readonly loadedFrom = new Map<string, string>();

  private load(keys: CircuitKeys): Promise<WarmCircuit> {
    const from = keysFrom(keys);
    let warm = this.loadedFrom.get(keys.circuitId) === from ? this.circuits.get(keys.circuitId) : undefined;
    if (!warm) {
      const loading = (async () => {
        const [wasm, zkey, engine] = await Promise.all([readFile(keys.wasmPath), readFile(keys.zkeyPath), this.engine()]);
        const witness = (await WitnessCalculatorBuilder(wasm)) as WasmWitnessCalculator;
        const bytes = new Uint8Array(zkey.buffer, zkey.byteOffset, zkey.byteLength);
        const parsed = engine.kernels ? parseZkey(bytes) : null;
        // What the first proof would build (tables, scratch memory, compiled point arithmetic) is built with the load.
        if (parsed && engine.kernels) await prepareGroth16(parsed, engine.kernels);
        const tables = parsed ? await this.tablesFor(keys.circuitId, parsed, engine) : undefined;
        // The engines that prepare (native) also warm up: one throwaway proof costs them tens of ms at a small key,
        // where the wasm reference would spend seconds at a large one.
        if (parsed && engine.kernels?.prepare) await warmUpProof(parsed, engine.kernels, tables);
        const lookupKey = keys.lookup ? (JSON.parse(await readFile(keys.lookup.keyPath, 'utf8')) as CommitmentKey) : undefined;
        return { zkey: bytes, parsed, witness, wasm, ...(tables ? { tables } : {}), ...(lookupKey ? { lookupKey } : {}) };
      })();
      warm = loading;
      loading.catch(() => {
        if (this.circuits.get(keys.circuitId) === loading) this.circuits.delete(keys.circuitId);
      });
      this.circuits.set(keys.circuitId, loading);
      this.loadedFrom.set(keys.circuitId, from);
    }
    return warm;
  }

  /** Whether a proof with `keys` finds its circuit loaded (from these files). */
  isWarm(keys: CircuitKeys): boolean {
    return this.circuits.has(keys.circuitId) && this.loadedFrom.get(keys.circuitId) === keysFrom(keys);
  }

  /** `onPhase` is told witness, then quotient and msm (zkai's prover) or proving (snarkjs); it must not throw. */
  async prove(keys: CircuitKeys, input: Record<string, unknown>, onPhase?: OnPhase): Promise<ProveResult> {
    const t0 = performance.now();
    const warm = await this.load(keys);
    const t1 = performance.now();
    let wtns: Uint8Array;
    let lookupCommitment: PublicInputCommitment | undefined;
    let witnessPasses: number | undefined;
    onPhase?.('witness');
    const witness = async (inp: Record<string, unknown>) => {
      try {
        return await witnessBin(warm.witness, inp);
      } catch (err) {
        // The witness calculator throws on a failed `===` or a bad input name: the statement is false. Its instance
        // is replaced: circom_runtime appends each failure's message to one it never clears, so the next failure
        // would be reported with this one's text first.
        warm.witness = (await WitnessCalculatorBuilder(warm.wasm)) as WasmWitnessCalculator;
        throw new ZkaiError('WITNESS_FAILED', `witness generation failed for ${keys.circuitId}: ${firstLine(err)}`);
      }
    };
    if (keys.lookup && warm.lookupKey) {
      const { alphaIndex } = keys.lookup;
      if (!warm.alphaPatch) {
        const plan = warm.parsed && alphaIndex !== undefined ? this.planAlpha(warm.parsed, alphaIndex + 1) : undefined;
        warm.alphaPatch = { plan, checked: false };
      }
      // A plan dropped is said once per loaded circuit: the state keeps no plan after it, so no second comparison.
      const dropped = (wire: number | undefined) =>
        this.warn(
          `zkai prover: circuit ${keys.circuitId}: LogUp pass 2 patched from pass 1 differs from a full pass 2 ` +
            `(${wire === undefined ? 'witness layout' : `first differing wire ${wire}`}); pass 2 runs in full for every proof of this circuit`,
        );
      ({
        wtns,
        commitment: lookupCommitment,
        witnessPasses,
      } = await lookupRounds(keys.lookup.committedIndices, warm.lookupKey, input, witness, warm.alphaPatch, dropped));
    } else wtns = await witness(input);
    const t2 = performance.now();
    const engine = await this.engine();
    try {
      if (engine.kernels && warm.parsed) {
        const out = await proveGroth16(warm.parsed, parseWtns(wtns).values, engine.kernels, {
          onPhase,
          ...(warm.tables ? { tables: warm.tables } : {}),
        });
        const { quotientMs, msmG1Ms, msmG2Ms } = out.timings;
        const proveMs = performance.now() - t2;
        const timings = {
          loadMs: t1 - t0,
          witnessMs: t2 - t1,
          proveMs,
          quotientMs,
          msmG1Ms,
          msmG2Ms,
          ...(witnessPasses ? { witnessPasses } : {}),
        };
        return {
          proof: out.proof,
          publicSignals: out.publicSignals,
          engine: engine.name,
          timings,
          ...(lookupCommitment ? { lookupCommitment } : {}),
        };
      }
      onPhase?.('proving');
      const out = (await snarkjs.groth16.prove({ type: 'mem', data: warm.zkey }, { type: 'mem', data: wtns })) as {
        proof: Groth16Proof;
        publicSignals: string[];
      };
      const t3 = performance.now();
      return {
        ...out,
        engine: engine.name,
        timings: { loadMs: t1 - t0, witnessMs: t2 - t1, proveMs: t3 - t2, ...(witnessPasses ? { witnessPasses } : {}) },
        ...(lookupCommitment ? { lookupCommitment } : {}),
      };
    } catch (err) {
      throw new ZkaiError('PROOF_FAILED', `proving failed for ${keys.circuitId} (${engine.name}): ${firstLine(err)}`);
    }
  }
}

/**
 * The two rounds of a LogUp proof (docs/lookups.md; prover/lookup/prove.ts runs the same in one process): witness
 * pass 1 with a throwaway α and a fresh blind, D over the committed values, α = H(D), pass 2 with that α. The
 * committed values must come out of pass 2 unchanged (a circuit that computes one from α cannot commit before α).
 */
async function lookupRounds(
  committedIndices: readonly number[],
  key: CommitmentKey,
  input: Record<string, unknown>,
  witness: (input: Record<string, unknown>) => Promise<Uint8Array>,
  patch?: AlphaPatchState,
  dropped?: (firstDifferingWire: number | undefined) => void,
): Promise<{ wtns: Uint8Array; commitment: PublicInputCommitment; witnessPasses: number }> {
  const blind = randomScalar();
  const committed = (w: Uint8Array) => {
    const values = parseWtns(w).values;
    return committedIndices.map((i) => leToBigInt(values, (i + 1) * 32));
  };
  const pass1 = await witness({ ...input, logupAlpha: randomScalar(), logupBlind: blind });
  const round1 = committed(pass1);
  const commitment = await commitPublicInputs(key, round1);
  const alpha = logupChallenge(commitment.point);
  // Pass 2 from pass 1's witness when the circuit's rows allow it (alpha-patch.ts); in full on a circuit's first proof
  // too, to check the patch against it once.
  let patched: Uint8Array | undefined;
  if (patch?.plan) {
    // In place where the native engine patches (pass 1 is not read again; a pole leaves it unchanged).
    const values = parseWtns(pass1).values;
    const patchedValues = patchAlphaAuto(patch.plan, values, alpha);
    if (patchedValues) {
      if (patchedValues !== values) values.set(patchedValues);
      patched = pass1;
      if (patch.checked) return { wtns: patched, commitment, witnessPasses: 1 };
    }
  }
  const wtns = await witness({ ...input, logupAlpha: alpha, logupBlind: blind });
  if (committed(wtns).some((v, i) => v !== round1[i])) {
    throw new ZkaiError('PROOF_FAILED', 'the circuit computes a committed value from α: it cannot be committed before α');
  }
  if (patch?.plan && patched) {
    // Byte for byte or never again for this circuit (this proof uses the full pass 2 either way).
    const wire = firstDifferingWire(patched, wtns);
    if (wire === null) patch.checked = true;
    else {
      patch.plan = undefined;
      dropped?.(wire);
    }
  }
  return { wtns, commitment, witnessPasses: 2 };
}

/**
 * null when the two .wtns files are byte for byte equal; else the first wire whose value differs, or undefined when
 * they differ outside the values (header, length).
 */
function firstDifferingWire(a: Uint8Array, b: Uint8Array): number | null | undefined {
  if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0)
    return null;
  const va = parseWtns(a).values;
  const vb = parseWtns(b).values;
  if (va.byteOffset - a.byteOffset !== vb.byteOffset - b.byteOffset || va.length !== vb.length) return undefined;
  for (let w = 0; w * 32 < va.length; w++)
    if (Buffer.compare(va.subarray(w * 32, w * 32 + 32), vb.subarray(w * 32, w * 32 + 32)) !== 0) return w;
  return undefined;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
