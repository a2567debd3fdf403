#!/usr/bin/env node
// The `zkai` command. zkai is TypeScript; npm ci compiles the command to plain JavaScript (cli/build-bundle.mjs), and
// this runs that compiled code while it is current (cli/bundles.mjs: every source file unchanged since the build), so
// a command starts on bare Node without the tsx loader. `zkai prove` has a bundle of its own, the smallest; it
// leaves ZKAI_ENGINE=wasm or webgpu (the full engine selection) to the full CLI. ZKAI_CLI_BUNDLE=off, a stale or
// missing bundle: the TypeScript through tsx.
import { currentBundle } from './bundles.mjs';

const dist = new URL('./dist/', import.meta.url);
const enabled = process.env.ZKAI_CLI_BUNDLE !== 'off';
const proveBundle =
  enabled && process.argv[2] === 'prove' && ['', 'native', 'snarkjs'].includes((process.env.ZKAI_ENGINE ?? '').trim().toLowerCase())
    ? currentBundle(dist, 'prove')
    : null;
const compiled = proveBundle ?? (enabled ? currentBundle(dist, 'zkai') : null);
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
