// createWebGpuBackend: the self-check passes on a working adapter and the backend reports the adapter
// (software or not); the self-check catches a backend that computes wrong results; G2 is delegated.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { g2FromBytes } from '../../prover/groth16/points.ts';
import { createWasmBackend } from '../../prover/groth16/wasm-backend.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import type { ProvingBackend } from '../backend.ts';
import { createWebGpuBackend, selfCheck, shutdownWebGpu, webGpuStatus } from './index.ts';
import { BN254_Q, writeLe } from './limbs.ts';
import { frVector, randomFr } from './reference.ts';
import { gpuForTests } from './test-support.ts';

const { skip } = await gpuForTests();
const opened: ProvingBackend[] = [];

after(async () => {
  for (const b of opened) await b.close?.();
  await shutdownWebGpu();
  await releaseVerifierResources();
});

describe('WebGPU backend', { skip }, () => {
  test('passes its self-check and describes the adapter', async () => {
    const backend = await createWebGpuBackend();
    assert.ok(backend, `backend created (${webGpuStatus().reason ?? ''})`);
    opened.push(backend);
    assert.equal(backend.name, 'webgpu');
    const status = webGpuStatus();
    assert.equal(status.available, true);
    assert.equal(typeof status.adapter?.software, 'boolean');
    assert.match(backend.description, /\((software|hardware)\)$/);
  });

  test('the self-check rejects a backend whose MSM or NTT is wrong', async () => {
    const good = (await createWebGpuBackend({ selfCheck: false }))!;
    opened.push(good);
    const wrongMsm: ProvingBackend = {
      ...good,
      name: 'webgpu',
      description: 'broken',
      msmG1: async (b, s) => {
        const out = await good.msmG1(b, s);
        const copy = out.slice();
        copy[0] ^= 1;
        return copy;
      },
      msmG2: good.msmG2.bind(good),
      ntt: good.ntt.bind(good),
    };
    assert.match((await selfCheck(wrongMsm)) ?? '', /MSM/);
    const wrongNtt: ProvingBackend = {
      ...wrongMsm,
      msmG1: good.msmG1.bind(good),
      ntt: async (v, o) => {
        const out = await good.ntt(v, o);
        return o?.coset && o.inverse ? out.reverse() : out;
      },
    };
    assert.match((await selfCheck(wrongNtt)) ?? '', /NTT \(inverse=true, coset=true\)/);
    assert.equal(await selfCheck(good), undefined);
  });

  test('G2 MSM is delegated to a CPU backend and equals ffjavascript', async () => {
    const cpu = await createWasmBackend();
    const gpu = (await createWebGpuBackend({ selfCheck: false, g2: cpu }))!;
    opened.push(gpu);
    const G2 = bn254.G2.Point;
    const mont = (v: bigint) => (v << 256n) % BN254_Q;
    const points = [G2.BASE.multiply(7n), G2.BASE.multiply(123456789n), G2.ZERO];
    const bases = new Uint8Array(3 * 128);
    points.forEach((p, i) => {
      if (p.is0()) return;
      const { x, y } = p.toAffine();
      for (const [k, v] of [x.c0, x.c1, y.c0, y.c1].entries()) writeLe(bases, i * 128 + k * 32, mont(v));
    });
    const k = [randomFr(), randomFr(), randomFr()];
    const out = await gpu.msmG2(bases, frVector(k));
    const want = points[0]!.multiply(k[0]!).add(points[1]!.multiply(k[1]!));
    assert.ok(g2FromBytes(out).equals(want));
  });
});
