/**
 * How a `zkai` command ends: its exit code, or an error mapped to one. One table for every entry point (cli/main.ts
 * and the compiled `zkai prove` bundle, cli/prove-main.ts).
 *
 * Exit codes: 0 ok, 1 a proof did not verify or the operation failed, 2 bad input / usage; `zkai verify` also 3, a
 * proof that holds only against the bundle's own key, which nothing pinned (EXIT_UNPINNED_KEY).
 */
import { isZkaiError, type ZkaiErrorCode } from '../common/errors.ts';

const INPUT_CODES = new Set<ZkaiErrorCode>([
  'BAD_INPUT',
  'BAD_DATASET',
  'BAD_BUNDLE',
  'UNKNOWN_RECORD',
  'UNKNOWN_DATASET',
  'UNKNOWN_CIRCUIT',
  // A service refusing a remote command (cli/remote.ts) names the model or job it does not know.
  'UNKNOWN_MODEL',
  'UNKNOWN_JOB',
  'BAD_PTAU',
]);

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The exit code for an error a command threw, after saying what it was on stderr. */
export function reportError(err: unknown): number {
  if (isZkaiError(err)) {
    log(`error [${err.code}]: ${err.message}`);
    return INPUT_CODES.has(err.code) ? 2 : 1;
  }
  // An unknown flag or a missing flag value (node:util parseArgs): a usage error, not a crash.
  if (String((err as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS')) {
    log(`error [BAD_INPUT]: ${(err as Error).message} (zkai help lists the commands and their flags)`);
    return 2;
  }
  log(`error: ${(err as Error)?.stack ?? err}`);
  return 1;
}

/** Runs a command to its end and exits the process with its code (snarkjs keeps worker threads alive otherwise). */
export function exitWith(command: Promise<number>): void {
  command.then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err) => process.exit(reportError(err)),
  );
}
