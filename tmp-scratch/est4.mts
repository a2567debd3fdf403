import { writeLenetModel } from '../bench/lenet-model.ts';
import { importOnnx } from '../circuits/model/import.ts';
import { estimateConstraints } from '../circuits/model/cost.ts';
import { quantizeModel } from '../circuits/model/quantize.ts';
import { weightElements } from '../circuits/model/commit.ts';
import { readCalibrationCsv } from '../prover/inference.ts';
for (const s of [{ side: 28, c1: 22, c2: 44, hidden: [128, 84] },{ side: 28, c1: 23, c2: 46, hidden: [128, 84] },{ side: 28, c1: 20, c2: 48, hidden: [128, 84] }]) {
  const m = await writeLenetModel('/tmp/estl-'+s.c1+'-'+s.c2, s);
  const ir = importOnnx(m.onnx);
  const e = estimateConstraints(ir, { weights: 'private-pedersen', input: 'private-hashed' });
  const qm = quantizeModel(ir, (await readCalibrationCsv(m.csv, 784)).map(r=>r.input).slice(0,4));
  console.log(JSON.stringify(s), e.total, 'elements', weightElements(qm).length, e.perLayer.map(l=>l.constraints).join(','));
}
