/** Types of cli/prove-bundle.mjs (plain JavaScript: cli/bin.js imports it before any TypeScript loader runs). */
export function currentProveBundle(distDir: URL): string | null;
