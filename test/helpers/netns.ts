// Throwaway network namespaces for privileged tests. Every namespace made here is named
// "nctl-t-<pid>-<random>" and is removed in teardown, even when the test fails; the
// process-exit hook removes any a failed test left behind. A SIGKILLed test process runs
// neither, so loading this module also removes namespaces whose owning process is gone.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { patient, waitUntil } from './patience.js';

const live = new Set<string>();
process.on('exit', () => {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns]);
});

// nctl-lt-<pid>-<hex>-{node,switch,sctp-peer}: the namespaces of a lab a test brings up
const OWNED = /^nctl-(?:t|probe|lt)-(\d+)-[0-9a-f]+(?:-[a-z-]+)?$/;

export function uniqueName(prefix = 'nctl-t-'): string {
  return `${prefix}${process.pid}-${randomBytes(3).toString('hex')}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names of test namespaces whose creating process no longer exists. */
export function orphanedTestNamespaces(names: readonly string[]): string[] {
  return names.filter((n) => {
    const m = OWNED.exec(n);
    return m !== null && !processAlive(Number(m[1]));
  });
}

export function reapOrphans(): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return; // no namespace was ever made on this machine
  }
  for (const ns of orphanedTestNamespaces(names)) spawnSync('ip', ['netns', 'del', ns]);
}
if (process.getuid?.() === 0) reapOrphans();

/** Run a command, return stdout; throws with stderr on failure. */
export function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export class Netns {
  readonly name: string;
  constructor(name = uniqueName()) {
    this.name = name;
    sh('ip', ['netns', 'add', name]);
    live.add(name);
    this.ip('link', 'set', 'lo', 'up');
  }

  /** `ip -n NAME …` */
  ip(...args: string[]): string {
    return sh('ip', ['-n', this.name, ...args]);
  }

  /** `ip -n NAME -j …` parsed: the independent oracle. */
  ipJson<T = unknown>(...args: string[]): T {
    const out = sh('ip', ['-n', this.name, '-j', ...args]);
    return (out.trim() ? JSON.parse(out) : []) as T;
  }

  /** Run any command inside the namespace. */
  exec(cmd: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** Read a sysctl inside the namespace (e.g. net/ipv4/conf/eth0/arp_ignore). */
  sysctl(key: string): string {
    return this.exec('cat', `/proc/sys/${key}`).trim();
  }

  remove(): void {
    if (!live.has(this.name)) return;
    spawnSync('ip', ['netns', 'del', this.name]);
    live.delete(this.name);
  }
}

/** A namespace that lives exactly as long as the test (teardown runs on failure too). */
export function netnsFor(t: ExecutionContext, name?: string): Netns {
  const ns = new Netns(name);
  t.teardown(() => ns.remove());
  return ns;
}


export function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A test title that says up front when the test will not run for lack of root. */
export function rootTitle(s: string): string {
  return isRoot() ? s : `${s} (skipped: needs root)`;
}

// A privileged test is registered with testIf('root') (test/helpers/require.ts): reported as
// skipped, not passed, where it cannot run.

/**
 * Two namespaces joined by a veth pair, up: `va` (SUBNET.1/24) in a, `vb` (SUBNET.2/24) in b.
 * Both are removed in the test's teardown. `addresses: false` leaves the addresses off: the SCTP
 * generator plays both endpoints over packet sockets, and on a kernel with SCTP (the VM) an
 * address of the namespace makes the kernel's own stack answer the crafted packets (an ABORT
 * for every out-of-the-blue INIT), so what is counted would no longer be what was sent.
 */
export function vethPair(t: ExecutionContext, subnet = '192.0.2', opts: { addresses?: boolean } = {}): { a: Netns; b: Netns } {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  if (opts.addresses !== false) {
    a.ip('addr', 'add', `${subnet}.1/24`, 'dev', 'va');
    b.ip('addr', 'add', `${subnet}.2/24`, 'dev', 'vb');
  }
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');
  return { a, b };
}

/**
 * Wait until these links have carrier and their operstate has caught up with it: LOWER_UP
 * without NO-CARRIER. Carrier follows `ip link set … up` asynchronously (the kernel's link
 * watcher, a bridge's port states, a macvlan's lower device), and the operstate (RUNNING, what
 * `link tree`/`link list` print as UP) follows the carrier later still, in linkwatch (up to a
 * second for a bridge's). Throws at the (stretched) deadline.
 */
export async function waitLowerUp(ns: Netns, names: string[], ms = patient(10_000)): Promise<void> {
  let missing = names;
  await waitUntil(() => {
    const links = ns.ipJson<Array<{ ifname: string; flags: string[] }>>('link', 'show');
    missing = names.filter((n) => {
      const f = links.find((l) => l.ifname === n)?.flags ?? [];
      return !f.includes('LOWER_UP') || f.includes('NO-CARRIER');
    });
    return missing.length === 0;
  }, () => `no carrier (or no operstate up yet) on ${missing.join(', ')} in ${ns.name}`, ms);
}

/** The reference topology of the read tests: bridge br0 over veths p1a/p2a, macvlan mv0 on p1b, all up. */
export function bridgeTopology(ns: Netns): void {
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'p1a', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'add', 'p2a', 'type', 'veth', 'peer', 'name', 'p2b');
  ns.ip('link', 'set', 'p1a', 'master', 'br0');
  ns.ip('link', 'set', 'p2a', 'master', 'br0');
  ns.ip('link', 'add', 'link', 'p1b', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge');
  for (const l of ['br0', 'p1a', 'p1b', 'p2a', 'mv0']) ns.ip('link', 'set', l, 'up');
}

/** The config tests' stand-in NIC: eth0, one end of a veth pair, both ends up (so it has carrier). */
export function standInNic(ns: Netns): Netns {
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  ns.ip('link', 'set', 'eth0', 'up');
  ns.ip('link', 'set', 'eth0p', 'up');
  return ns;
}

/** A scratch nodectl state directory that lives exactly as long as the test. */
export function stateDir(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
