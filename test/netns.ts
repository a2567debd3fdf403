/**
 * Test helper: "other machines" for end-to-end tests. Linux network namespaces, one per host, each joined by a veth
 * pair to a bridge in this namespace; the bridge holds this host's address, the namespaces the others', in a private
 * /24 picked at random. Processes run in a host with `ip netns exec <ns>` (the `prefix` of test/procs.ts spawnProc).
 * Names carry a random tag so a crashed earlier run cannot collide; `remove()` deletes what this run made (deleting a
 * namespace deletes its end of the veth pair, and with it the pair). Where namespaces cannot be made (no root, no
 * `ip`; or ZKAI_TEST_NO_NETNS=1), `fellBackToLoopback` says so and every host is this one, on loopback: the caller
 * prints that, and still runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';

export interface TestHosts {
  /** This host's address as the others reach it (the bridge's; 127.0.0.1 on the loopback fallback). */
  address: string;
  /** The other hosts: the address each has, and the command prefix that runs a process there. */
  hosts: { name: string; address: string; prefix: string[] }[];
  /** Set when namespaces could not be made: why, for the test's diagnostic. */
  fellBackToLoopback?: string;
  remove(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** `n` other hosts in their own network namespaces, or on loopback when namespaces cannot be made here. */
export function makeTestHosts(n: number): TestHosts {
  const tag = randomBytes(3).toString('hex');
  const bridge = `zkb${tag}`;
  const namespaces = Array.from({ length: n }, (_, i) => `zkai-${tag}-h${i + 1}`);
  // 10.<a>.<b>.0/24: 65 536 nets to pick from, so two runs at once do not share one.
  const net = `10.${randomInt(64, 250)}.${randomInt(1, 255)}`;
  const made: { bridge: boolean; namespaces: string[] } = { bridge: false, namespaces: [] };
  const remove = () => {
    for (const ns of made.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    if (made.bridge) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    made.bridge = false;
  };
  try {
    // For trying the fallback on a machine that has namespaces.
    if (process.env.ZKAI_TEST_NO_NETNS === '1') throw new Error('ZKAI_TEST_NO_NETNS=1');
    ip(['link', 'add', bridge, 'type', 'bridge']);
    made.bridge = true;
    ip(['addr', 'add', `${net}.1/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    const hosts = namespaces.map((ns, i) => {
      const address = `${net}.${i + 10}`;
      const outside = `zkv${tag}${i + 1}`; // at most 15 characters (IFNAMSIZ)
      ip(['netns', 'add', ns]);
      made.namespaces.push(ns);
      ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['link', 'set', outside, 'master', bridge]);
      ip(['link', 'set', outside, 'up']);
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      return { name: ns, address, prefix: ['ip', 'netns', 'exec', ns] };
    });
    return { address: `${net}.1`, hosts, remove };
  } catch (err) {
    remove();
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    return {
      address: '127.0.0.1',
      hosts: namespaces.map((_, i) => ({ name: `loopback-${i + 1}`, address: '127.0.0.1', prefix: [] })),
      fellBackToLoopback: why,
      remove() {},
    };
  }
}
