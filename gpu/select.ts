/**
 * When the WebGPU backend should be used. `ZKAI_ENGINE=webgpu` forces it (prover/engine.ts handles that
 * and falls back when it cannot load); with ZKAI_ENGINE unset, `autoWebGpuBackend()` picks it only when a
 * *hardware* adapter exists and passes the self-check — a software adapter (lavapipe, SwiftShader) is
 * far slower than the CPU engines, so it is never chosen automatically. ZKAI_GPU=off disables the probe.
 */
import { readdirSync } from 'node:fs';
import type { ProvingBackend } from './backend.ts';

export type WebGpuChoice = 'forced' | 'auto' | 'off';

export function webGpuChoice(env: NodeJS.ProcessEnv = process.env): WebGpuChoice {
  if ((env.ZKAI_GPU ?? '').toLowerCase() === 'off') return 'off';
  const engine = (env.ZKAI_ENGINE ?? '').trim().toLowerCase();
  if (engine === 'webgpu') return 'forced';
  return engine === '' ? 'auto' : 'off';
}

/**
 * The WebGPU backend when the environment leaves the choice open and a hardware adapter is present,
 * else null (with the reason passed to `log`).
 */
export async function autoWebGpuBackend(
  log: (m: string) => void = () => {},
  deviceNode: () => boolean = hasGpuDeviceNode,
): Promise<ProvingBackend | null> {
  if (webGpuChoice() !== 'auto') return null;
  // Loading Dawn just to find a software adapter costs start-up time and prints Dawn's own warnings on stderr (once
  // per worker); on Linux a hardware GPU shows up as a device node first, so without one there is nothing to probe.
  if (!deviceNode()) return null;
  const { getGpuContext, describeAdapter } = await import('./webgpu/device.ts');
  const ctx = await getGpuContext();
  if (!ctx) return null;
  if (ctx.info.software) {
    log(`zkai gpu: ${describeAdapter(ctx.info)} is a software adapter; not used automatically (ZKAI_ENGINE=webgpu forces it)`);
    return null;
  }
  const { createWebGpuBackend } = await import('./webgpu/index.ts');
  return createWebGpuBackend({ log });
}

/**
 * Whether this machine shows a GPU device node (Linux: /dev/dri/renderD*, /dev/nvidia*); true elsewhere, where
 * only the adapter query can tell.
 */
export function hasGpuDeviceNode(): boolean {
  if (process.platform !== 'linux') return true;
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return list('/dev/dri').some((n) => n.startsWith('renderD')) || list('/dev').some((n) => /^nvidia\d/.test(n));
}
