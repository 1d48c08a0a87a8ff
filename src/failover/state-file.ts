// The state file: what the daemon last knew, for `mgmt status` when the daemon does not answer
// (it is stopped or was killed) and for `mgmt move --state-file` to find the control socket.
// The live answer comes from the control socket; this file is only the last word of a daemon.
//
// Written atomically (temporary file + rename) so a reader never sees half a document, and
// throttled: a decision writes at once, routine refreshes at most every 100 ms.
import { chownSync, closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from '../errors.js';
import type { CandidateStatus, Counters } from './state-machine.js';

export const DEFAULT_STATE_FILE = '/run/nodectl/mgmt.json';
/** Routine (non-decision) writes at most this often. */
const MIN_INTERVAL_MS = 100;

export interface DaemonCounters extends Counters {
  events: number;
  overruns: number;
  resyncs: number;
  actionErrors: number;
  auditMismatches: number;
}

export interface MgmtState {
  version: 1;
  pid: number;
  netns: string | null;
  startedAt: string;
  updatedAt: string;
  addresses: string[];
  gateway: { ipv4: string | null; ipv6: string | null };
  holder: string | null;
  pinned: string | null;
  candidates: (Omit<CandidateStatus, 'upSince' | 'healthySince'> & { upSince: string | null; healthySince: string | null })[];
  lastMoves: { at: string; kind: string; from: string | null; to: string | null; reason: string }[];
  counters: DaemonCounters;
  /** Where this daemon listens: `mgmt move --state-file` finds it from here. */
  controlSocket?: string;
  /** Where the Prometheus endpoint listens (host:port), when --metrics asked for one. */
  metrics?: string;
  /** The daemon's own memory, bytes (process.memoryUsage): a soak reads it, operators graph it. */
  memory?: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
}

/**
 * Three random bytes in hex, so no other writer picks the same temporary name. From
 * /dev/urandom, not node:crypto: its import keeps OpenSSL's code and crypto's modules resident
 * (~1.7 MB) in a daemon that needs three bytes now and then.
 */
function randomHex(): string {
  const b = Buffer.alloc(3);
  const fd = openSync('/dev/urandom', 'r');
  try {
    readSync(fd, b);
  } finally {
    closeSync(fd);
  }
  return b.toString('hex');
}

export class StateFile {
  readonly path: string;
  private readonly snapshot: () => MgmtState;
  private readonly onError: (err: Error) => void;
  /** Group the file is given (the control group), or null: root and the daemon's user only. */
  gid: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = 0;
  private closed = false;

  constructor(path: string, snapshot: () => MgmtState, onError: (err: Error) => void) {
    this.path = path;
    this.snapshot = snapshot;
    this.onError = onError;
  }

  /** Write now when something decided changed; otherwise at most every 100 ms. */
  write(important: boolean): void {
    if (this.closed) return;
    const since = Date.now() - this.lastWrite;
    if (!important && since < MIN_INTERVAL_MS) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.write(true);
      }, MIN_INTERVAL_MS - since);
      return;
    }
    this.lastWrite = Date.now();
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o750 });
      const tmp = `${this.path}.${randomHex()}.tmp`;
      // 0640 at most (the umask can only narrow it): the state names interfaces and addresses.
      writeFileSync(tmp, `${JSON.stringify(this.snapshot(), null, 2)}\n`, { mode: 0o640 });
      if (this.gid !== null) chownSync(tmp, process.getuid?.() ?? 0, this.gid);
      renameSync(tmp, this.path);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** The last write (the daemon is stopping); nothing after it. */
  close(): void {
    this.write(true);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The state file a daemon wrote, and whether that daemon is still alive. */
export function readState(file = DEFAULT_STATE_FILE): { state: MgmtState; running: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StateError(`no failover state at ${file}: the daemon has not run (start it with: nodectl mgmt run --config FILE)`);
    throw err;
  }
  let state: MgmtState;
  try {
    state = JSON.parse(text) as MgmtState;
  } catch {
    throw new StateError(`${file} is not a failover state file (not JSON)`);
  }
  let running = false;
  try {
    process.kill(state.pid, 0);
    running = true;
  } catch (err) {
    running = (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return { state, running };
}
