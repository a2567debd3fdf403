// Whether a compiled `zkai prove` (cli/build-bundle.mjs) may run: plain JavaScript, imported by cli/bin.js before
// any loader exists. A bundle is current while every source file it was built from has the size and mtime recorded
// next to it, so an edited checkout runs its TypeScript, never stale code.
import { readFileSync, statSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);

/** The bundle in `distDir` (a file URL ending in /) as an importable URL, or null when absent or stale. */
export function currentProveBundle(distDir) {
  try {
    const { inputs } = JSON.parse(readFileSync(new URL('prove.meta.json', distDir), 'utf8'));
    for (const { file, size, mtimeMs } of inputs) {
      const s = statSync(new URL(file, ROOT));
      if (s.size !== size || s.mtimeMs !== mtimeMs) return null;
    }
    return new URL('prove.mjs', distDir).href;
  } catch {
    return null; // not built, or its build failed
  }
}
