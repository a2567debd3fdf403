/**
 * What every op's ONNX importer shares: attribute readers, the typed UNSUPPORTED_OP error, constant broadcasting and
 * explicit pads. Kept apart from the op files so that an op file holds only what is particular to its op.
 */
import { ZkaiError } from '../../../common/errors.ts';
import type { IrTensor } from '../ir.ts';
import { shapeSize } from '../ir.ts';
import type { OnnxAttribute, OnnxNode } from '../onnx.ts';

/** A constant tensor of the ONNX graph (initializer, Constant node, folded shape arithmetic). */
export interface Const {
  shape: number[];
  data: number[];
}

export function nodeLabel(node: OnnxNode, index: number): string {
  return node.name || `${node.opType}_${index}`;
}

/**
 * The error of an op or attribute zkai cannot compile: the op type, the node's index in the file (and its name, for
 * the user's eyes only: error messages are not generated source) and, for an unknown op, the supported ones.
 */
export function unsupported(node: OnnxNode, index: number, why?: string, supported?: readonly string[]): ZkaiError {
  const name = nodeLabel(node, index);
  const list = supported ? `; supported ops: ${supported.join(', ')}` : '';
  return new ZkaiError('UNSUPPORTED_OP', `unsupported ONNX op '${node.opType}' (node ${index}, '${name}')${why ? `: ${why}` : ''}${list}`, {
    opType: node.opType,
    node: name,
    index,
    ...(supported ? { supported: [...supported] } : {}),
  });
}

export function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((a) => a.name === name);
}
export function attrInt(node: OnnxNode, name: string, def: number): number {
  return attr(node, name)?.i ?? def;
}
export function attrFloat(node: OnnxNode, name: string, def: number): number {
  return attr(node, name)?.f ?? def;
}
export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints : undefined;
}
export function attrString(node: OnnxNode, name: string, def: string): string {
  const s = attr(node, name)?.s;
  return s ? new TextDecoder().decode(s) : def;
}

export function tensor(name: string, shape: number[], data: ArrayLike<number>): IrTensor {
  return { name, shape, data: Float64Array.from(data) };
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Row-major strides of a shape. */
function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Numpy-style broadcast of `c` to `target`, or undefined when the shapes are not broadcast-compatible. */
export function broadcastTo(c: Const, target: number[]): number[] | undefined {
  if (c.shape.length > target.length) return undefined;
  const shape = [...new Array<number>(target.length - c.shape.length).fill(1), ...c.shape];
  if (shape.some((d, i) => d !== 1 && d !== target[i])) return undefined;
  const src = strides(shape);
  const dst = strides(target);
  const out = new Array<number>(shapeSize(target));
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let a = 0; a < target.length; a++) {
      const idx = Math.floor(k / dst[a]!) % target[a]!;
      if (shape[a] !== 1) off += idx * src[a]!;
    }
    out[k] = c.data[off]!;
  }
  return out;
}

/** Explicit pads [top, left, bottom, right] from `pads` or `auto_pad` (Conv and the pools). */
export function resolvePads(
  node: OnnxNode,
  index: number,
  hw: [number, number],
  k: [number, number],
  st: [number, number],
): [number, number, number, number] {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
    if (p.length !== 4) throw unsupported(node, index, `pads must have 4 entries, got [${p}]`);
    return [p[0]!, p[1]!, p[2]!, p[3]!];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((a) => Math.max(0, (Math.ceil(hw[a]! / st[a]!) - 1) * st[a]! + k[a]! - hw[a]!));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, a) => t - small[a]!);
    return autoPad === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
  }
  throw unsupported(node, index, `auto_pad=${autoPad}`);
}
