import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Path of the snarkjs command-line entry (snarkjs exports no package.json, so go through its main file). */
export function snarkjsCliPath(): string {
  return path.resolve(path.dirname(require.resolve('snarkjs')), '..', 'cli.js');
}
