import { benchModelFixtures } from '../bench/model-fixtures.ts';
process.env.ZKAI_BENCH_FIXTURES = 'off';
const out = await benchModelFixtures((m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`));
console.log(JSON.stringify(out, null, 1));
