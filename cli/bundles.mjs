// Whether a compiled bundle of the zkai command (cli/build-bundle.mjs) may run: plain JavaScript, imported by
// cli/bin.js before any loader exists. A bundle is current while every source file it was built from has the size and
// mtime recorded next to it, so an edited checkout runs its TypeScript, never stale code.
import { readFileSync, statSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);

/** Each bundle's entry file, relative to the dist folder. */
const ENTRIES = { prove: 'prove.mjs', zkai: 'zkai/main.js' };

/**
 * The bundle `name` ('prove': `zkai prove` alone; 'zkai': every command) in `distDir` (a file URL ending in /) as an
 * importable URL, or null when absent or stale.
 */
export function currentBundle(distDir, name) {
  try {
    const { inputs } = JSON.parse(readFileSync(new URL(`${name}.meta.json`, distDir), 'utf8'));
    for (const { file, size, mtimeMs } of inputs) {
      const s = statSync(new URL(file, ROOT));
      if (s.size !== size || s.mtimeMs !== mtimeMs) return null;
    }
    return new URL(ENTRIES[name], distDir).href;
  } catch {
    return null; // not built, or its build failed
  }
}

/** The compiled `zkai prove`, or null. */
export const currentProveBundle = (distDir) => currentBundle(distDir, 'prove');
