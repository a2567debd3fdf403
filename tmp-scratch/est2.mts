import { writeMlpModel } from '../bench/mlp-model.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { estimateConstraints } from '../circuits/model/cost.ts';
for (const w of [[784,2048,2048,10],[784,2560,2048,10],[784,2048,2048,1024,10], [784,3072,1536,10]]) {
  const m = await writeMlpModel('/tmp/est-'+w.join('-'), w, 4);
  const ir = importOnnx(m.onnx);
  const e = estimateConstraints(ir, { weights: 'private-pedersen', input: 'private-hashed' });
  console.log(w.join('-'), e.total, JSON.stringify(e).slice(0,300));
}
