/** Types of cli/bundles.mjs (plain JavaScript: cli/bin.js imports it before any TypeScript loader runs). */
export function currentBundle(distDir: URL, name: 'prove' | 'zkai'): string | null;
export function currentProveBundle(distDir: URL): string | null;
