/**
 * Graph surgery shared by the passes: removing nodes whose output is another tensor (a fold), and dropping nodes that
 * do not feed the output. Node indices are tensor ids, so both renumber every reference.
 */
import { MODEL_INPUT } from '../ir.ts';

/**
 * Removes every node i in `alias`, rewiring its readers to read tensor alias.get(i) instead (an earlier tensor, possibly
 * itself removed: resolved transitively), and renumbers the rest.
 */
export function compact<N extends { inputs: number[] }>(nodes: readonly N[], alias: ReadonlyMap<number, number>): N[] {
  const resolve = (t: number): number => {
    let r = t;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const index = new Map<number, number>([[MODEL_INPUT, MODEL_INPUT]]);
  const out: N[] = [];
  nodes.forEach((n, i) => {
    if (alias.has(i)) return;
    index.set(i, out.length);
    out.push({ ...n, inputs: n.inputs.map((t) => index.get(resolve(t))!) });
  });
  return out;
}

/** Keeps only the nodes `output` depends on (so the output is the last node), renumbered. */
export function prune<N extends { inputs: number[] }>(nodes: readonly N[], output: number): N[] {
  const live = new Array<boolean>(nodes.length).fill(false);
  if (output >= 0) live[output] = true;
  for (let i = nodes.length - 1; i >= 0; i--) if (live[i]) for (const t of nodes[i]!.inputs) if (t >= 0) live[t] = true;
  const index = new Map<number, number>([[MODEL_INPUT, MODEL_INPUT]]);
  const out: N[] = [];
  nodes.forEach((n, i) => {
    if (!live[i]) return;
    index.set(i, out.length);
    out.push({ ...n, inputs: n.inputs.map((t) => index.get(t)!) });
  });
  return out;
}
