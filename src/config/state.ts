// nodectl's persistent state for config apply, one directory per network namespace:
// <key> is 'default' for the host's namespace, else ino-<inode> of the namespace (its identity,
// however it is named: `-n blue` and `-n /run/netns/blue` share one directory and one lock).
//   <state-dir>/netns/<key>/owned.json     which interfaces nodectl created (prune removes only these)
//   <state-dir>/netns/<key>/journal.json   the apply in progress: its steps and their inverses
//   <state-dir>/netns/<key>/progress       one line per step begun/done/undone (append-only)
//   <state-dir>/netns/<key>/confirmed.json the configuration of the last committed apply
//   <state-dir>/netns/<key>/lock           one apply/recover at a time
// Kernel network state does not survive a reboot, so every record carries the boot id: a
// journal or ownership record from an earlier boot describes objects that no longer exist.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../errors.js';

export const DEFAULT_STATE_DIR = '/var/lib/nodectl';

export function stateDirOf(flag?: string): string {
  return flag ?? process.env.NODECTL_STATE_DIR ?? DEFAULT_STATE_DIR;
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The namespace's identity: device and inode of its nsfs file, however it is named (`-n blue`,
 * `-n /run/netns/blue`, a /proc/PID/ns/net path, or none for the current one). A re-created
 * namespace of the same name is another one.
 */
export function netnsIdentity(netns: string | undefined): { dev: number; ino: number } | null {
  const path = netns ? (netns.includes('/') ? netns : `/run/netns/${netns}`) : '/proc/self/ns/net';
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export function netnsInode(netns: string | undefined): number {
  return netnsIdentity(netns)?.ino ?? 0;
}

export interface OwnedLink {
  name: string;
  ifindex: number;
  kind: string;
  /** veth: the other end, and its namespace when elsewhere */
  peer?: string;
  peerNetns?: string;
}

export interface OwnershipRecord {
  bootId: string;
  netnsInode: number;
  links: OwnedLink[];
}

function atomicWrite(path: string, text: string, durable = true): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // the rename itself must reach the disk before we rely on it
  if (durable) syncDir(join(path, '..'));
}

function syncDir(dir: string): void {
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

/** When this boot began (ms since the epoch), from /proc/stat's btime. */
export function bootTimeMs(): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (m) return Number(m[1]) * 1000;
  } catch { /* below */ }
  return 0;
}

/**
 * A record that cannot be parsed but was last written before this boot: a power loss tore it
 * (records are written without fsync, see writeJournal). It described kernel state that is gone.
 */
function tornBeforeBoot(path: string): boolean {
  try {
    // btime has 1 s resolution: only a file older than the second the boot started counts
    return statSync(path).mtimeMs < bootTimeMs() - 1000;
  } catch {
    return false;
  }
}

export class StateDir {
  readonly dir: string;
  readonly netns: string | undefined;
  readonly boot: string;
  readonly inode: number;

  constructor(root: string, netns: string | undefined) {
    this.netns = netns;
    // One directory, hence one lock, per namespace identity: two applies naming the same
    // namespace differently must exclude each other. By name only when it cannot be stat'ed
    // (then nothing can be applied to it either).
    // The host's own namespace (init's) is 'default' under any name: its directory must be the
    // same after a reboot (confirmed.json, a --confirm journal), and its inode is the same in
    // every boot while the nsfs device number need not be.
    const id = netnsIdentity(netns);
    const init = netnsIdentity('/proc/1/ns/net');
    const key = id && init && id.dev === init.dev && id.ino === init.ino ? 'default'
      : id ? `ino-${id.ino}` : netns ? `ns-${netns.replace(/[^A-Za-z0-9_.-]/g, '_')}` : 'default';
    this.dir = join(root, 'netns', key);
    this.boot = bootId();
    this.inode = id?.ino ?? 0;
  }

  ensure(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StateError(`cannot create state directory ${this.dir}: ${(err as Error).message} (use --state-dir or NODECTL_STATE_DIR)`, { cause: err });
    }
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Owned links valid in this boot and this namespace instance; anything else is stale. */
  readOwned(): OwnedLink[] {
    const p = this.path('owned.json');
    if (!existsSync(p)) return [];
    let rec: OwnershipRecord;
    try {
      rec = JSON.parse(readFileSync(p, 'utf8')) as OwnershipRecord;
    } catch (err) {
      if (tornBeforeBoot(p)) return [];
      throw new StateError(`ownership record ${p} is unreadable: ${(err as Error).message}`, { cause: err });
    }
    if (rec.bootId !== this.boot || rec.netnsInode !== this.inode) return [];
    return rec.links;
  }

