/**
 * SHA-256 of a short ASCII string, in JavaScript, for the record-id element of every leaf (leaf.ts writeLeafInputs).
 * Why not node:crypto: its one-shot hash costs ~2.4 µs a call here (a digest context per call), a third of a
 * million-record commit's encoding; this loop over the string's characters takes well under a microsecond for an
 * id of one or two blocks, with no allocation. Strings with a character above 0x7f are left to node:crypto (their
 * UTF-8 bytes differ from their char codes). Tested against node:crypto (sha256-ascii.test.ts).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);
const H = new Int32Array(8);

/**
 * Writes the first `take` (<= 32) bytes of sha256(s) at `pos` of `out` and returns true, or returns false (writing
 * nothing) when s has a character above 0x7f.
 */
export function sha256AsciiInto(s: string, out: Uint8Array, pos: number, take: number): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return false;
  const blocks = (n + 9 + 63) >>> 6;
  H.set(H0);
  for (let b = 0; b < blocks; b++) {
    const base = b * 64;
    if (base + 64 <= n) {
      for (let t = 0; t < 16; t++) {
        const i = base + 4 * t;
        W[t] = (s.charCodeAt(i) << 24) | (s.charCodeAt(i + 1) << 16) | (s.charCodeAt(i + 2) << 8) | s.charCodeAt(i + 3);
      }
    } else {
      // The block with the string's end: its last characters, 0x80, zeros, and in the last block the length in bits
      // (big-endian 64-bit; ids are far below 2^29 characters, so its top word is 0).
      W.fill(0, 0, 16);
      const end = Math.min(n, base + 64);
      for (let i = base; i < end; i++) {
        const k = (i - base) >>> 2;
        W[k] = W[k]! | (s.charCodeAt(i) << (24 - 8 * ((i - base) & 3)));
      }
      if (n >= base && n < base + 64) {
        const k = (n - base) >>> 2;
        W[k] = W[k]! | (0x80 << (24 - 8 * ((n - base) & 3)));
      }
      if (b === blocks - 1) W[15] = n * 8;
    }
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15]!;
      const w2 = W[t - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let a = H[0]!;
    let bb = H[1]!;
    let c = H[2]!;
    let d = H[3]!;
    let e = H[4]!;
    let f = H[5]!;
    let g = H[6]!;
    let h = H[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    H[0] = (H[0]! + a) | 0;
    H[1] = (H[1]! + bb) | 0;
    H[2] = (H[2]! + c) | 0;
    H[3] = (H[3]! + d) | 0;
    H[4] = (H[4]! + e) | 0;
    H[5] = (H[5]! + f) | 0;
    H[6] = (H[6]! + g) | 0;
    H[7] = (H[7]! + h) | 0;
  }
  for (let i = 0; i < take; i++) out[pos + i] = (H[i >>> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  return true;
}
