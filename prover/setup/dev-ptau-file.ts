import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { blake2b } from '@noble/hashes/blake2.js';
import { buildBn128 } from 'ffjavascript';
import type { NativeEngine } from '../native/api.ts';
import { bestWindow, createFixedBasePool, type FixedBasePool, type Group, SCALAR_BYTES } from './fixed-base.ts';
import { frBatchInverse, frInv, frMod, frMul, frPow, writeScalarLE } from './fr.ts';
import { BN128_Q, ptauSectionSizes } from './ptau.ts';
import {
  blake512,
  concat,
  contributionSectionBytes,
  devContributionSectionSize,
  type FfCurve,
  firstChallengeHash,
  G1_BYTES,
  G2_BYTES,
  keyPart,
  pointBytes,
  pubKeyBytes,
  toPartialHash,
  u32,
  u64,
} from './ptau-transcript.ts';

/** The toxic waste of a (one-party) powers-of-tau ceremony. Non-zero scalars below r. */
export interface PtauSecrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
}

export interface WriteDevPtauOptions {
  /** Also write the phase-2 sections 12–15 (default true). false writes what `powersoftau contribute` would. */
  prepared?: boolean;
  threads?: number;
  /** Points per worker job (default 4096, 65536 with an engine); tests use odd sizes to cross chunk boundaries. */
  chunk?: number;
  /**
   * The native engine: fixed-base multiplication on its thread pool, and the Lagrange sections as
   * inverse NTTs of the powers of τ (L_i(τ) = (1/m)·Σ_j τ^j·ω^(−ij)) instead of a batch inversion
   * per domain in BigInt arithmetic. Absent: ffjavascript's WASM in worker threads.
   */
  engine?: DevPtauEngine | null;
  log?: (msg: string) => void;
}

/** What the dev ptau writer needs from the native engine. */
export type DevPtauEngine = Pick<NativeEngine, 'g1FixedBase' | 'g2FixedBase' | 'ntt'> & { readonly threads?: number };

/** A FixedBasePool over the engine; compressed forms (for the transcript hash) come from ffjavascript. */
function enginePool(engine: DevPtauEngine, curve: FfCurve): FixedBasePool {
  return {
    threads: Math.max(1, Math.min(engine.threads ?? 2, 4)),
    async multiply(group, scalars, mulOpts = {}) {
      const lem = group === 'G1' ? await engine.g1FixedBase(scalars) : await engine.g2FixedBase(scalars);
      return mulOpts.compressed ? { lem, comp: await curve[group].batchLEMtoC(lem) } : { lem };
    },
    async close() {},
  };
}

/** first·inc^i for i < n, packed as the engine takes scalars (one BigInt multiplication each). */
function packedGeometric(first: bigint, inc: bigint, n: number): Uint8Array {
  const buf = new Uint8Array(n * SCALAR_BYTES);
  const view = new DataView(buf.buffer);
  let s = first;
  for (let i = 0; i < n; i++) {
    writeScalarLE(view, i * SCALAR_BYTES, s);
    s = frMul(s, inc);
  }
  return buf;
}

/** Pack canonical scalars (times `factor`) as the workers take them. */
function packScalars(values: bigint[], factor = 1n): Uint8Array {
  const buf = new Uint8Array(values.length * SCALAR_BYTES);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < values.length; i++) writeScalarLE(view, i * SCALAR_BYTES, factor === 1n ? values[i]! : frMul(factor, values[i]!));
  return buf;
}

/** first·inc^i for i in [start, start+n). */
function geometricScalars(first: bigint, inc: bigint, start: number, n: number): bigint[] {
  const out = new Array<bigint>(n);
  let s = frMul(first, frPow(inc, BigInt(start)));
  for (let i = 0; i < n; i++) {
    out[i] = s;
    s = frMul(s, inc);
  }
  return out;
}

/**
 * L_i(τ) for the size-2^p domain, i in [start, start+n), where
 * L_i(τ) = (τ^m − 1)/m · ω^i/(τ − ω^i) (m = 2^p, ω = ffjavascript's root of unity of order m):
 * exactly what an inverse FFT of [τ^0 … τ^(m−1)] gives, i.e. `prepare phase2`'s output.
 *
 * `truncated` reproduces the last block of section 12: snarkjs builds it from only m−1 powers
 * (section 2 has 2·2^power − 1) plus a zero point, so that block is
 * L_i(τ) − (1/m)·ω^i·τ^(m−1) — the inverse FFT without its τ^(m−1) term.
 */
