/**
 * The web console (console/): the page at / and its content-hashed assets at /assets/<name>, from memory, under a
 * strict Content-Security-Policy: scripts and styles from this origin only (no inline code, no eval), no frames, no
 * forms posting elsewhere, and fetches only to this service and the chain RPC it names (the console's chain view).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import type { ConsoleAsset, ConsoleAssets } from '../../console/build.ts';

export interface ConsoleRoutesOptions {
  assets: ConsoleAssets;
  /** The chain JSON-RPC URL the console may read (GET /v1/chain's url), allowed in connect-src. */
  chainRpcUrl?: string;
}

/** The console's Content-Security-Policy; `chainRpcUrl`'s origin joins connect-src. */
export function consoleCsp(chainRpcUrl?: string): string {
  let rpcOrigin = '';
  if (chainRpcUrl) {
    try {
      rpcOrigin = ` ${new URL(chainRpcUrl).origin}`;
    } catch {
      rpcOrigin = '';
    }
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${rpcOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, { assets, chainRpcUrl }) => {
  const csp = consoleCsp(chainRpcUrl);
  const send = (reply: FastifyReply, asset: ConsoleAsset, cacheControl: string) =>
    reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', cacheControl)
      .header('etag', `"${asset.sha256}"`)
      .send(asset.body);

  // Public: the console itself holds no data; the API routes it calls check the key the user enters.
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => send(reply, assets.index, 'no-cache'));
  app.get<{ Params: { name: string } }>('/assets/:name', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const asset = assets.assets.get(request.params.name);
    if (!asset) throw new ZkaiError('NOT_FOUND', `no console asset ${request.params.name}`);
    // The name carries the content hash: a new build has new names, so this one never changes.
    return send(reply, asset, 'public, max-age=31536000, immutable');
  });
};
