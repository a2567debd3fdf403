/** The API key of this browser tab (sessionStorage: gone when the tab closes) and a client that uses it. */
import { ZkaiClient } from '../../client/index.ts';

const KEY = 'zkai.apiKey';

export function apiKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function setApiKey(key: string | undefined): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** A client for this service (same origin), with the tab's API key when there is one. */
export function client(): ZkaiClient {
  const key = apiKey();
  return new ZkaiClient({ baseUrl: location.origin, ...(key ? { apiKey: key } : {}) });
}