function lagrangeScalars(tau: bigint, omega: bigint, p: number, truncated: boolean, start: number, n: number): bigint[] {
  const m = 2n ** BigInt(p);
  const mInv = frInv(m);
  const c = frMul(frMod(frPow(tau, m) - 1n), mInv);
  const t = truncated ? frMul(frPow(tau, m - 1n), mInv) : 0n;
  const omegas = geometricScalars(frPow(omega, BigInt(start)), omega, 0, n);
  const inv = frBatchInverse(omegas.map((wi) => frMod(tau - wi)));
  return omegas.map((wi, i) => frMul(wi, frMod(frMul(c, inv[i]!) - t)));
}

/** Where each section's data starts, in the order snarkjs writes them; sections are back to back. */
function layout(ids: number[], sizes: Map<number, number>): Map<number, number> {
  const offsets = new Map<number, number>();
  let pos = 12; // magic, version, number of sections
  for (const id of ids) {
    offsets.set(id, pos + 12); // type (u32) and size (u64) come first
    pos += 12 + sizes.get(id)!;
  }
  return offsets;
}

/**
 * Write a powers-of-tau file for the given secrets, in exactly the layout snarkjs writes with
 * `powersoftau new` + one `contribute` (+ `prepare phase2` when `prepared`), but computing
 * every point directly as scalar × generator (no group FFTs), which is much faster.
 *
 * Section 7 holds one valid contribution (proofs of knowledge for τ, α, β and the transcript
 * hashes) named DEV_CONTRIBUTION_NAME, so `snarkjs powersoftau verify` accepts the file and
 * anyone who inspects it sees that it is insecure.
 *
 * The caller owns the secrets: this function keeps them only in local variables.
 */
