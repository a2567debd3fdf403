/**
 * `zkai admin key create|list|revoke`: manage the service's API keys. Works on the service's own SQLite
 * (`<ZKAI_HOME>/jobs.sqlite`), so run it on the API node with the same ZKAI_HOME, while the service runs or
 * not: the service reads keys from that file on every request, so a revocation takes effect at once.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ZkaiError } from '../common/errors.ts';
import { DEFAULT_CONFIG } from '../server/config.ts';
import { TenantStore } from '../server/tenants.ts';

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
  const file = serviceDbFile();
  const store = new TenantStore(file);
  try {
    if (action === 'create') return keyCreate(store, rest, file);
    if (action === 'list') return keyList(store, rest);
    if (action === 'revoke') return keyRevoke(store, rest);
    usage(`unknown key action: ${action ?? '(none)'}`);
  } finally {
    store.close();
  }
}

function keyCreate(store: TenantStore, args: string[], file: string): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { tenant: { type: 'string' } } });
  if (!values.tenant || positionals.length) usage('key create needs --tenant <name> (and nothing else)');
  const created = store.createKey(values.tenant);
  process.stderr.write(`API key ${created.id} for tenant '${created.tenant}' in ${file}. Keep it: it is shown only now.\n`);
  console.log(JSON.stringify({ id: created.id, tenant: created.tenant, key: created.key, createdAt: created.createdAt }, null, 2));
  return 0;
}

function keyList(store: TenantStore, args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length) usage('key list takes no arguments');
  const keys = store.listKeys();
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

function keyRevoke(store: TenantStore, args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) usage('key revoke needs one <key-id> (see zkai admin key list)');
  const revoked = store.revokeKey(positionals[0]!);
  if (!revoked) throw new ZkaiError('BAD_INPUT', `no API key with id ${JSON.stringify(positionals[0])} (see zkai admin key list)`);
  console.log(JSON.stringify(revoked, null, 2));
  return 0;
}
