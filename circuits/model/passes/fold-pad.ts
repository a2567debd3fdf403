/**
 * Folds zero Pad nodes (ops/pad.ts) away: one that pads nothing is dropped; otherwise its only reader must be a
 * conv2d, whose padding reads zeros exactly like the Pad's cells, or an avgpool2d with no padding of its own (or one
 * that already counts padded cells), which then counts the Pad's cells in its divisor (count_include_pad), as the
 * explicit zeros were real cells. A max pool is refused: a zero is not a padded cell to max (max(x, 0) != max(x)).
 */
import { ZkaiError } from '../../../common/errors.ts';
import { consumerCounts, type Layer } from '../ir.ts';
import { compact } from './graph.ts';

export function foldPads(nodes: readonly Layer[]): Layer[] {
  const out = [...nodes];
  const counts = consumerCounts(nodes);
  const alias = new Map<number, number>();
  out.forEach((p, i) => {
    if (p.kind !== 'pad') return;
    const src = p.inputs[0]!;
    alias.set(i, src);
    if (p.pads.every((v) => v === 0)) {
      counts[src + 1]! += counts[i + 1]! - 1;
      return;
    }
    const j = out.findIndex((n, k) => k > i && n.inputs.includes(i));
    const next = out[j];
    const poolOk = next?.kind === 'avgpool2d' && (next.countIncludePad || next.pads.every((v) => v === 0));
    if (counts[i + 1] !== 1 || !next || (next.kind !== 'conv2d' && !poolOk)) {
      throw new ZkaiError(
        'UNSUPPORTED_OP',
        `Pad '${p.name}' must be read only by a Conv, or by an AveragePool without padding of its own (it is folded into their padding)`,
        { opType: 'Pad', node: p.name },
      );
    }
    if (next.kind !== 'conv2d' && next.kind !== 'avgpool2d') return; // narrowed above; keeps the type checker informed
    const pads = next.pads.map((v, k) => v + p.pads[k]!) as [number, number, number, number];
    out[j] = { ...next, pads, inShape: p.inShape, ...(next.kind === 'avgpool2d' ? { countIncludePad: true } : {}) };
  });
  return compact(out, alias);
}
