// `npm start` / `zkai serve`: start the service with configuration from ZKAI_* variables.
// See server/config.ts for each variable and its default.
import { pathToFileURL } from 'node:url';
import { isZkaiError } from '../common/errors.ts';
import { applyWitnessCompile, witnessCompileFrom } from '../prover/witness-compile.ts';
import { configFromEnv } from './config.ts';
import { startService } from './service.ts';

export { configFromEnv, DEFAULT_CONFIG, type ServiceConfig } from './config.ts';
export { type RunningService, type StartOptions, startService } from './service.ts';

// Run only when executed directly (node --import tsx server/main.ts), not when imported by the CLI or tests.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Promise.resolve()
    .then(() => {
      applyWitnessCompile(witnessCompileFrom());
      return startService(configFromEnv());
    })
    .catch((err: unknown) => {
      const message = isZkaiError(err) ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
      process.stderr.write(`[zkai] failed to start: ${message}\n`);
      process.exit(1);
    });
}
