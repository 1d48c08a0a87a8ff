// Gratuitous ARP / unsolicited neighbour advertisement: tell the segment that ADDRESS now lives
// at this interface's MAC (after a failover moved it, or a MAC changed), so neighbours and
// switches update their tables without waiting for their entries to age out.
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import { listAddrs } from '../netlink/addr.js';
import { parseIP } from '../netlink/attr.js';
import type { Handle } from '../netlink/handle.js';
import { getLink, type Link } from '../netlink/link.js';
import { PacketSocket } from '../netlink/packet.js';
import { buildGratuitousArp, buildUnsolicitedNa } from './frames.js';
import { whenOperational } from './operational.js';
import { type Target, withTarget } from './target.js';

export interface AnnounceOptions {
  ifname: string;
  /** The IPv4 or IPv6 address to announce. */
  address: string;
  /** Frames to send (default 3). */
  count?: number;
  /** Pause between two frames in ms (default 1000). */
  intervalMs?: number;
  /** IPv4 only: RFC 5227 announcement ('request', default) or arping -A style ('reply'). */
  mode?: 'request' | 'reply';
  /** IPv6 only: set the Router flag. */
  router?: boolean;
  /** Announce even if the address is not configured on the interface. */
  force?: boolean;
  /**
   * How long to wait for a link that just came up to become operational before sending (default
   * OPERATIONAL_WAIT_MS), as arpProbe's settleMs.
   */
  settleMs?: number;
  /** Called after each frame went out (for progress output). */
  onSent?: (n: number) => void;
}

export interface AnnounceResult {
  ifname: string;
  ifindex: number;
  mac: string;
  address: string;
  family: 4 | 6;
  /** What went out: 'arp-request' / 'arp-reply' (gratuitous ARP) or 'unsolicited-na'. */
  kind: 'arp-request' | 'arp-reply' | 'unsolicited-na';
  sent: number;
}

export const ANNOUNCE_DEFAULTS = { count: 3, intervalMs: 1000 } as const;

function checkCount(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, not ${v}`);
}

/** An interface that can carry ARP/NDP: Ethernet-like, with a MAC, not NOARP. */
export function requireArpCapable(link: Link): Buffer {
  if (link.kind === 'loopback' || !link.mac || link.flags.includes('NOARP') || link.mac.split(':').length !== 6) {
    throw new UsageError(`${link.name} does not do ARP/NDP (${link.kind === 'loopback' ? 'loopback' : link.flags.includes('NOARP') ? 'NOARP' : 'no Ethernet address'})`);
  }
  return Buffer.from(link.mac.replace(/:/g, ''), 'hex');
}

export async function announce(target: Target, opts: AnnounceOptions): Promise<AnnounceResult> {
  const count = opts.count ?? ANNOUNCE_DEFAULTS.count;
  const intervalMs = opts.intervalMs ?? ANNOUNCE_DEFAULTS.intervalMs;
  checkCount('count', count, 1, 10000);
  checkCount('interval', intervalMs, 0, 3_600_000);
  let ip: { family: 4 | 6; bytes: Buffer };
  try {
    ip = parseIP(opts.address);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (ip.family === 6 && opts.mode === 'reply') throw new UsageError('--mode applies to IPv4 (gratuitous ARP); IPv6 sends unsolicited neighbour advertisements');
  if (ip.family === 4 && opts.router) throw new UsageError('the router flag exists only in IPv6 neighbour advertisements');
  return withTarget(target, async (h: Handle) => {
    const link = await getLink(h, opts.ifname);
    const mac = requireArpCapable(link);
    await whenOperational(h, link, opts.settleMs);
    if (!opts.force) {
      const mine = await listAddrs(h, { ifindex: link.index, family: ip.family });
      if (!mine.some((a) => parseIP(a.address).bytes.equals(ip.bytes))) {
        throw new UsageError(`${opts.address} is not configured on ${link.name}; announcing it would redirect its traffic here (use --force if that is the point)`);
      }
    }
    const kind: AnnounceResult['kind'] = ip.family === 6 ? 'unsolicited-na' : opts.mode === 'reply' ? 'arp-reply' : 'arp-request';
    const frame = ip.family === 6
      ? buildUnsolicitedNa(mac, ip.bytes, { router: opts.router ?? false })
      : buildGratuitousArp(mac, ip.bytes, opts.mode ?? 'request');
    const sock = PacketSocket.open({ netns: h.netns, ifindex: link.index, ifname: link.name, protocol: 0 });
    let sent = 0;
    try {
      for (let i = 0; i < count; i++) {
        if (i > 0 && intervalMs > 0) await sleep(intervalMs);
        sock.send(frame);
        sent++;
        opts.onSent?.(sent);
      }
    } finally {
      sock.close();
    }
    return { ifname: link.name, ifindex: link.index, mac: link.mac!, address: opts.address, family: ip.family, kind, sent };
  });
}
