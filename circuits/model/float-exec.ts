/**
 * Float reference executor for ModelIR. It is the yardstick for the quantized circuit: we measure how
 * often the quantized model agrees with this one, and this one is checked against PyTorch's own logits.
 * Computation is in float64 (weights come from float32), so results match PyTorch to ~1e-5.
 */
import { ZkaiError } from '../../common/errors.ts';
import { forEachConvTap, forEachPoolWindow } from './geometry.ts';
import type { Conv2dLayer, Layer, ModelIR, Pool2dLayer } from './ir.ts';
import { shapeSize } from './ir.ts';

/** Runs one layer on a row-major per-sample tensor. */
export function runLayer(layer: Layer, x: Float64Array): Float64Array {
  switch (layer.kind) {
    case 'dense': {
      const [N, K] = layer.weight.shape;
      const w = layer.weight.data;
      const y = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        let acc = layer.bias.data[n];
        for (let k = 0; k < K; k++) acc += w[n * K + k] * x[k];
        y[n] = acc;
      }
      return y;
    }
    case 'conv2d':
      return conv2d(layer, x);
    case 'relu':
      return x.map((v) => Math.max(v, 0));
    case 'maxpool2d':
    case 'avgpool2d':
      return pool2d(layer, x);
    case 'reshape':
      return x;
    case 'channel-affine': {
      const per = shapeSize(layer.inShape) / layer.inShape[0];
      return x.map((v, i) => {
        const c = Math.floor(i / per);
        return v * layer.scale.data[c] + layer.shift.data[c];
      });
    }
    case 'add-const':
      return x.map((v, i) => v + layer.constant.data[i]);
  }
}

function conv2d(layer: Conv2dLayer, x: Float64Array): Float64Array {
  const w = layer.weight.data;
  const y = new Float64Array(shapeSize(layer.outShape));
  forEachConvTap(layer, (m, o, taps) => {
    let acc = layer.bias.data[m]!;
    for (const [wi, xi] of taps) acc += w[wi]! * x[xi]!;
    y[o] = acc;
  });
  return y;
}

function pool2d(layer: Pool2dLayer, x: Float64Array): Float64Array {
  const isMax = layer.kind === 'maxpool2d';
  const y = new Float64Array(shapeSize(layer.outShape));
  forEachPoolWindow(layer, (o, cells, divisor) => {
    // Padded cells: ignored by max pooling; counted as zeros by average pooling only with count_include_pad
    // (forEachPoolWindow folds that into the divisor).
    if (isMax) y[o] = Math.max(...cells.map((i) => x[i]!));
    else y[o] = cells.reduce((acc, i) => acc + x[i]!, 0) / divisor;
  });
  return y;
}

/**
 * Runs the whole model on one sample (row-major, per-sample input shape, e.g. 64 pixel values) and
 * returns the output (logits) in float64.
 */
export function runFloat(ir: ModelIR, input: ArrayLike<number>): Float64Array {
  const n = shapeSize(ir.inputShape);
  if (input.length !== n) throw new ZkaiError('BAD_INPUT', `model input needs ${n} values (shape [${ir.inputShape}]), got ${input.length}`);
  let x: Float64Array = Float64Array.from(input);
  for (const layer of ir.layers) x = runLayer(layer, x);
  return x;
}

/** Index of the largest value (first one on ties), i.e. the predicted class. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
