// Who may talk to the failover daemon's control socket. File modes are not the check: under
// `umask 000` a socket came out 0777 and `nobody` moved the management address (issue 19). The
// kernel's record of the connecting process (SO_PEERCRED) is: root, the daemon's own user, or a
// member of the configured group. Modes are still made tight, as a second fence.
import { readFileSync } from 'node:fs';
import type { PeerCred } from '../netlink/peercred.js';

/** The gid of a group name from /etc/group, or null if there is none. */
export function groupGid(name: string, groupFile = '/etc/group'): number | null {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return null;
}

/** Supplementary groups of a live process (SO_PEERCRED carries only the primary one). */
function groupsOf(pid: number): number[] {
  try {
    const m = /^Groups:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1]!.trim().split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}

/** null when allowed, else why not (for the refusal and the log). */
export function refusal(peer: PeerCred | null, allowedGid: number | null, selfUid = process.getuid?.() ?? 0): string | null {
  if (!peer) return 'the peer\'s credentials could not be read';
  if (peer.uid === 0 || peer.uid === selfUid) return null;
  if (allowedGid !== null && (peer.gid === allowedGid || groupsOf(peer.pid).includes(allowedGid))) return null;
  return `uid ${peer.uid} (pid ${peer.pid}) is not root${allowedGid !== null ? ` nor in group ${allowedGid}` : ''}`;
}
