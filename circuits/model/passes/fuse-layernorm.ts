/**
 * Recognizes the opset-13 form of LayerNorm that PyTorch exports (no LayerNormalization before opset 17):
 *   m = ReduceMean(x, axes), d = Sub(x, m), p = Pow(d, 2), v = ReduceMean(p, axes), e = Add(v, ε), r = Sqrt(e),
 *   n = Div(d, r) [, Mul(n, γ)] [, Add(·, β)]
 * and rewrites it, on the ONNX graph before import, into one LayerNormalization node (axis = the first reduced axis,
 * epsilon = ε; γ and β constants, or absent: 1 and 0), which ops/layernorm.ts compiles with exact integer gadgets. So
 * no standalone Pow or Sqrt of an activation is needed. It is the same function (ONNX defines LayerNormalization as
 * exactly this computation). Fused only when every intermediate tensor is read by the pattern alone, the two
 * ReduceMeans keep dims over the same trailing axes (negative axes ending at -1: the rank is unknown before import),
 * the exponent is the constant 2 and ε a constant scalar; anything else is left alone.
 */
import { OnnxAttributeType, type OnnxGraph, type OnnxNode, tensorValues } from '../onnx.ts';
import { attr, attrInt, attrInts } from '../ops/onnx-util.ts';

export function fuseLayerNorm(graph: OnnxGraph, opset: number): OnnxGraph {
  const nodes = graph.node;
  const consts = new Map<string, number[]>();
  for (const t of graph.initializer) consts.set(t.name, tensorValues(t));
  for (const n of nodes) {
    if (n.opType !== 'Constant') continue;
    const a = n.attribute[0];
    if (a?.name === 'value' && a.t) consts.set(n.output[0]!, tensorValues(a.t));
    else if (a?.name === 'value_float' && a.f !== undefined) consts.set(n.output[0]!, [a.f]);
  }
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const t of n.input) if (t) readers.set(t, [...(readers.get(t) ?? []), i]);
  });
  for (const o of graph.output) readers.set(o.name, [...(readers.get(o.name) ?? []), -1]);
  /** The one node reading `t`, if it is of type `op` and t is its only reader. */
  const only = (t: string, op: string): [OnnxNode, number] | undefined => {
    const r = readers.get(t) ?? [];
    const n = r.length === 1 ? nodes[r[0]!] : undefined;
    return n && n.opType === op ? [n, r[0]!] : undefined;
  };
  /** The constant operand of a two-input node whose other operand is `act`. */
  const constOperand = (n: OnnxNode, act: string): { name: string; value: number[] } | undefined => {
    if (n.input.length !== 2 || !n.input.includes(act)) return undefined;
    const name = n.input[0] === act ? n.input[1]! : n.input[0]!;
    const value = consts.get(name);
    return value ? { name, value } : undefined;
  };
  const axesOf = (n: OnnxNode): number[] | undefined => {
    if (attrInt(n, 'keepdims', 1) !== 1) return undefined;
    if (opset >= 18) return n.input[1] ? consts.get(n.input[1]) : undefined;
    return attr(n, 'axes') ? attrInts(n, 'axes') : undefined;
  };

  const drop = new Set<number>();
  const replace = new Map<number, OnnxNode>();
  nodes.forEach((m1, i1) => {
    if (m1.opType !== 'ReduceMean' || drop.has(i1)) return;
    const x = m1.input[0]!;
    const axes = axesOf(m1);
    if (!axes || axes.length === 0) return;
    const sorted = [...axes].sort((a, b) => a - b);
    if (sorted.some((a, k) => a !== -sorted.length + k)) return; // trailing: [-k, ..., -1]
    const sub = only(m1.output[0]!, 'Sub');
    if (!sub || sub[0].input[0] !== x || sub[0].input[1] !== m1.output[0]) return;
    const d = sub[0].output[0]!;
    const dReaders = readers.get(d) ?? [];
    if (dReaders.length !== 2) return;
    const pow = dReaders.map((i) => [nodes[i]!, i] as const).find(([n]) => n.opType === 'Pow');
    const div = dReaders.map((i) => [nodes[i]!, i] as const).find(([n]) => n.opType === 'Div');
    if (!pow || !div || pow[0].input[0] !== d || div[0].input[0] !== d) return;
    const two = consts.get(pow[0].input[1] ?? '');
    if (two?.length !== 1 || two[0] !== 2) return;
    const m2 = only(pow[0].output[0]!, 'ReduceMean');
    const axes2 = m2 && axesOf(m2[0]);
    if (!m2 || !axes2 || [...axes2].sort((a, b) => a - b).join() !== sorted.join()) return;
    const add = only(m2[0].output[0]!, 'Add');
    const eps = add && constOperand(add[0], m2[0].output[0]!);
    if (!add || !eps || eps.value.length !== 1 || !(eps.value[0]! > 0)) return;
    const sqrt = only(add[0].output[0]!, 'Sqrt');
    if (!sqrt || div[0].input[1] !== sqrt[0].output[0] || (readers.get(sqrt[0].output[0]!) ?? []).length !== 1) return;
    let last = div;
    let gamma = '';
    let beta = '';
    const mul = only(div[0].output[0]!, 'Mul');
    const g = mul && constOperand(mul[0], div[0].output[0]!);
    if (mul && g) {
      gamma = g.name;
      last = mul;
    }
    const addB = only(last[0].output[0]!, 'Add');
    const b = addB && constOperand(addB[0], last[0].output[0]!);
    if (addB && b) {
      beta = b.name;
      last = addB;
    }
    for (const i of [i1, sub[1], pow[1], m2[1], add[1], sqrt[1], div[1], ...(mul && g ? [mul[1]] : [])]) if (i !== last[1]) drop.add(i);
    replace.set(last[1], {
      name: m1.name,
      opType: 'LayerNormalization',
      domain: '',
      input: [x, gamma, beta],
      output: [last[0].output[0]!],
      attribute: [
        { name: 'axis', type: OnnxAttributeType.INT, i: sorted[0]!, floats: [], ints: [] },
        { name: 'epsilon', type: OnnxAttributeType.FLOAT, f: eps.value[0]!, floats: [], ints: [] },
      ],
    });
  });
  if (replace.size === 0) return graph;
  return { ...graph, node: nodes.flatMap((n, i) => (drop.has(i) ? [] : [replace.get(i) ?? n])) };
}
