/**
 * `zkai admin key create|list|revoke`: manage the service's API keys where the service keeps them: its own SQLite
 * (`<ZKAI_HOME>/jobs.sqlite`; run it on the API node with the same ZKAI_HOME), or PostgreSQL with ZKAI_DB (from any
 * machine that reaches it, for every API node at once). The service reads keys on every request, so a revocation
 * takes effect at once, while it runs or not.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ZkaiError } from '../common/errors.ts';
import { openCatalogs } from '../jobs/catalogs.ts';
import { redactUrl } from '../jobs/queue/types.ts';
import type { TenantStoreApi } from '../jobs/tenants.ts';
import { DEFAULT_CONFIG, dbFrom } from '../server/config.ts';

export const ADMIN_USAGE = `  zkai admin key create --tenant <name>                make an API key (printed once; stored hashed)
  zkai admin key list [--json]                         every key: id, tenant, hint, created, revoked
  zkai admin key revoke <key-id>                       revoke a key (requests with it get 401 at once)`;

function usage(message: string): never {
  throw new ZkaiError('BAD_INPUT', `${message}\n\nUsage:\n${ADMIN_USAGE}`);
}

/** The SQLite file the service keeps jobs, tenants and keys in. */
export function serviceDbFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.resolve(env.ZKAI_HOME || DEFAULT_CONFIG.home), 'jobs.sqlite');
}

/** Run `zkai admin <sub> …`; returns the exit code. */
export async function adminCommand(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'key') usage(sub ? `unknown admin command: ${[sub, ...args].join(' ')}` : 'admin needs a command');
  const [action, ...rest] = args;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') usage(`unknown key action: ${action ?? '(none)'}`);
  const file = serviceDbFile();
  const db = dbFrom(process.env);
  const pgUrl = db.kind === 'postgres' ? db.url : undefined;
  const catalogs = await openCatalogs({
    storeFile: file,
    modelsDir: path.join(path.dirname(file), 'models'),
    ...(pgUrl ? { pgUrl } : {}),
  });
  try {
    const store = catalogs.tenants;
    if (action === 'create') return await keyCreate(store, rest, pgUrl ? `PostgreSQL ${redactUrl(pgUrl)}` : file);
    if (action === 'list') return await keyList(store, rest);
    return await keyRevoke(store, rest);
  } finally {
    await catalogs.close();
  }
}

async function keyCreate(store: TenantStoreApi, args: string[], where: string): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { tenant: { type: 'string' } } });
  if (!values.tenant || positionals.length) usage('key create needs --tenant <name> (and nothing else)');
  const created = await store.createKey(values.tenant);
  process.stderr.write(`API key ${created.id} for tenant '${created.tenant}' in ${where}. Keep it: it is shown only now.\n`);
  console.log(JSON.stringify({ id: created.id, tenant: created.tenant, key: created.key, createdAt: created.createdAt }, null, 2));
  return 0;
}

async function keyList(store: TenantStoreApi, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length) usage('key list takes no arguments');
  const keys = await store.listKeys();
  if (values.json) {
    console.log(JSON.stringify(keys, null, 2));
    return 0;
  }
  if (keys.length === 0) {
    console.log('no API keys (zkai admin key create --tenant <name>)');
    return 0;
  }
  const rows = [
    ['id', 'tenant', 'hint', 'created', 'revoked'],
    ...keys.map((k) => [k.id, k.tenant, k.hint, k.createdAt, k.revokedAt ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

async function keyRevoke(store: TenantStoreApi, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) usage('key revoke needs one <key-id> (see zkai admin key list)');
  const revoked = await store.revokeKey(positionals[0]!);
  if (!revoked) throw new ZkaiError('BAD_INPUT', `no API key with id ${JSON.stringify(positionals[0])} (see zkai admin key list)`);
  console.log(JSON.stringify(revoked, null, 2));
  return 0;
}
