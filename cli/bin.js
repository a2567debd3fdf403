#!/usr/bin/env node
// The `zkai` command. zkai is TypeScript run through tsx (no build step): register it, then load the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
