/** Test helper: the `data` payloads of a text/event-stream body, in order. */
import assert from 'node:assert/strict';

export function sseEvents(body: string): Record<string, unknown>[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      assert.ok(data, `event without data: ${block}`);
      return JSON.parse(data.slice('data: '.length));
    });
}
