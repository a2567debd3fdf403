// Test helpers for text/event-stream responses.
import assert from 'node:assert/strict';
import http from 'node:http';

/** The `data` payloads of a text/event-stream body, in order. */
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

/** An event stream read over real HTTP (app.inject only answers once the stream has ended). */
export interface OpenStream {
  /** Resolves once the first event has arrived: the stream has shown the job's state at connection. */
  first: Promise<void>;
  /** Resolves at the end of the stream with its status, headers and whole body. */
  done: Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body: string }>;
}

/**
 * Open the event stream at `url` (with `headers`, e.g. an API key): a test waits for its first event (no sleep)
 * before it lets the job move on.
 */
export function openEventStream(url: string, headers: Record<string, string> = {}): OpenStream {
  let gotFirst!: () => void;
  let failed!: (err: Error) => void;
  const first = new Promise<void>((resolve, reject) => {
    gotFirst = resolve;
    failed = reject;
  });
  const done = new Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.includes('\n\n')) gotFirst();
        });
        res.on('end', () => {
          failed(new Error(`the stream ended before its first event: ${body}`));
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      })
      .on('error', (err) => {
        failed(err);
        reject(err);
      });
  });
  first.catch(() => {}); // a caller that only awaits `done` must not see an unhandled rejection
  return { first, done };
}
