/**
 * Small runtime over the shared device: pipelines cached by source, storage buffers, batched dispatches
 * in one command buffer, and readback. Every kernel uses workgroups of WORKGROUP_SIZE threads and a
 * uniform `Params` struct at @binding(0) whose first field is the thread count; dispatches larger than
 * the per-dimension workgroup limit spill into y (the shader computes its linear id from num_workgroups).
 */
import type { GpuContext } from './device.ts';

export const WORKGROUP_SIZE = 64;

/** WGSL prelude every kernel uses to get its linear thread id. */
export const THREAD_ID_WGSL = `
fn thread_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * ${WORKGROUP_SIZE}u;
}
`;

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function getPipeline(ctx: GpuContext, code: string, entryPoint: string): GPUComputePipeline {
  let cache = pipelines.get(ctx.device);
  if (!cache) {
    cache = new Map();
    pipelines.set(ctx.device, cache);
  }
  const key = `${entryPoint}\n${code}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    const module = ctx.device.createShaderModule({ code });
    pipeline = ctx.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } });
    cache.set(key, pipeline);
  }
  return pipeline;
}

export function storageBuffer(ctx: GpuContext, byteLength: number, label?: string): GPUBuffer {
  return ctx.device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

export function uploadBuffer(ctx: GpuContext, data: ArrayBufferView, label?: string): GPUBuffer {
  const buffer = storageBuffer(ctx, data.byteLength, label);
  writeBuffer(ctx, buffer, 0, data);
  return buffer;
}

/** queue.writeBuffer in slices (Dawn copies each call into a staging area; keep those bounded). */
export function writeBuffer(ctx: GpuContext, buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const slice = 32 << 20;
  for (let at = 0; at < bytes.byteLength; at += slice) {
    const part = bytes.subarray(at, Math.min(bytes.byteLength, at + slice));
    if (part.byteLength % 4 === 0 && part.byteOffset % 4 === 0)
      ctx.device.queue.writeBuffer(buffer, offset + at, part as Uint8Array<ArrayBuffer>);
    else {
      const padded = new Uint8Array(Math.ceil(part.byteLength / 4) * 4);
      padded.set(part);
      ctx.device.queue.writeBuffer(buffer, offset + at, padded);
    }
  }
}

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Dispatches recorded into one command encoder and submitted together. */
export class DispatchBatch {
  private readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private readonly temporaries: GPUBuffer[] = [];

  constructor(private readonly ctx: GpuContext) {
    this.encoder = ctx.device.createCommandEncoder();
  }

  /** `params[0]` must be the thread count; bindings go to @binding(1..) in order. */
  dispatch(pipeline: GPUComputePipeline, params: number[], bindings: Binding[]): void {
    const threads = params[0];
    if (threads === 0) return;
    const uniform = this.ctx.device.createBuffer({
      size: Math.max(16, Math.ceil((params.length * 4) / 16) * 16),
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Uint32Array(uniform.getMappedRange()).set(params);
    uniform.unmap();
    this.temporaries.push(uniform);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    bindings.forEach((b, i) => {
      entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } });
    });
    const bindGroup = this.ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const groups = Math.ceil(threads / WORKGROUP_SIZE);
    const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, maxDim);
    this.pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  async submit(): Promise<void> {
    this.endPass();
    this.ctx.device.queue.submit([this.encoder.finish()]);
    await this.ctx.device.queue.onSubmittedWorkDone();
    for (const b of this.temporaries) b.destroy();
  }
}

/** Copies `size` bytes of a storage buffer back to the CPU. */
export async function readBuffer(ctx: GpuContext, buffer: GPUBuffer, offset: number, size: number): Promise<Uint8Array> {
  const aligned = Math.ceil(size / 4) * 4;
  const staging = ctx.device.createBuffer({ size: aligned, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = ctx.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, aligned);
  ctx.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0, size));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Surfaces validation errors (bad WGSL, bad bindings) as exceptions instead of silent no-ops. */
export async function withErrorScope<T>(ctx: GpuContext, fn: () => Promise<T>): Promise<T> {
  ctx.device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await ctx.device.popErrorScope();
    throw err;
  }
  const error = await ctx.device.popErrorScope();
  if (error) throw new Error(`WebGPU validation error: ${error.message}`);
  return result;
}
