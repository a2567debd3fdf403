/**
 * What an op must provide. One file per op (ops/<op>.ts) implements these for its node kind, and ops/registry.ts
 * maps every kind to its file with a mapped type, so a kind added to ir.ts (or qir.ts) without an implementation is a
 * type error naming what is missing. The drivers (import.ts, float-exec.ts, quantize.ts, int-exec.ts, codegen.ts,
 * cost.ts) hold no per-op code: they walk the graph and call these.
 */
import type { ZkaiError } from '../../../common/errors.ts';
import type { Layer, LayerKind, LayerOf } from '../ir.ts';
import type { LimbSource } from '../logup-emit.ts';
import type { OnnxNode } from '../onnx.ts';
import type { QLayer, QLayerKind, QLayerOf } from '../qir.ts';
import type { Const } from './onnx-util.ts';

/** What an ONNX importer gets: the node, its activation input, and the ways to add what it becomes to the graph. */
export interface ImportCtx {
  node: OnnxNode;
  /** The node's index in the file (errors name it) and its label (name, or op_index; reports only). */
  index: number;
  name: string;
  opset: number;
  /** The activation tensors the node reads, in input order, and their per-sample shapes. */
  acts: number[];
  /** Their ONNX names (to tell operands apart; never written anywhere). */
  actNames: string[];
  shapes: number[][];
  /** The shape of acts[0]. */
  shape: number[];
  /** Constant input k (initializer or folded), or UNSUPPORTED_OP. */
  constOf(k: number): Const;
  /** Constant input k, or undefined when it is an activation or absent. */
  maybeConst(k: number): Const | undefined;
  fail(why?: string): ZkaiError;
  /**
   * Adds `layer` (reading `acts`, or `inputs` when given) as the node producing the ONNX output `output` (default 0:
   * Split makes one node per output), and returns its tensor id (an importer that lowers one ONNX node to several
   * chains them through it).
   */
  add(layer: DistributiveOmit<Layer, 'name' | 'inputs' | 'inShape'> & { inputs?: number[]; output?: number }): number;
  /** The ONNX output 0 is the activation input itself (Identity, Dropout, a dropped Softmax). */
  alias(): void;
  /** Like alias, and records that a final Softmax was dropped (ModelIR.droppedSoftmax). */
  droppedSoftmax(): void;
  /** Whether output 0 is the graph output and the node the file's last. */
  isFinal: boolean;
}
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type OnnxImporter = (ctx: ImportCtx) => void;

/** What the constraint estimate (cost.ts) tells an op about its input. */
export interface EstimateCtx {
  nodes: readonly Layer[];
  index: number;
  /** Signed width of each input tensor's values (before quantizing: from the op rules, no calibration). */
  inBits: number[];
  activationBits: number;
  weightBits: number;
  privateWeights: boolean;
  /** Counts committed weight elements (Poseidon's sponge cost). */
  addCommitted(n: number): void;
}

/** What the quantizer tells an op: calibration of its output, its inputs' scales, the model's settings. */
export interface QuantizeCtx {
  nodes: readonly Layer[];
  index: number;
  /** Fractional bits and signed width of each input tensor. */
  inFrac: number[];
  inBits: number[];
  /** Max |value| and max value of this node's output over the calibration inputs. */
  maxAbs: number;
  maxPos: number;
  /** The smallest value of each input tensor over the calibration inputs (absent where a test builds the context). */
  inMin?: number[];
  weightBits: number;
  activationBits: number;
  /** True for the last dense/conv node: its outputs are the logits, shifted but never saturated. */
  isLastLinear: boolean;
  /** Whether the node's only consumer (through reshapes) is a ReLU. */
  reluNext: boolean;
}
export interface Quantized {
  q: QLayer;
  /** Fractional bits and signed width of the output. */
  frac: number;
  bits: number;
}

/** A namer of a tensor's circuit signals: element i → a circom expression. */
export type Signals = (i: number) => string;

/** What the generator gives an op's emitter. */
export interface EmitCtx {
  /** The source-safe node list (names are indices; every number checked) and this node's index. */
  nodes: readonly QLayer[];
  index: number;
  /** The signals of input tensor k. */
  input(k: number): Signals;
  /** Lines of the template body. */
  body: string[];
  /**
   * Templates of their own (whole definitions, written before the main template): a layer whose code is large emits
   * one with loops, since circom makes one witness-calculator function per template instance and V8 refuses a
   * function over ~7.6 MB (circuits/wasm-check.ts).
   */
  templates: string[];
  /** Records this node's constraints under `kind` (the layer column is the node's name, manifest only). */
  cost(kind: string, constraints: number): void;
  privateWeights: boolean;
  /** Declares a committed signal (packed weights) in commitment order. */
  commit(signal: string, count: number): void;
  /** ReLU nodes computed by an earlier node's fused gadget, with the clamp constraints their row reports. */
  fusedRelu: Map<number, number>;
  /** How many nodes read each tensor (consumerCounts). */
  consumers: readonly number[];
  /**
   * With `lookups: 'logup'`: the components whose `lk` outputs hold LogUp limbs, which the main template commits and
   * looks up (logup-emit.ts); an emitter that range-checks by lookups adds itself here. Absent: bit decompositions.
   */
  lookups?: LimbSource[];
  /** With lookups: the limb width B of every LogUp gadget (logup-emit.ts LOGUP_LIMB_WIDTHS; the generator picks it). */
  limbBits?: number;
  /**
   * With lookups: the signals (as their expressions, which ops that only rename or permute pass on unchanged) known to
   * be linear in public signals and constants once circom --O2 has substituted: the input `in` (public, or a private
   * input substituted by its committed limbs), a LogUpRequant output in case 0 (no clamp, no ReLU: linear in its
   * committed limbs). A linear row that reads only such signals cannot be substituted away: it stays a
   * constraint. The generator counts one row per logit found here (its equality with the public `logits`), and a
   * public-weights layer counts the division rows its other inputs cannot absorb.
   */
  publicLinear?: Set<string>;
}

/** The float side of an op: every node kind has one. */
export interface FloatOp<L extends Layer> {
  /** Runs the node on its input tensors (row-major, float64). */
  float(layer: L, inputs: Float64Array[]): Float64Array;
  /** Constraints the node will cost, from the float graph (cost.ts estimateConstraints), and its output width. */
  estimate(layer: L, ctx: EstimateCtx): { constraints: number; bits: number };
  /** Its quantized node, or 'fold' for a kind a pass must have folded away before quantizing. */
  quantize: ((layer: L, ctx: QuantizeCtx) => Quantized) | 'fold';
}

/** The integer side of an op: every quantized kind has one. */
export interface QuantOp<Q extends QLayer> {
  /** Exact integer reference (BigInt): what the circuit computes, throwing BAD_INPUT where it has no witness. */
  int(layer: Q, inputs: bigint[][]): bigint[];
  /** Emits the node's circom (into ctx.body) and its cost (ctx.cost); returns its output signals. */
  emit(layer: Q, ctx: EmitCtx): Signals;
}

export type FloatOps = { [K in LayerKind]: FloatOp<LayerOf<K>> };
export type QuantOps = { [K in QLayerKind]: QuantOp<QLayerOf<K>> };
