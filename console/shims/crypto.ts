/**
 * The part of node:crypto that the shared verification code reaches in the browser (common/hash.ts: sha256), on
 * @noble/hashes. Anything else throws: the console must not silently run a Node-only path.
 */
import { sha256 } from '@noble/hashes/sha2.js';

class Sha256 {
  private readonly chunks: Uint8Array[] = [];
  update(data: string | Uint8Array): this {
    this.chunks.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return this;
  }
  digest(encoding: 'hex'): string {
    if (encoding !== 'hex') throw new Error(`console crypto shim: digest(${encoding}) is not supported`);
    const h = sha256.create();
    for (const c of this.chunks) h.update(c);
    return Array.from(h.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
  }
}

export function createHash(algorithm: string): Sha256 {
  if (algorithm !== 'sha256') throw new Error(`console crypto shim: ${algorithm} is not supported`);
  return new Sha256();
}

export function randomBytes(): never {
  throw new Error('console crypto shim: randomBytes is not available in the browser console');
}
