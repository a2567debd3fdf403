/**
 * Circom emission of the linear family (dense, conv2d): one template per layer instance, with loops.
 *
 * Why a template with loops and not unrolled main-body code (issue 14): circom compiles each template instance into
 * one witness-calculator function, so a model unrolled into its main template made one function that grew with every
 * tap (9.2 MB for LeNet-5 on 28×28, over V8's 7.6 MB limit: every proof failed to load it), and circom2 crashed on
 * one 784-term constant expression per neuron with public weights. Here a layer is `Layer<i>()`: its constants
 * (per-channel shifts; with public weights the integer weights and biases; for conv the tap tables) are `var` arrays,
 * and loops over outputs and taps build the same constraints as before: a product per tap and channel group
 * (PackedDot) with private weights, a linear combination substituted by --O2 (0 constraints) with public ones, then
 * one Requantize (or RequantizeRelu, fused: linear.ts `fusedReluIndex`) per output. The main template wires the
 * layer's input, packed weights and output with linear equalities, which --O2 also removes, so constraint counts are
 * exactly those of the unrolled form and the cost model (estimateLinear, the costs below) is unchanged.
 * Grouped conv: the tap tables are group 0's, and channel c reads them shifted by its group's first input cell (var
 * arrays chX / packX); PackedDot packs only channels of one conv group (commit.ts packLinear), which read the same
 * cells, so the per-position product count is taps·packs, exactly as estimateLinear predicts.
 */
import { ZkaiError } from '../../../common/errors.ts';
import { packLinear } from '../commit.ts';
import { fusedReluCost, requantizeCost } from '../gadget-cost.ts';
import { forEachConvTap } from '../geometry.ts';
import { shapeSize } from '../ir.ts';
import {
  addLimbs,
  emitLimbCursor,
  emitLimbRouting,
  emptyWidthCounts,
  groupStarts,
  LOGUP_LIMB_BITS,
  linearRowsLeft,
  lurCase,
  lurConstraints,
  lurLimbWidths,
  type WidthCounts,
} from '../logup-emit.ts';
import type { QConv2d, QDense } from '../qir.ts';
import { fusedReluIndex } from './linear.ts';
import type { EmitCtx, Signals } from './op.ts';

/** Most public weights one template holds (see the public branch of emitLinear). */
export const WEIGHTS_PER_TEMPLATE = 16384;

/** `var name[n] = [...]`, wrapped at 24 values a line (circom parses a long literal; the guard reads lines). */
function varArray(name: string, values: readonly (number | bigint)[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 24)
    lines.push(`        ${values.slice(i, i + 24).join(', ')}${i + 24 < values.length ? ',' : ''}`);
  return [`    var ${name}[${values.length}] = [`, ...lines, '    ];'];
}

/** Lines that set `target(i) <== source(i)` for i < n: one loop when both are plain arrays (`a[i]`), else unrolled. */
export function wire(n: number, target: string, source: Signals): string[] {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\[0\]$/.exec(source(0));
  const base = m?.[1];
  let plain = base !== undefined;
  for (let i = 0; plain && i < n; i++) plain = source(i) === `${base}[${i}]`;
  if (plain) return [`    for (var i = 0; i < ${n}; i++) ${target}[i] <== ${base}[i];`];
  return Array.from({ length: n }, (_, i) => `    ${target}[${i}] <== ${source(i)};`);
}

/**
 * The output positions of a dense/conv layer (one for dense; oH·oW for conv, row-major), each with its
 * [weight index within a channel, input index] taps: the same for every output channel, which is what lets
 * PackedDot share one product across a group of channels. Output n of channel c at position o is c·positions + o.
 */
function linearPositions(layer: QDense | QConv2d): [number, number][][] {
  if (layer.kind === 'dense') {
    const K = shapeSize(layer.inShape);
    return [Array.from({ length: K }, (_, k) => [k, k] as [number, number])];
  }
  const positions: [number, number][][] = [];
  forEachConvTap(layer, (m, o, taps) => {
    if (m === 0) positions[o] = taps.map(([wi, xi]) => [wi, xi]);
  });
  return positions;
}

/**
 * Public weights with lookups: the division rows of the layer's case-0 LogUpRequants (no clamp, no ReLU: the logits)
 * that stay constraints. Each is linear: bias + Σ w·x + 2^(bIn−1) = t·2^shift + r with t and r by committed limbs, and
 * no signal of its own (cases 1 and 2 have their sign bit), so circom --O2 can substitute it away only by solving it
 * for one of the inputs x it reads that is not already linear in public signals (EmitCtx.publicLinear): at most as
 * many rows as such inputs, exactly the rank of their weights (logup-emit.ts linearRowsLeft). With 8 hidden values
 * before 10 logits, 2 rows stay. With private weights the accumulators are PackedDot products, which absorb their rows.
 * Each input is taken to be read by this layer's rows alone: a graph where two case-0 layers read the same hidden
 * values could leave more rows (the compile's count check refuses it rather than mispredict silently).
 */
