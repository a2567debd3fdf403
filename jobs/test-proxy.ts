/**
 * For tests of a worker's checked fetches (fetch-circuit.test.ts, fetch-model.test.ts): an HTTP proxy in front of an
 * API node that alters what it forwards, as a network path or a compromised mirror would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy to `target` that passes each response body of a path matching a change's pattern through that change. */
export async function tamperingProxy(
  target: string,
  changes: [RegExp, (body: Buffer) => Buffer][],
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const upstream = await fetch(`${target}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
    let body: Buffer = Buffer.from(await upstream.arrayBuffer());
    for (const [match, change] of changes) if (match.test(req.url ?? '') && upstream.ok) body = change(body);
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
      'content-length': body.length,
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
