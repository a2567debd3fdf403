/**
 * The launcher: one small process, forked before the service proves anything, that forks every child process the
 * service needs afterwards (model compiles, large dataset commits, and through them circom).
 *
 * Why: a process that forks while it proves pays for it. After fork(), every page of the parent is shared
 * copy-on-write with the child, so the next writes to its large proving buffers (zkeys, MSM scratch, witness) each
 * take a page fault; measured here, the proofs after a fork ran 1.4–1.8× slower (about 3× the page faults). With the
 * launcher, the proving process forks once, at start, while its heap is small, and never again.
 *
 * Protocol (IPC, 'advanced' serialisation so answers may hold bigints), parent → launcher:
 *   { op: 'start', id, script, request, serialization, stdout }   fork `script` as a process-group leader
 *   { op: 'send', id, m }                                          (not used: children get one request)
 *   { op: 'kill', id }                                             SIGKILL the child's whole group
 * launcher → parent:
 *   { id, event: 'message', m }  { id, event: 'exit', code, signal }  { id, event: 'error', message }
 * When the parent goes away, the launcher kills every child group it started, then exits.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export type LauncherRequest =
  | { op: 'start'; id: number; script: string; request: unknown; serialization: 'json' | 'advanced'; stdout: 'inherit' | 'ignore' }
  | { op: 'kill'; id: number };

export type LauncherEvent =
  | { id: number; event: 'message'; m: unknown }
  | { id: number; event: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; event: 'error'; message: string }
  /** Sent once, id 0, when the launcher listens. */
  | { id: 0; event: 'ready' };

/** SIGKILL to a child's process group (it leads one), or the child alone if that fails. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function main(): void {
  const children = new Map<number, ChildProcess>();
  const send = (e: LauncherEvent) => process.send?.(e);
  process.on('message', (req: LauncherRequest) => {
    if (req.op === 'kill') {
      const child = children.get(req.id);
      if (child) killGroup(child);
      return;
    }
    let child: ChildProcess;
    try {
      child = fork(req.script, [], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        serialization: req.serialization,
        stdio: ['ignore', req.stdout, 'inherit', 'ipc'],
        // Its own process group, so a kill reaches the compilers it starts.
        detached: true,
      });
    } catch (err) {
      send({ id: req.id, event: 'error', message: (err as Error).message });
      return;
    }
    children.set(req.id, child);
    child.on('message', (m) => send({ id: req.id, event: 'message', m }));
    child.once('error', (err) => {
      killGroup(child);
      send({ id: req.id, event: 'error', message: err.message });
    });
    child.once('exit', (code, signal) => {
      children.delete(req.id);
      send({ id: req.id, event: 'exit', code, signal });
    });
    child.send(req.request as Parameters<ChildProcess['send']>[0]);
  });
  // The service is gone: nobody will read an answer, so stop everything that is still working.
  process.on('disconnect', () => {
    for (const child of children.values()) killGroup(child);
    process.exit(0);
  });
  send({ id: 0, event: 'ready' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
