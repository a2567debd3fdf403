/// <reference types="@webgpu/types" />
/**
 * One process-wide WebGPU device, created lazily through Dawn's Node binding (npm `webgpu`).
 *
 * The object returned by the binding's `create()` is kept in a module-level variable for the life of the
 * process: when it is garbage-collected Dawn tears down its instance under live devices and crashes
 * intermittently. The device requests the adapter's own maximum buffer limits (the defaults are 128 MiB /
 * 256 MiB; MSM inputs are split to the binding limit anyway, see msm.ts).
 */

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (llvmpipe/lavapipe, SwiftShader, WARP) or an adapter marked fallback. */
  software: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  info: GpuAdapterInfo;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export type GpuStatus = { available: true; info: GpuAdapterInfo } | { available: false; reason: string };

// Strong reference to Dawn's GPU object for the process lifetime (see above).
let gpuInstance: GPU | null = null;
let contextPromise: Promise<GpuContext | null> | null = null;
let lastStatus: GpuStatus = { available: false, reason: 'not probed yet' };

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|warp|microsoft basic render/i;

export function describeAdapter(info: GpuAdapterInfo): string {
  const name = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  return `${name} (${info.software ? 'software' : 'hardware'})`;
}

async function createContext(): Promise<GpuContext | null> {
  let webgpu: { create(options: string[]): GPU; globals: object };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (err) {
    lastStatus = { available: false, reason: `the webgpu package could not be loaded: ${(err as Error).message}` };
    return null;
  }
  // The binding's enums/classes (GPUBufferUsage, GPUMapMode…) are looked up as globals by our code.
  for (const [key, value] of Object.entries(webgpu.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  gpuInstance ??= webgpu.create([]);
  const adapter = await gpuInstance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    lastStatus = {
      available: false,
      reason: 'no WebGPU adapter (no Vulkan/Metal/D3D12 driver found; on Debian install Mesa ≥ 24 lavapipe or a GPU driver)',
    };
    return null;
  }
  const raw = adapter.info;
  const text = `${raw.vendor} ${raw.architecture} ${raw.device} ${raw.description}`;
  const fallback = (raw as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const info: GpuAdapterInfo = {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
    software: fallback || SOFTWARE_ADAPTER.test(text),
  };
  const a = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
      maxBufferSize: a.maxBufferSize,
      maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
    },
  });
  device.lost.then((lost) => {
    if (contextPromise && lost.reason !== 'destroyed') lastStatus = { available: false, reason: `device lost: ${lost.message}` };
    contextPromise = null;
  });
  lastStatus = { available: true, info };
  return {
    device,
    info,
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
    },
  };
}

/** The shared device, or null when no adapter exists (the reason is in `gpuStatus()`). */
export function getGpuContext(): Promise<GpuContext | null> {
  contextPromise ??= createContext().catch((err: Error) => {
    lastStatus = { available: false, reason: `WebGPU initialisation failed: ${err.message}` };
    contextPromise = null;
    return null;
  });
  return contextPromise;
}

export function gpuStatus(): GpuStatus {
  return lastStatus;
}

/** Destroys the shared device (buffers and pipelines go with it); the next `getGpuContext()` makes a new one. */
export async function destroyGpuContext(): Promise<void> {
  const pending = contextPromise;
  contextPromise = null;
  const ctx = pending ? await pending : null;
  ctx?.device.destroy();
}
