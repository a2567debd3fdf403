/**
 * The window geometry of convolution and pooling layers, written once and shared by the float executor, the
 * integer executor and the circuit generator, so all three read the same input cells for every output.
 */

/** What the window walks need of a conv or pool layer (float IR or quantized). */
export interface WindowGeometry {
  inShape: readonly number[];
  outShape: readonly number[];
  kernel: readonly [number, number];
  strides: readonly [number, number];
  pads: readonly [number, number, number, number];
  /** Conv only: ONNX group (absent: 1) and dilations (absent: [1, 1]). */
  group?: number;
  dilations?: readonly [number, number];
}

/**
 * Visits every conv output (channel m, flat output index o) with its list of [weight index, input index] taps,
 * skipping padded cells. Shared by the executor and the code generator so both use the same geometry.
 * Grouped conv (weight [M, C/G, kH, kW]): output channel m is in group g = floor(m / (M/G)) and reads input channels
 * g·C/G .. (g+1)·C/G - 1, its weight index counting only those; dilation d spaces the kernel taps d cells apart.
 * The taps of one group are those of group 0 with every input index moved by g·(C/G)·H·W (the emitter relies on it).
 */
export function forEachConvTap(layer: WindowGeometry, visit: (m: number, o: number, taps: [number, number][]) => void): void {
  const [C, H, W] = layer.inShape as [number, number, number];
  const [M, oH, oW] = layer.outShape as [number, number, number];
  const [kH, kW] = layer.kernel;
  const [sH, sW] = layer.strides;
  const [pT, pL] = layer.pads;
  const [dH, dW] = layer.dilations ?? [1, 1];
  const G = layer.group ?? 1;
  const Cg = C / G;
  const Mg = M / G;
  for (let m = 0; m < M; m++) {
    const c0 = Math.floor(m / Mg) * Cg;
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        const taps: [number, number][] = [];
        for (let c = 0; c < Cg; c++) {
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * sH + ky * dH - pT;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * sW + kx * dW - pL;
              if (ix < 0 || ix >= W) continue;
              taps.push([((m * Cg + c) * kH + ky) * kW + kx, ((c0 + c) * H + iy) * W + ix]);
            }
          }
        }
        visit(m, (m * oH + oy) * oW + ox, taps);
      }
    }
  }
}

/**
 * Visits every pooling output with the flat input indices of its window and the divisor (average pooling): the cells,
 * or with count_include_pad also the padded cells within the explicit pads (not a ceil-mode window's overhang).
 */
export function forEachPoolWindow(
  layer: WindowGeometry & { countIncludePad: boolean },
  visit: (o: number, cells: number[], divisor: number) => void,
): void {
  const [C, H, W] = layer.inShape as [number, number, number];
  const [, oH, oW] = layer.outShape as [number, number, number];
  const [kH, kW] = layer.kernel;
  const [sH, sW] = layer.strides;
  const [pT, pL, pB, pR] = layer.pads;
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        const cells: number[] = [];
        let padded = 0;
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * sH + ky - pT;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * sW + kx - pL;
            // A ceil-mode window may reach past the explicit padding: those cells are neither input nor padding.
            if (iy < -pT || iy >= H + pB || ix < -pL || ix >= W + pR) continue;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) padded++;
            else cells.push((c * H + iy) * W + ix);
          }
        }
        visit((c * oH + oy) * oW + ox, cells, cells.length + (layer.countIncludePad ? padded : 0));
      }
    }
  }
}

/**
 * The taps of one output channel of group 0 per output position (flat: position o's taps are start[o] .. start[o+1]),
 * as [weight index within a channel, input index]: channel m of group g reads w[m·perW + w] and x[x + g·groupCells].
 * The same taps as forEachConvTap, computed once per layer (cached by object) instead of once per output channel:
 * the executors' inner loops over it allocate nothing.
 */
export interface ConvTapTable {
  start: Int32Array;
  w: Int32Array;
  x: Int32Array;
  perW: number;
  /** Output channels per group, and input cells per group (C/G·H·W). */
  perGroup: number;
  groupCells: number;
}
const tapTables = new WeakMap<object, ConvTapTable>();
export function convTapTable(layer: WindowGeometry): ConvTapTable {
  const cached = tapTables.get(layer);
  if (cached) return cached;
  const [C, H, W] = layer.inShape as [number, number, number];
  const [M, oH, oW] = layer.outShape as [number, number, number];
  const G = layer.group ?? 1;
  const one = { ...layer, inShape: [C / G, H, W], outShape: [1, oH, oW], group: 1 };
  const start = [0];
  const ws: number[] = [];
  const xs: number[] = [];
  forEachConvTap(one, (_m, _o, taps) => {
    for (const [wi, xi] of taps) {
      ws.push(wi);
      xs.push(xi);
    }
    start.push(ws.length);
  });
  const table = {
    start: Int32Array.from(start),
    w: Int32Array.from(ws),
    x: Int32Array.from(xs),
    perW: (C / G) * layer.kernel[0] * layer.kernel[1],
    perGroup: M / G,
    groupCells: (C / G) * H * W,
  };
  tapTables.set(layer, table);
  return table;
}
