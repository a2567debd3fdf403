// GPU NTT over Fr against ffjavascript (the wasm backend: Fr.fft / Fr.ifft with snarkjs's coset shift)
// for sizes 2 to 2^14, against a naive BigInt DFT for small sizes, and the roots of unity against
// ffjavascript's Fr.w table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bn128Curve } from '../../prover/groth16/curve.ts';
import { createWasmBackend } from '../../prover/groth16/wasm-backend.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { ProvingBackend } from '../backend.ts';
import { createWebGpuBackend, shutdownWebGpu } from './index.ts';
import { BN254_R, readLe } from './limbs.ts';
import { rootOfUnity } from './ntt.ts';
import { frVector, randomFr, readFrVector, referenceNtt } from './reference.ts';
import { gpuForTests } from './test-support.ts';

const { skip } = await gpuForTests();
let gpu: ProvingBackend;
let cpu: ProvingBackend;
const MODES = [
  { inverse: false, coset: false },
  { inverse: true, coset: false },
  { inverse: false, coset: true },
  { inverse: true, coset: true },
];

before(async () => {
  if (skip) return;
  gpu = (await createWebGpuBackend({ selfCheck: false }))!;
  cpu = await createWasmBackend();
});

after(async () => {
  await gpu?.close?.();
  await shutdownWebGpu();
  await releaseVerifierResources();
});

describe('Fr roots of unity', () => {
  test('rootOfUnity(k) equals ffjavascript Fr.w[k] and has order exactly 2^k', async () => {
    const curve = await bn128Curve();
    const Fr = curve.Fr as unknown as { toObject(a: Uint8Array): bigint };
    for (const k of [1, 2, 5, 14, 20, 28]) {
      assert.equal(rootOfUnity(k), Fr.toObject(curve.Fr.w[k]!), `w[${k}]`);
    }
    const w = rootOfUnity(10);
    let x = w;
    for (let i = 0; i < 9; i++) x = (x * x) % BN254_R;
    assert.equal(x, BN254_R - 1n);
  });
});

describe('WebGPU NTT', { skip }, () => {
  test('forward, inverse and coset transforms equal a naive DFT (sizes 1 to 32)', async () => {
    for (const n of [1, 2, 4, 8, 32]) {
      const values = Array.from({ length: n }, randomFr);
      for (const m of MODES) {
        const got = readFrVector(await gpu.ntt(frVector(values), m));
        assert.deepEqual(got, referenceNtt(values, m.inverse, m.coset), `n=${n} ${JSON.stringify(m)}`);
      }
    }
  });

  test('equal ffjavascript for sizes 2^6, 2^9, 2^12 and 2^14 in every mode', async () => {
    for (const log of [6, 9, 12, 14]) {
      const values = frVector(Array.from({ length: 1 << log }, (_, i) => (i % 17 === 0 ? 0n : i === 1 ? BN254_R - 1n : randomFr())));
      for (const m of MODES) {
        const [got, want] = await Promise.all([gpu.ntt(values, m), cpu.ntt(values, m)]);
        assert.ok(Buffer.from(got).equals(Buffer.from(want)), `2^${log} ${JSON.stringify(m)}`);
      }
    }
  });

  test('inverse(forward(x)) = x on the subgroup and on the coset, and the input is not modified', async () => {
    const values = frVector(Array.from({ length: 1 << 10 }, randomFr));
    const copy = values.slice();
    for (const coset of [false, true]) {
      const back = await gpu.ntt(await gpu.ntt(values, { coset }), { inverse: true, coset });
      assert.ok(Buffer.from(back).equals(Buffer.from(values)));
    }
    assert.ok(Buffer.from(values).equals(Buffer.from(copy)));
    assert.equal(readLe(values), readLe(copy));
  });

  test('a length that is not a power of two is rejected', async () => {
    await assert.rejects(gpu.ntt(new Uint8Array(3 * 32)), /power of two/);
  });
});
