/**
 * One service per data directory (issue 18): `startService` takes `<ZKAI_HOME>/service.lock` before it touches
 * anything, so a second `npm start` on the same directory stops with DATA_DIR_LOCKED instead of requeueing the live
 * instance's running jobs (which were then proved twice).
 *
 * The lock is a file created with O_EXCL holding the owner's pid, host and start time. A lock whose owner is gone
 * (a kill -9, a crash, a reboot) is stale: it is removed and taken, again with O_EXCL, so of two instances that find
 * the same stale lock one wins and the other sees a live owner. A file lock (flock) would be released by the kernel
 * on death, but Node has no flock; the pid check covers the same cases on one host. Another host's lock (a data
 * directory on a network file system) is never taken over: its owner cannot be checked from here.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZkaiError } from '../common/errors.ts';

export const LOCK_FILE = 'service.lock';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface DataDirLock {
  file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale below only if it stays so
  }
}

/** Takes the data directory's lock or throws DATA_DIR_LOCKED naming its owner. */
export function lockDataDir(home: string): DataDirLock {
  mkdirSync(home, { recursive: true });
  const file = path.join(home, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          // Only our own lock: never one a later instance took after ours was judged stale.
          const owner = readOwner(file);
          if (owner?.pid === me.pid && owner.startedAt === me.startedAt) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    const stale = owner !== undefined && owner.host === me.host && !alive(owner.pid);
    if (!stale || attempt > 0) {
      const who = owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}` : 'an unreadable lock file';
      throw new ZkaiError(
        'DATA_DIR_LOCKED',
        `another zkai service owns the data directory ${home} (${who}): stop it, or give this one its own ZKAI_HOME. ` +
          `If no such service runs, remove ${file}.`,
        { home, lockFile: file, ...(owner ? { owner } : {}) },
      );
    }
    try {
      unlinkSync(file); // stale: its owner is gone
    } catch {}
  }
  throw new Error('unreachable');
}
