/**
 * Shared by the GPU tests: the device or the reason to skip. In CI Mesa's lavapipe (a software Vulkan
 * driver) provides an adapter, so the tests run there; they skip only where no adapter exists at all, and
 * never under CI=true, where a missing adapter fails them (test/require-dep.ts).
 */
import { requireOrSkip } from '../../test/require-dep.ts';
import { type GpuContext, getGpuContext, gpuStatus } from './device.ts';

export async function gpuForTests(): Promise<{ ctx: GpuContext | null; skip: string | false }> {
  const ctx = await getGpuContext();
  if (ctx) return { ctx, skip: false };
  const s = gpuStatus();
  const reason = requireOrSkip(false, `a WebGPU adapter (${s.available ? 'unknown' : s.reason})`);
  console.log(`# skipping GPU tests — ${reason}`);
  return { ctx: null, skip: reason };
}
