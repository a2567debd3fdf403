/** node:fs in the browser console: nothing reads files there (common/hash.ts's sha256File is Node-only). */
export function createReadStream(): never {
  throw new Error('console fs shim: files are not readable in the browser');
}
