/**
 * Float reference executor for ModelIR. It is the yardstick for the quantized circuit: we measure how
 * often the quantized model agrees with this one, and this one is checked against PyTorch's own logits.
 * Computation is in float64 (weights come from float32), so results match PyTorch to ~1e-5.
 */
import { ZkaiError } from '../../common/errors.ts';
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
  const [C, H, W] = layer.inShape;
  const [M, oH, oW] = layer.outShape;
  const [kH, kW] = layer.kernel;
  const [sH, sW] = layer.strides;
  const [pT, pL] = layer.pads;
  const w = layer.weight.data;
  const y = new Float64Array(M * oH * oW);
  for (let m = 0; m < M; m++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        let acc = layer.bias.data[m];
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * sH + ky - pT;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * sW + kx - pL;
              if (ix < 0 || ix >= W) continue;
              acc += w[((m * C + c) * kH + ky) * kW + kx] * x[(c * H + iy) * W + ix];
            }
          }
        }
        y[(m * oH + oy) * oW + ox] = acc;
      }
    }
  }
  return y;
}

function pool2d(layer: Pool2dLayer, x: Float64Array): Float64Array {
  const [C, H, W] = layer.inShape;
  const [, oH, oW] = layer.outShape;
  const [kH, kW] = layer.kernel;
  const [sH, sW] = layer.strides;
  const [pT, pL] = layer.pads;
  const isMax = layer.kind === 'maxpool2d';
  const y = new Float64Array(C * oH * oW);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        let acc = isMax ? Number.NEGATIVE_INFINITY : 0;
        let count = 0;
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * sH + ky - pT;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * sW + kx - pL;
            // Padded cells: ignored by max pooling; counted as zeros by average pooling only with count_include_pad.
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              if (!isMax && layer.countIncludePad) count++;
              continue;
            }
            const v = x[(c * H + iy) * W + ix];
            if (isMax) acc = Math.max(acc, v);
            else acc += v;
            count++;
          }
        }
        y[(c * oH + oy) * oW + ox] = isMax ? acc : acc / count;
      }
    }
  }
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
