import { writeMlpModel } from '../bench/mlp-model.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { estimateConstraints } from '../circuits/model/cost.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { weightElements } from '../circuits/model/commit.ts';
import { readCalibrationCsv } from '../prover/inference.ts';
for (const w of [[784,2048,2048,1280,10],[784,1024,1024,10]]) {
  const m = await writeMlpModel('/tmp/est-'+w.join('-'), w, 6);
  const ir = importOnnx(m.onnx);
  const e = estimateConstraints(ir, { weights: 'private-pedersen', input: 'private-hashed' });
  const qm = quantizeModel(ir, (await readCalibrationCsv(m.csv, 784)).map(r=>r.input));
  console.log(w.join('-'), e.total, 'elements', weightElements(qm).length);
}
