// Runs the test files named on the command line, in that order, with Node's test runner (run-all.mjs starts it with
// `--import tsx`, which each file's child process inherits). Why not `node --test <files>`: Node 20 sorts the files it
// is given by name, so run-all's longest-first order was silently undone and the last long file ran alone while the
// other lane sat idle. run() keeps the order.
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const concurrency = Number(process.env.ZKAI_TEST_CONCURRENCY || 2);
const files = process.argv.slice(2);
let failed = false;
const stream = run({ files, concurrency, timeout: 1_200_000 });
stream.on('test:fail', () => {
  failed = true;
});
// The same reporters `node --test` picks: spec on a terminal, TAP otherwise (CI reads TAP's closing summary).
stream.compose(process.stdout.isTTY ? spec : tap).pipe(process.stdout);
stream.once('end', () => {
  process.exitCode = failed ? 1 : 0;
});
