// When the WebGPU backend is chosen: forced by ZKAI_ENGINE=webgpu, automatic only with ZKAI_ENGINE unset
// and a hardware adapter, never with ZKAI_GPU=off or another engine requested.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { autoWebGpuBackend, webGpuChoice } from './select.ts';
import { destroyGpuContext, getGpuContext } from './webgpu/device.ts';

after(() => destroyGpuContext());

describe('WebGPU selection', () => {
  test('webGpuChoice reads ZKAI_ENGINE and ZKAI_GPU', () => {
    assert.equal(webGpuChoice({}), 'auto');
    assert.equal(webGpuChoice({ ZKAI_ENGINE: 'webgpu' }), 'forced');
    assert.equal(webGpuChoice({ ZKAI_ENGINE: ' WebGPU ' }), 'forced');
    assert.equal(webGpuChoice({ ZKAI_ENGINE: 'native' }), 'off');
    assert.equal(webGpuChoice({ ZKAI_GPU: 'off' }), 'off');
    assert.equal(webGpuChoice({ ZKAI_GPU: 'OFF', ZKAI_ENGINE: 'webgpu' }), 'off');
  });

  test('a software adapter is never picked automatically', async () => {
    const ctx = await getGpuContext();
    const saved = process.env.ZKAI_ENGINE;
    delete process.env.ZKAI_ENGINE;
    try {
      const messages: string[] = [];
      // Without a GPU device node nothing is probed (no Dawn load, no Dawn warnings on stderr).
      assert.equal(
        await autoWebGpuBackend(
          (m) => messages.push(m),
          () => false,
        ),
        null,
      );
      assert.equal(messages.length, 0);
      // As if a device node were there: the adapter query decides.
      const backend = await autoWebGpuBackend(
        (m) => messages.push(m),
        () => true,
      );
      if (!ctx) assert.equal(backend, null, 'no adapter: nothing selected');
      else if (ctx.info.software) {
        assert.equal(backend, null);
        assert.match(messages.join('\n'), /software adapter/);
      } else {
        assert.ok(backend, 'hardware adapter selected');
        await backend.close?.();
      }
    } finally {
      if (saved !== undefined) process.env.ZKAI_ENGINE = saved;
    }
  });
});
