/**
 * Entry point of the compiled `zkai prove` (cli/build-bundle.mjs bundles it to cli/dist/prove.mjs at install, and
 * cli/bin.js runs that when it is current): the command alone, without the TypeScript loader or the rest of the CLI.
 * argv is that of `zkai prove …`.
 */
import { exitWith } from './exit.ts';
import { proveCommand } from './prove-cli.ts';

exitWith(proveCommand(process.argv.slice(3)));
