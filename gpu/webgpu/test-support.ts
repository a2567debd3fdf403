/**
 * Shared by the GPU tests: the device or the reason to skip. In CI Mesa's lavapipe (a software Vulkan
 * driver) provides an adapter, so the tests run there; they skip only where no adapter exists at all.
 */
import { type GpuContext, getGpuContext, gpuStatus } from './device.ts';

export async function gpuForTests(): Promise<{ ctx: GpuContext | null; skip: string | false }> {
  const ctx = await getGpuContext();
  if (ctx) return { ctx, skip: false };
  const s = gpuStatus();
  const reason = `no WebGPU adapter: ${s.available ? 'unknown' : s.reason}`;
  console.log(`# skipping GPU tests — ${reason}`);
  return { ctx: null, skip: reason };
}
