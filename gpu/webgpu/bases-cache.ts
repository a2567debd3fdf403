/**
 * Bases kept resident on the device between MSM calls. The Groth16 prover multiplies the same zkey
 * sections (A, B1, C, H) every proof, so each distinct bases buffer is uploaded and converted to the
 * GPU's Montgomery form once. Lookup is by buffer identity first (no hashing on the hot path); a new
 * buffer with the same bytes (the zkey read again) is recognised by its SHA-256, which costs far less
 * than an upload and conversion. Entries are evicted least-recently-used beyond a byte budget.
 * Contract: a bases buffer is not modified in place while it may still be cached (zkey sections never
 * are); an identity hit re-checks a spot sample of the bytes, which catches a reused scratch buffer.
 */
import { createHash } from 'node:crypto';
import type { GpuContext } from './device.ts';
import { DispatchBatch, getPipeline, storageBuffer, writeBuffer } from './runtime.ts';
import { convertBasesWgsl } from './wgsl/msm-kernels.ts';

const POINT_BYTES = 64;

/** 64 evenly spaced 8-byte windows of the buffer, hex. */
function spotSample(bytes: Uint8Array): string {
  const parts: string[] = [];
  const step = Math.max(8, Math.floor(bytes.byteLength / 64));
  for (let at = 0; at + 8 <= bytes.byteLength; at += step) parts.push(Buffer.from(bytes.subarray(at, at + 8)).toString('hex'));
  return parts.join('');
}

export interface ResidentBases {
  /** Storage buffers of at most `chunkPoints` points each, 16 u32 words per point (GPU form). */
  chunks: GPUBuffer[];
  chunkPoints: number;
  points: number;
  bytes: number;
}

interface Entry {
  key: string;
  /** Spot sample of the bytes, re-checked on identity hits so a reused scratch buffer is not mistaken. */
  sample: string;
  value: Promise<ResidentBases>;
  bytes: number;
}

export class BasesCache {
  private readonly byIdentity = new WeakMap<ArrayBufferLike, Map<string, Entry>>();
  private readonly byHash = new Map<string, Entry>();
  private residentBytes = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly budgetBytes: number,
    private readonly chunkPoints: number,
  ) {}

  get size(): number {
    return this.byHash.size;
  }

  /** Resident copy of `bases` (all of its points). */
  get(bases: Uint8Array): Promise<ResidentBases> {
    const idKey = `${bases.byteOffset}:${bases.byteLength}`;
    let ids = this.byIdentity.get(bases.buffer);
    const known = ids?.get(idKey);
    if (known && this.byHash.get(known.key) === known && known.sample === spotSample(bases)) return this.touch(known).value;
    const key = createHash('sha256').update(bases).digest('hex');
    let entry = this.byHash.get(key);
    if (!entry) {
      const bytes = bases.byteLength;
      entry = { key, bytes, sample: spotSample(bases), value: this.upload(bases) };
      this.byHash.set(key, entry);
      this.residentBytes += bytes;
      this.evict(entry);
      entry.value.catch(() => this.drop(key));
    }
    if (!ids) {
      ids = new Map();
      this.byIdentity.set(bases.buffer, ids);
    }
    ids.set(idKey, entry);
    return this.touch(entry).value;
  }

  private touch(entry: Entry): Entry {
    this.byHash.delete(entry.key);
    this.byHash.set(entry.key, entry);
    return entry;
  }

  private evict(keep: Entry): void {
    for (const entry of this.byHash.values()) {
      if (this.residentBytes <= this.budgetBytes) break;
      if (entry !== keep) this.drop(entry.key);
    }
  }

  private drop(key: string): void {
    const entry = this.byHash.get(key);
    if (!entry) return;
    this.byHash.delete(key);
    this.residentBytes -= entry.bytes;
    entry.value
      .then((r) => {
        for (const b of r.chunks) b.destroy();
      })
      .catch(() => {});
  }

  private async upload(bases: Uint8Array): Promise<ResidentBases> {
    const points = Math.floor(bases.byteLength / POINT_BYTES);
    const convert = getPipeline(this.ctx, convertBasesWgsl(), 'main');
    const chunks: GPUBuffer[] = [];
    const batch = new DispatchBatch(this.ctx);
    for (let start = 0; start < Math.max(points, 1); start += this.chunkPoints) {
      const count = Math.min(this.chunkPoints, points - start);
      const buffer = storageBuffer(this.ctx, Math.max(count, 1) * POINT_BYTES, 'msm bases');
      writeBuffer(this.ctx, buffer, 0, bases.subarray(start * POINT_BYTES, (start + count) * POINT_BYTES));
      batch.dispatch(convert, [count * 2], [buffer]);
      chunks.push(buffer);
    }
    await batch.submit();
    return { chunks, chunkPoints: this.chunkPoints, points, bytes: bases.byteLength };
  }

  clear(): void {
    for (const key of [...this.byHash.keys()]) this.drop(key);
  }
}
