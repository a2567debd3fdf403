import { writeLenetModel } from '../bench/lenet-model.ts';
const files = await writeLenetModel('/tmp/largest-model', { side: 28, c1: 23, c2: 46, hidden: [128, 84] }, 26);
console.log(JSON.stringify(files));
