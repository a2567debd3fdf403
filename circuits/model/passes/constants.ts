/**
 * Constant folding at import: nodes whose inputs are all constants (Constant, and the Shape → Gather → Unsqueeze →
 * Concat chains PyTorch emits to compute a Reshape target, and the Shape → Slice → Concat of `flatten(2)`) are evaluated, and Shape of an activation is a constant
 * since every per-sample shape is static. Their results join the constant table the op importers read.
 */
import { shapeSize } from '../ir.ts';
import { OnnxDataType, type OnnxNode, tensorValues } from '../onnx.ts';
import { attr, attrInt, attrInts, type Const, normAxis, unsupported } from '../ops/onnx-util.ts';
import { sliceConst, sliceParams } from '../ops/slice.ts';

const INT_TYPES = new Set<number>([OnnxDataType.INT64, OnnxDataType.INT32, OnnxDataType.INT8, OnnxDataType.UINT8, OnnxDataType.BOOL]);

/** ONNX Shape of a tensor of per-sample shape `shape` (the batch dimension is 1): a constant. */
export function shapeConstant(node: OnnxNode, shape: readonly number[]): Const {
  const full = [1, ...shape];
  const start = normAxis(attrInt(node, 'start', 0), full.length);
  const endAttr = attr(node, 'end');
  const end = endAttr ? normAxis(endAttr.i ?? full.length, full.length) : full.length;
  const s = full.slice(start, end);
  return { shape: [s.length], data: s };
}

/** Evaluates a node whose inputs are all constants (shape arithmetic) and records its output as a constant. */
export function foldConstantNode(node: OnnxNode, index: number, consts: Map<string, Const>, opset: number): void {
  const inp = (k: number): Const => {
    const c = consts.get(node.input[k]!);
    if (!c) throw unsupported(node, index, `missing input ${k}`);
    return c;
  };
  const set = (c: Const) => consts.set(node.output[0]!, c);
  switch (node.opType) {
    case 'Constant': {
      const a = node.attribute[0];
      if (!a) throw unsupported(node, index, 'Constant without a value');
      if (a.name === 'value' && a.t) set({ shape: a.t.dims, data: tensorValues(a.t) });
      else if (a.name === 'value_float' && a.f !== undefined) set({ shape: [], data: [a.f] });
      else if (a.name === 'value_int' && a.i !== undefined) set({ shape: [], data: [a.i] });
      else if (a.name === 'value_floats') set({ shape: [a.floats.length], data: a.floats });
      else if (a.name === 'value_ints') set({ shape: [a.ints.length], data: a.ints });
      else throw unsupported(node, index, `Constant attribute '${a.name}'`);
      return;
    }
    case 'Identity':
      set(inp(0));
      return;
    case 'Cast': {
      const to = attrInt(node, 'to', OnnxDataType.FLOAT);
      const c = inp(0);
      set({ shape: c.shape, data: INT_TYPES.has(to) ? c.data.map(Math.trunc) : c.data });
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const c = inp(0);
      const axesList = opset >= 13 ? (node.input[1] ? inp(1).data : undefined) : attrInts(node, 'axes');
      let shape: number[];
      if (node.opType === 'Unsqueeze') {
        if (!axesList) throw unsupported(node, index, 'Unsqueeze without axes');
        const rank = c.shape.length + axesList.length;
        const axes = new Set(axesList.map((a) => normAxis(a, rank)));
        shape = [];
        let src = 0;
        for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : c.shape[src++]!);
      } else {
        const axes = axesList ? new Set(axesList.map((a) => normAxis(a, c.shape.length))) : undefined;
        shape = c.shape.filter((d, i) => !(axes ? axes.has(i) : d === 1));
      }
      set({ shape, data: c.data });
      return;
    }
    case 'Gather': {
      const data = inp(0);
      const idx = inp(1);
      const axis = normAxis(attrInt(node, 'axis', 0), data.shape.length);
      const outer = shapeSize(data.shape.slice(0, axis));
      const inner = shapeSize(data.shape.slice(axis + 1));
      const dimA = data.shape[axis]!;
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const raw of idx.data) {
          const i = raw < 0 ? raw + dimA : raw;
          for (let k = 0; k < inner; k++) out.push(data.data[(o * dimA + i) * inner + k]!);
        }
      }
      set({ shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)], data: out });
      return;
    }
    case 'Concat': {
      const parts = node.input.map((_, k) => inp(k));
      const rank = parts[0]!.shape.length;
      const axis = normAxis(attrInt(node, 'axis', 0), rank);
      const outer = shapeSize(parts[0]!.shape.slice(0, axis));
      const inner = shapeSize(parts[0]!.shape.slice(axis + 1));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const len = p.shape[axis]! * inner;
          out.push(...p.data.slice(o * len, (o + 1) * len));
        }
      }
      const shape = [...parts[0]!.shape];
      shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
      set({ shape, data: out });
      return;
    }
    case 'Slice': {
      const opt = (k: number) => (node.input[k] ? inp(k).data : undefined);
      const p = sliceParams(opset, (n) => attrInts(node, n), opt);
      const c = p.starts && p.ends ? sliceConst(inp(0), p.starts, p.ends, p.axes, p.steps) : undefined;
      if (!c) throw unsupported(node, index, 'invalid starts/ends/axes/steps');
      set(c);
      return;
    }
    default:
      throw unsupported(node, index, 'cannot fold this op over constant inputs');
  }
}
