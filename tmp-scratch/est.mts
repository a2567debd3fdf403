import { writeMlpModel } from '../bench/mlp-model.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { estimateConstraints } from '../circuits/model/cost.ts';
for (const w of [[784,256,128,10],[784,1024,1024,10],[784,1024,512,10],[784,2048,10]]) {
  const m = await writeMlpModel('/tmp/est-'+w.join('-'), w, 4);
  const ir = importOnnx(m.onnx);
  for (const weights of ['private-pedersen','public-constants'] as const) {
    const e = estimateConstraints(ir, { weights, input: 'private-hashed' });
    console.log(w.join('-'), weights, e.total);
  }
}