function publicDivisionRows(
  layer: QDense | QConv2d,
  positions: [number, number][][],
  ctx: EmitCtx,
  relu: boolean,
  chX: (c: number) => number,
): number {
  const linear = ctx.publicLinear;
  const x = ctx.input(0);
  const P = positions.length;
  const perW = layer.weight.length / layer.bias.length;
  const rows: Map<string, bigint>[] = [];
  for (let c = 0; c < layer.bias.length; c++) {
    if (lurCase(layer.accBits, layer.shift[c]!, layer.outBits, relu) !== 0) continue;
    for (let o = 0; o < P; o++) {
      const row = new Map<string, bigint>();
      for (const [wi, xi] of positions[o]!) {
        const e = x(xi + chX(c));
        // A constant or a signal already fixed by public ones gives the row nothing to be solved for.
        if (linear?.has(e) || /^-?[0-9]+$/.test(e)) continue;
        row.set(e, (row.get(e) ?? 0n) + BigInt(layer.weight[c * perW + wi]!));
      }
      rows.push(row);
    }
  }
  return rows.length === 0 ? 0 : linearRowsLeft(rows);
}

/** Emits `Layer<li>()` into ctx.templates and its instance into ctx.body (see the module comment). */
export function emitLinear(layer: QDense | QConv2d, ctx: EmitCtx): Signals {
  const li = ctx.index;
  const nIn = shapeSize(layer.inShape);
  const nOut = shapeSize(layer.outShape);
  const C = layer.bias.length;
  const perW = layer.weight.length / C;
  const positions = linearPositions(layer);
  const P = positions.length;
  positions.forEach((taps, o) => {
    if (taps.length === 0) throw new ZkaiError('BAD_INPUT', `layer ${li}: output position ${o} reads no input cell`);
  });
  const reluAt = fusedReluIndex(ctx.nodes, ctx.consumers, li);
  // With lookups, LogUpRequant computes the same integers as (Requantize|RequantizeRelu) with LogUp limbs.
  const lookups = ctx.lookups !== undefined;
  const B = ctx.limbBits ?? LOGUP_LIMB_BITS;
  const gadget = lookups ? 'LogUpRequant' : reluAt >= 0 ? 'RequantizeRelu' : 'Requantize';
  const relu = reluAt >= 0 ? 1 : 0;
  const t: string[] = [`// layer ${li}: ${layer.kind}, ${C} channels x ${P} positions, ${gadget} to ${layer.outBits} bits.`];
  t.push(`template Layer${li}() {`, `    signal input x[${nIn}];`);
  // Dense reads tap t of weight row t and input t; conv reads its tap tables (start of each position's taps).
  const conv = layer.kind === 'conv2d';
  const tw = (e: string) => (conv ? `tapW[${e}]` : e);
  const tx = (e: string) => (conv ? `tapX[${e}]` : e);
  // Grouped conv: the tap tables are group 0's; channel c of conv group floor(c / Mg) reads them moved by
  // floor(c / Mg)·(C/G)·H·W input cells (geometry.ts). Per-channel and per-pack offsets are var arrays (the source
  // guard admits no integer division).
  const G = conv ? (layer.group ?? 1) : 1;
  const Mg = C / G;
  const groupCells = nIn / G;
  const chX = (c: number) => Math.floor(c / Mg) * groupCells;
  const first = (o: string) => (conv ? `tapStart[${o}]` : '0');
  const end = (o: string) => (conv ? `tapStart[${o} + 1]` : `${nIn}`);
  const tables: string[] = [...varArray('shift', layer.shift)];
  if (conv) {
    const start = [0];
    for (const taps of positions) start.push(start[start.length - 1]! + taps.length);
    tables.push(...varArray('tapStart', start));
    tables.push(
      ...varArray(
        'tapW',
        positions.flatMap((taps) => taps.map(([j]) => j)),
      ),
    );
    tables.push(
      ...varArray(
        'tapX',
        positions.flatMap((taps) => taps.map(([, xi]) => xi)),
      ),
    );
  }
  let cost = 0;
  let reluCost = 0;
  const out: Signals = (i) => `x${li}[${i}]`;
  // Limb counts by width: of the whole layer, and of each channel range (a public-weights part template).
  const limbCounts = (c0: number, c1: number): WidthCounts => {
    const counts = emptyWidthCounts(B);
    for (let c = c0; c < c1; c++)
      for (let o = 0; o < P; o++) addLimbs(counts, lurLimbWidths(layer.accBits, layer.shift[c]!, layer.outBits, relu === 1, B));
    return counts;
  };
  for (let n = 0; n < nOut; n++) {
    const s = layer.shift[Math.floor(n / P)]!;
    if (lookups) {
      cost += lurConstraints(layer.accBits, s, layer.outBits, relu === 1);
      // Linear in committed limbs: one row more if it becomes a logit (EmitCtx.publicLinear).
      if (lurCase(layer.accBits, s, layer.outBits, relu === 1) === 0) ctx.publicLinear?.add(out(n));
    } else if (reluAt >= 0) {
      cost += layer.accBits;
      reluCost += fusedReluCost(layer.accBits, s, layer.outBits);
    } else cost += requantizeCost(layer.accBits, s, layer.outBits);
  }
  if (lookups && !ctx.privateWeights) cost += publicDivisionRows(layer, positions, ctx, relu === 1, chX);
  const rq = (c: string, o: string) => `rq[${c} * ${P} + ${o}]`;
  const args = (c: string) => `${layer.accBits}, shift[${c}], ${layer.outBits}${lookups ? `, ${relu}` : ''}`;
  const requantize = (c: string, o: string, indent: string) => `${indent}${rq(c, o)} = ${gadget}(${args(c)}${lookups ? `, ${B}` : ''});`;
  // After a gadget's input is wired: copy its limbs into the template's `lk` output, by width (logup-emit.ts).
  const route = (c: string, o: string, indent: string) => (lookups ? emitLimbRouting(rq(c, o), args(c), indent, B) : []);
  const lkDecl = (counts: WidthCounts) =>
    lookups ? [`    signal output lk[${counts.reduce((a, n) => a + n, 0)}];`, ...emitLimbCursor(groupStarts(counts))] : [];
  if (ctx.privateWeights) {
    const pk = packLinear(layer);
    t.push(`    signal input p[${pk.weights.length}];`, `    signal input bp[${pk.groups}];`);
    t.push(
      `    signal output y[${nOut}];`,
      ...tables,
      ...lkDecl(limbCounts(0, C)),
      `    component dot[${P * pk.groups}];`,
      `    component rq[${nOut}];`,
    );
    if (G > 1) {
      // Pack g: its first channel, its channel count and its conv group's input offset (commit.ts packLinear).
      const packs = Array.from({ length: pk.groups }, (_, g) => {
        const j = (g % pk.packsPerGroup) * pk.k;
        return { c: Math.floor(g / pk.packsPerGroup) * Mg + j, k: Math.min(pk.k, Mg - j) };
      });
      t.push(
        ...varArray(
          'packC',
          packs.map((q) => q.c),
        ),
        ...varArray(
          'packK',
          packs.map((q) => q.k),
        ),
      );
      t.push(
        ...varArray(
          'packX',
          packs.map((q) => chX(q.c)),
        ),
      );
    }
    t.push(
      `    for (var o = 0; o < ${P}; o++) {`,
      `        for (var g = 0; g < ${pk.groups}; g++) {`,
      ...(G > 1
        ? ['            var kg = packK[g];']
        : [`            var kg = ${pk.channels} - g * ${pk.k};`, `            if (kg > ${pk.k}) kg = ${pk.k};`]),
      `            var q = o * ${pk.groups} + g;`,
      `            dot[q] = PackedDot(${end('o')} - ${first('o')}, kg, ${layer.accBits});`,
      '            dot[q].bias <== bp[g];',
      `            for (var t = ${first('o')}; t < ${end('o')}; t++) {`,
      `                dot[q].p[t - ${first('o')}] <== p[g * ${pk.perChannel} + ${tw('t')}];`,
      `                dot[q].x[t - ${first('o')}] <== x[${tx('t')}${G > 1 ? ' + packX[g]' : ''}];`,
      '            }',
      '            for (var m = 0; m < kg; m++) {',
      requantize(G > 1 ? '(packC[g] + m)' : `(g * ${pk.k} + m)`, 'o', '                '),
      `                ${rq(G > 1 ? '(packC[g] + m)' : `(g * ${pk.k} + m)`, 'o')}.in <== dot[q].acc[m];`,
      ...route(G > 1 ? '(packC[g] + m)' : `(g * ${pk.k} + m)`, 'o', '                '),
      '            }',
      '        }',
      '    }',
    );
    for (const taps of positions) cost += taps.length * pk.groups;
    ctx.body.push(`    signal input p${li}[${pk.weights.length}];`, `    signal input bp${li}[${pk.groups}];`);
    ctx.commit(`p${li}`, pk.weights.length);
    ctx.commit(`bp${li}`, pk.groups);
  } else {
    // Channels [c0, c1) with their weights and biases as var arrays (the whole layer when it is small).
    const part = (c0: number, c1: number): string[] => {
      const n = (c1 - c0) * P;
      return [
        `    signal output y[${n}];`,
        ...varArray('shift', layer.shift.slice(c0, c1)),
        ...tables.slice(varArray('shift', layer.shift).length),
        ...varArray('w', layer.weight.slice(c0 * perW, c1 * perW)),
        ...varArray('b', layer.bias.slice(c0, c1)),
        ...(G > 1
          ? varArray(
              'chX',
              Array.from({ length: c1 - c0 }, (_, c) => chX(c0 + c)),
            )
          : []),
        ...lkDecl(limbCounts(c0, c1)),
        `    component rq[${n}];`,
        `    for (var c = 0; c < ${c1 - c0}; c++) {`,
        `        for (var o = 0; o < ${P}; o++) {`,
        // A linear combination in a var: --O2 substitutes it into the Requantize (no constraint of its own).
        '            var acc = b[c];',
        `            for (var t = ${first('o')}; t < ${end('o')}; t++) acc += w[c * ${perW} + ${tw('t')}] * x[${tx('t')}${G > 1 ? ' + chX[c]' : ''}];`,
        requantize('c', 'o', '            '),
        `            ${rq('c', 'o')}.in <== acc;`,
        ...route('c', 'o', '            '),
        '        }',
        '    }',
        `    for (var n = 0; n < ${n}; n++) y[n] <== rq[n].out;`,
      ];
    };
    // circom initialises a var array in the template's own function: 200,704 weights (784-256) made a 6.8 MB
    // function, near V8's 7.6 MB limit. So a large layer splits its channels over part templates of at most
    // WEIGHTS_PER_TEMPLATE weights each, wired by equalities that --O2 removes (the same constraints).
    const per = Math.max(1, Math.floor(WEIGHTS_PER_TEMPLATE / perW));
    if (C <= per) t.push(...part(0, C), '}', '');
    else {
      t.push(`    signal output y[${nOut}];`);
      const whole = limbCounts(0, C);
      if (lookups) t.push(`    signal output lk[${whole.reduce((a, n) => a + n, 0)}];`);
      const parts: string[] = [];
      const partCounts: WidthCounts[] = [];
      for (let c0 = 0, k = 0; c0 < C; c0 += per, k++) {
        const c1 = Math.min(C, c0 + per);
        parts.push(`template Layer${li}Part${k}() {`, `    signal input x[${nIn}];`, ...part(c0, c1), '}', '');
        t.push(
          `    component part${k} = Layer${li}Part${k}();`,
          `    for (var i = 0; i < ${nIn}; i++) part${k}.x[i] <== x[i];`,
          `    for (var n = 0; n < ${(c1 - c0) * P}; n++) y[${c0 * P} + n] <== part${k}.y[n];`,
        );
        partCounts.push(limbCounts(c0, c1));
      }
      // The layer's `lk`, width group by width group, each the parts' groups of that width in order.
      if (lookups) {
        const starts = groupStarts(whole);
        whole.forEach((_, w) => {
          let at = starts[w]!;
          partCounts.forEach((counts, k) => {
            const n = counts[w]!;
            if (n > 0) t.push(`    for (var i = 0; i < ${n}; i++) lk[${at} + i] <== part${k}.lk[${groupStarts(counts)[w]} + i];`);
            at += n;
          });
        });
      }
      t.push('}', '');
      t.unshift(...parts);
    }
  }
  if (ctx.privateWeights) t.push(`    for (var n = 0; n < ${nOut}; n++) y[n] <== rq[n].out;`, '}', '');
  ctx.templates.push(...t);
  const body = ctx.body;
  body.push(`    component layer${li} = Layer${li}();`, ...wire(nIn, `layer${li}.x`, ctx.input(0)));
  if (ctx.privateWeights) {
    const pk = packLinear(layer);
    body.push(`    for (var i = 0; i < ${pk.weights.length}; i++) layer${li}.p[i] <== p${li}[i];`);
    body.push(`    for (var i = 0; i < ${pk.groups}; i++) layer${li}.bp[i] <== bp${li}[i];`);
  }
  if (reluAt >= 0) body.push(`    // fused with the ReLU of layer ${reluAt}: x${li} holds the post-ReLU values.`);
  body.push(`    signal x${li}[${nOut}];`, `    for (var i = 0; i < ${nOut}; i++) x${li}[i] <== layer${li}.y[i];`);
  if (lookups) ctx.lookups!.push({ component: `layer${li}`, counts: limbCounts(0, C) });
  if (reluAt >= 0) ctx.fusedRelu.set(reluAt, reluCost);
  ctx.cost(layer.kind, cost);
  return out;
}