  writeOwned(links: OwnedLink[]): void {
    this.ensure();
    // code-unit order: deterministic like localeCompare, without ICU's cost (~20 ms for 1,000 names)
    const rec: OwnershipRecord = { bootId: this.boot, netnsInode: this.inode, links: [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
    // not fsynced, like the journal (see writeJournal): the record is only valid in this boot
    atomicWrite(this.path('owned.json'), JSON.stringify(rec, null, 1) + '\n', false);
  }

  readJournal<T extends { bootId: string; netnsInode: number }>(): T | null {
    const p = this.path('journal.json');
    if (!existsSync(p)) return null;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as T;
    } catch (err) {
      if (tornBeforeBoot(p)) {
        this.clearJournal();
        return null;
      }
      throw new StateError(`journal ${p} is unreadable: ${(err as Error).message}; inspect it, then remove it to continue`, { cause: err });
    }
  }

  /**
   * Written atomically (rename) but not fsynced: it must survive the death of this process, and
   * the page cache does. A power loss also wipes the kernel state it describes: after the
   * reboot the boot id retires a journal that reached the disk, and one torn on the way is
   * recognised by its age (tornBeforeBoot). Two fsyncs per apply saved (~10-20 ms each here).
   */
  writeJournal(j: object, durable = false): void {
    this.ensure();
    // durable for --confirm: a reboot inside the window must find that the apply was unconfirmed
    atomicWrite(this.path('journal.json'), JSON.stringify(j) + '\n', durable);
  }

  /** clearJournal when the state directory may be refusing writes: what cannot go stays. */
  clearJournalQuietly(): void {
    try { this.clearJournal(); } catch { /* reported by the caller's own error */ }
  }

  /** durable: the removal reaches the disk (a --confirm journal must not come back after a reboot). */
  clearJournal(durable = false): void {
    rmSync(this.path('journal.json'), { force: true });
    rmSync(this.path('progress'), { force: true });
    if (durable) syncDir(this.dir);
  }

  /**
   * The configuration of the last committed apply (confirmed, or applied without --confirm):
   * what the first apply after a reboot inside a confirm window applies instead of the
   * unconfirmed file. Written without fsync at each commit; made durable (synced) before step 1
   * of every --confirm apply, which is when it may be needed after a reboot.
   */
  writeConfirmed(rec: { hash: string; config: unknown }): void {
    this.ensure();
    atomicWrite(this.path('confirmed.json'), JSON.stringify(rec) + '\n', false);
  }

  readConfirmed<T>(): { hash: string; config: T } | null {
    try {
      return JSON.parse(readFileSync(this.path('confirmed.json'), 'utf8')) as { hash: string; config: T };
    } catch {
      return null;
    }
  }

  syncConfirmed(): void {
    const p = this.path('confirmed.json');
    if (!existsSync(p)) return;
    const fd = openSync(p, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    syncDir(this.dir);
  }

  /**
   * Progress records need no fsync: they only have to survive the death of this process
   * (SIGKILL), and the page cache does; a machine crash also wipes the kernel state they
   * describe (the boot id then retires the journal).
   */
  openProgress(): Progress {
    this.ensure();
    return new Progress(openSync(this.path('progress'), 'a', 0o600), this.path('progress'));
  }

  readProgress(): { begun: Set<number>; done: Set<number>; failed: Set<number>; undone: Set<number> } {
    const out = { begun: new Set<number>(), done: new Set<number>(), failed: new Set<number>(), undone: new Set<number>() };
    const p = this.path('progress');
    if (!existsSync(p)) return out;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      const [what, n] = line.split(' ');
      const i = Number(n);
      if (!Number.isInteger(i)) continue;
      if (what === 'begin') out.begun.add(i);
      else if (what === 'done') out.done.add(i);
      else if (what === 'undone') out.undone.add(i);
      else if (what === 'failed') out.failed.add(i);
    }
    return out;
  }

  /** One apply/recover/confirm at a time per namespace; a lock of a dead process is taken over. */
  lock(): () => void {
    this.ensure();
    const p = this.path('lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(p, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => rmSync(p, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateError(`cannot lock ${p}: ${(err as Error).message}`, { cause: err });
        const pid = Number(readFileSync(p, 'utf8').trim());
        if (pid && pid !== process.pid && processAlive(pid)) {
          throw new StateError(`another nodectl (pid ${pid}) is applying or recovering the configuration of ${this.netns ?? 'this namespace'}`);
        }
        rmSync(p, { force: true });
      }
    }
    throw new StateError(`cannot lock ${p}`);
  }
}

/** begin: sent (outcome unknown until done/failed); failed: the kernel refused it (nothing to undo). */
type Mark = 'begin' | 'done' | 'failed' | 'undone';

export class Progress {
  private fd: number | null;
  /**
   * The first write the state directory refused (ENOSPC, EROFS, EIO). From then on nothing is
   * written: the apply stops before its next step and rolls back from memory.
   */
  error: StateError | null = null;
  constructor(fd: number | null, private readonly path = 'progress') {
    this.fd = fd;
  }

  /** Records nothing: for steps whose outcome no one must recover (the rehearsal's). */
  static discard(): Progress {
    return new Progress(null);
  }

  private write(text: string): void {
    if (this.fd === null || this.error) return;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      this.error = new StateError(`cannot record progress in ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  mark(what: Mark, step: number): void {
    this.write(`${what} ${step}\n`);
  }

  /** Several steps in one write (a pipelined window of steps is begun before any is sent). */
  markMany(what: Mark, steps: number[]): void {
    if (steps.length) this.write(steps.map((k) => `${what} ${k}\n`).join(''));
  }

  close(): void {
    if (this.fd !== null) try { closeSync(this.fd); } catch { /* a failed flush was recorded as error */ }
    this.fd = null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeFileAtomic(path: string, text: string): void {
  atomicWrite(path, text);
}