export async function writeDevPtauFile(file: string, power: number, secrets: PtauSecrets, opts: WriteDevPtauOptions = {}): Promise<void> {
  const prepared = opts.prepared ?? true;
  const { tau, alpha, beta } = secrets;
  if (!Number.isInteger(power) || power < 1 || power > 27) throw new RangeError(`bad ptau power ${power}`);
  for (const x of [tau, alpha, beta]) if (x <= 0n || frMod(x) !== x) throw new RangeError('ptau secrets must be in [1, r)');
  // A τ inside a domain (τ^m = 1) would make a Lagrange denominator zero. It never happens for random τ.
  if (frPow(tau, 2n ** BigInt(power + 1)) === 1n) throw new RangeError('tau is a root of unity');

  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    opts.log?.(`  ${what} (${((performance.now() - started) / 1000).toFixed(2)}s)`);
    return result;
  };
  const n = 2 ** power;
  const sizes = ptauSectionSizes(power);
  sizes.set(1, 4 + 32 + 4 + 4); // n8, q, power, ceremony power
  sizes.set(7, devContributionSectionSize());
  const ids = prepared ? [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15] : [1, 2, 3, 4, 5, 6, 7];
  const offsets = layout(ids, sizes);
  const isG2 = (id: number) => id === 3 || id === 6 || id === 13;
  const pointsIn = (group: Group) =>
    ids.filter((id) => id !== 1 && id !== 7 && isG2(id) === (group === 'G2')).reduce((s, id) => s + sizes.get(id)! / pointBytes(group), 0);
  const engine = opts.engine ?? null;
  const threads = opts.threads ?? availableParallelism();
  const chunk = opts.chunk ?? (engine ? 1 << 16 : 4096);

  const { curve, key, challenge, pool } = await timed(
    engine ? 'curve, contribution key' : `curve, contribution key, ${threads} workers with window tables`,
    async () => {
      const curve = (await buildBn128(true)) as FfCurve; // single-threaded: small work here, WASM code for the pool
      const challenge = firstChallengeHash(curve, power);
      const key = [keyPart(curve, 0, challenge, tau), keyPart(curve, 1, challenge, alpha), keyPart(curve, 2, challenge, beta)];
      const pool: FixedBasePool = engine
        ? enginePool(engine, curve)
        : await createFixedBasePool({
            wasmCode: curve.tm.code,
            generators: { G1: curve.G1.g, G2: curve.G2.g },
            window: { G1: bestWindow(pointsIn('G1') / threads), G2: bestWindow(pointsIn('G2') / threads) },
            threads,
          });
      return { curve, key, challenge, pool };
    },
  );

  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(file, 'w+');
    const out = fh;
    const write = async (data: Uint8Array, pos: number) => {
      await out.write(data, 0, data.length, pos);
    };
    await write(concat([new TextEncoder().encode('ptau'), u32(1), u32(ids.length)]), 0);
    for (const id of ids) await write(concat([u32(id), u64(sizes.get(id)!)]), offsets.get(id)! - 12);
    const q = new Uint8Array(32);
    let qv = BN128_Q;
    for (let i = 0; i < 32; i++, qv >>= 8n) q[i] = Number(qv & 0xffn);
    await write(concat([u32(32), q, u32(power), u32(power)]), offsets.get(1)!);

    // Jobs run on the workers; results are written at their place in the file as they finish,
    // with a bounded number in flight so memory stays flat at any power.
    const inFlight: Promise<void>[] = [];
    const submit = async (job: Promise<void>) => {
      job.catch(() => {}); // awaited below; this only keeps a failure from counting as "unhandled" meanwhile
      inFlight.push(job);
      if (inFlight.length >= 4 * pool.threads) await inFlight.shift();
    };
    const drain = async () => {
      while (inFlight.length) await inFlight.shift();
    };
    const pointsAt = (id: number, group: Group, index: number, scalars: Uint8Array) =>
      pool.multiply(group, scalars).then((r) => write(r.lem, offsets.get(id)! + index * pointBytes(group)));

    // Sections 2–6. The response hash covers their points compressed, in file order, so these
    // results are also consumed in order.
    const responseHasher = blake2b.create({ dkLen: 64 });
    responseHasher.update(challenge);
    const firstPoints = new Map<number, Uint8Array>();
    // With an engine, the powers τ^i, α·τ^i, β·τ^i are computed once: they also feed the Lagrange NTTs.
    const powers = engine
      ? { tau: packedGeometric(1n, tau, 2 * n - 1), alpha: packedGeometric(alpha, tau, n), beta: packedGeometric(beta, tau, n) }
      : undefined;
    const scalarsOf = (first: bigint, start: number, count: number): Uint8Array => {
      const src = powers && (first === 1n ? powers.tau : first === alpha ? powers.alpha : first === beta ? powers.beta : undefined);
      if (src) return src.slice(start * SCALAR_BYTES, (start + count) * SCALAR_BYTES);
      return packScalars(geometricScalars(first, tau, start, count));
    };
    const geometric = async (id: number, group: Group, count: number, first: bigint) => {
      const pending: Promise<{ lem: Uint8Array; comp?: Uint8Array }>[] = [];
      let written = 0;
      const consume = async () => {
        const r = await pending.shift()!;
        if (!firstPoints.has(id)) firstPoints.set(id, r.lem.slice(0, Math.min(2, count) * pointBytes(group)));
        responseHasher.update(r.comp!);
        await write(r.lem, offsets.get(id)! + written);
        written += r.lem.length;
      };
      for (let start = 0; start < count; start += chunk) {
        const scalars = scalarsOf(first, start, Math.min(chunk, count - start));
        const job = pool.multiply(group, scalars, { compressed: true });
        job.catch(() => {}); // consumed in order below
        pending.push(job);
        if (pending.length >= 2 * pool.threads) await consume();
      }
      while (pending.length) await consume();
    };
    await timed(`τ^i·G1, τ^i·G2, α·τ^i·G1, β·τ^i·G1, β·G2 (sections 2–6, ${5 * n} points)`, async () => {
      await geometric(2, 'G1', 2 * n - 1, 1n);
      await geometric(3, 'G2', n, 1n);
      await geometric(4, 'G1', n, alpha);
      await geometric(5, 'G1', n, beta);
      await geometric(6, 'G2', 1, beta);
    });

    if (prepared && engine && powers) {
      // Sections 12–15 from inverse NTTs of the powers: the block of domain 2^p is INTT(τ^0 … τ^(2^p − 1))
      // (times α, β: INTT of α·τ^i, β·τ^i). Section 12's extra block 2^(power+1) is the INTT of the
      // 2n − 1 powers section 2 holds and a zero, which is exactly snarkjs's truncated block.
      await timed(`L_i(τ) in G1, G2, α·G1, β·G1 (sections 12–15, ${10 * n - 4} points, inverse NTTs)`, async () => {
        const lagrange = async (src: Uint8Array, m: number): Promise<Uint8Array> => {
          const values = new Uint8Array(m * SCALAR_BYTES);
          values.set(src.subarray(0, Math.min(src.length, m * SCALAR_BYTES)));
          return m === 1 ? values : engine.ntt(values, { inverse: true });
        };
        const blockAt = async (id: number, group: Group, block: number, scalars: Uint8Array) => {
          for (let start = 0; start * SCALAR_BYTES < scalars.length; start += chunk) {
            await submit(pointsAt(id, group, block + start, scalars.slice(start * SCALAR_BYTES, (start + chunk) * SCALAR_BYTES)));
          }
        };
        for (let p = 0; p <= power + 1; p++) {
          const m = 2 ** p;
          const L = await lagrange(powers.tau, m);
          await blockAt(12, 'G1', m - 1, L);
          if (p > power) continue;
          await blockAt(13, 'G2', m - 1, L);
          await blockAt(14, 'G1', m - 1, await lagrange(powers.alpha, m));
          await blockAt(15, 'G1', m - 1, await lagrange(powers.beta, m));
          if (p >= 14) opts.log?.(`    domain 2^${p} queued`);
        }
        await drain();
      });
    } else if (prepared) {
      // Sections 12–15: for each domain size 2^p, the Lagrange bases at τ, in G1 (12), G2 (13),
      // times α (14) and β (15). One scalar computation serves all four sections; section 12
      // has one more block (2^(power+1), truncated) for the zkey's H query.
      await timed(`L_i(τ) in G1, G2, α·G1, β·G1 (sections 12–15, ${10 * n - 4} points)`, async () => {
        for (let p = 0; p <= power + 1; p++) {
          const omega = curve.Fr.toObject(curve.Fr.w[p]!);
          const block = 2 ** p - 1; // points of the smaller domains before this block
          for (let start = 0; start < 2 ** p; start += chunk) {
            const l = lagrangeScalars(tau, omega, p, p === power + 1, start, Math.min(chunk, 2 ** p - start));
            const packed = packScalars(l);
            await submit(pointsAt(12, 'G1', block + start, packed.slice()));
            if (p > power) continue;
            await submit(pointsAt(13, 'G2', block + start, packed));
            await submit(pointsAt(14, 'G1', block + start, packScalars(l, alpha)));
            await submit(pointsAt(15, 'G1', block + start, packScalars(l, beta)));
          }
        }
        await drain();
      });
    }

    // The transcript, as `powersoftau contribute` records it: the response hash covers the
    // challenge, the new accumulator (compressed) and the public key; the next challenge covers
    // the response hash and the accumulator uncompressed (read back from the file).
    await timed('contribution transcript', async () => {
      const partialHash = toPartialHash(responseHasher);
      responseHasher.update(pubKeyBytes(curve, key, false));
      const next = blake512();
      next.update(responseHasher.digest());
      for (const id of [2, 3, 4, 5, 6]) {
        const group: Group = isG2(id) ? 'G2' : 'G1';
        const size = sizes.get(id)!;
        const step = pointBytes(group) * 16384;
        for (let off = 0; off < size; off += step) {
          const buf = new Uint8Array(Math.min(step, size - off));
          await out.read(buf, 0, buf.length, offsets.get(id)! + off);
          next.update(await curve[group].batchLEMtoU(buf));
        }
      }
      const g1At = (id: number, i: number) => firstPoints.get(id)!.slice(i * G1_BYTES, (i + 1) * G1_BYTES);
      const points = {
        tauG1: g1At(2, 1),
        tauG2: firstPoints.get(3)!.slice(G2_BYTES, 2 * G2_BYTES),
        alphaG1: g1At(4, 0),
        betaG1: g1At(5, 0),
        betaG2: firstPoints.get(6)!,
      };
      await write(contributionSectionBytes(curve, points, key, partialHash, new Uint8Array(next.digest())), offsets.get(7)!);
    });
    const end = (await out.stat()).size;
    const expected = offsets.get(ids.at(-1)!)! + sizes.get(ids.at(-1)!)!;
    if (end !== expected) throw new Error(`dev ptau: wrote ${end} bytes, expected ${expected}`);
    await out.sync();
  } finally {
    await pool.close();
    await fh?.close();
  }
}
