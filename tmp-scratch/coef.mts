import { readR1cs } from '../circuits/r1cs.ts';
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const r = await readR1cs(process.argv[2]!);
const hist = new Map<string, number>();
let n = 0;
for (const c of r.constraints) for (const lc of [c.a, c.b, c.c]) for (const [, v] of lc) {
  n++;
  const pos = v.toString(2).length, neg = (P - v).toString(2).length;
  const key = `${pos <= neg ? '+' : '-'}${Math.min(pos, neg) <= 4 ? '<=4' : Math.min(pos, neg) <= 16 ? '<=16' : Math.min(pos,neg) <= 64 ? '<=64' : '>64'}`;
  hist.set(key, (hist.get(key) ?? 0) + 1);
}
console.log(n, [...hist].sort());
