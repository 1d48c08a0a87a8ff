// The few things the lab asks of iproute2: namespace handles (`ip netns add/del`, which only
// bind-mount /run/netns/NAME — nodectl has no reason to reimplement that) and the list of
// processes inside a namespace for `lab down`.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { NodectlError, PermissionError } from '../errors.js';
import { NETNS_RUN_DIR } from '../netlink/netns.js';

export function run(cmd: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const text = (stderr || stdout || err.message).trim().split('\n').slice(-1)[0];
      if (/Operation not permitted|Permission denied/.test(text) && process.geteuid?.() !== 0) {
        return reject(new PermissionError('root', what));
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new NodectlError('UNSUPPORTED', `cannot ${what}: ${cmd} is not installed (Debian package iproute2)`));
      }
      reject(new NodectlError('NETLINK', `cannot ${what}: ${cmd} ${args.join(' ')}: ${text}`));
    });
  });
}

export async function netnsAdd(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name], `create network namespace ${name}`);
}

export async function netnsDel(name: string): Promise<void> {
  await run('ip', ['netns', 'del', name], `delete network namespace ${name}`);
}

/** Namespace handles under /run/netns (what `ip netns list` shows), optionally by prefix. */
export function listNetns(prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(NETNS_RUN_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).sort();
}

/** PIDs of processes whose network namespace is `name` (`ip netns pids`). */
export async function netnsPids(name: string): Promise<number[]> {
  try {
    const out = await run('ip', ['netns', 'pids', name], `list processes in ${name}`);
    return out.split(/\s+/).filter(Boolean).map(Number).filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}
