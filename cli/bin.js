#!/usr/bin/env node
// The `zkai` command. zkai is TypeScript run through tsx (no build step): register it, then load the CLI.
// `zkai prove` is the exception when a current compiled bundle of it exists (cli/build-bundle.mjs, run by npm ci;
// cli/prove-bundle.mjs says when it is current): it then starts on bare Node, without the loader. ZKAI_ENGINE=wasm
// or webgpu (the full engine selection) and ZKAI_CLI_BUNDLE=off take the TypeScript path.
import { currentProveBundle } from './prove-bundle.mjs';

const compiled =
  process.argv[2] === 'prove' &&
  process.env.ZKAI_CLI_BUNDLE !== 'off' &&
  ['', 'native', 'snarkjs'].includes((process.env.ZKAI_ENGINE ?? '').trim().toLowerCase())
    ? currentProveBundle(new URL('./dist/', import.meta.url))
    : null;
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
