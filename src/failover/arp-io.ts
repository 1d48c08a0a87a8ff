// The frames the failover daemon sends: gratuitous ARP and unsolicited neighbour advertisements
// after a move, and a validated ARP probe of the gateway. Sockets are opened per interface once
// and kept: the first gratuitous ARP after a move must not wait for socket setup.
import { Handle } from '../netlink/handle.js';
import { getLink } from '../netlink/link.js';
import { ETH_P, PacketSocket } from '../netlink/packet.js';
import { parseIPv4, parseIPv6 } from '../netlink/attr.js';
import type { Announcer, HealthProbe } from './io.js';
import type { MgmtAddress } from './state-machine.js';

const BROADCAST = Buffer.from('ffffffffffff', 'hex');
const ALL_NODES_MAC = Buffer.from('333300000001', 'hex');
const ALL_NODES = Buffer.from('ff020000000000000000000000000001', 'hex');

function mac(text: string): Buffer {
  return Buffer.from(text.replace(/:/g, ''), 'hex');
}

/** An ARP packet in an Ethernet frame (RFC 826 / RFC 5227 field names). */
export function arpFrame(p: { dst: Buffer; op: 1 | 2; sha: Buffer; spa: Buffer; tha: Buffer; tpa: Buffer }): Buffer {
  const f = Buffer.alloc(42);
  p.dst.copy(f, 0);
  p.sha.copy(f, 6);
  f.writeUInt16BE(ETH_P.ARP, 12);
  f.writeUInt16BE(1, 14); // Ethernet
  f.writeUInt16BE(ETH_P.IP, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(p.op, 20);
  p.sha.copy(f, 22);
  p.spa.copy(f, 28);
  p.tha.copy(f, 32);
  p.tpa.copy(f, 38);
  return f;
}

/** Gratuitous ARP, request form (RFC 5227 ARP announcement: spa = tpa = our address). */
export function garpFrame(srcMac: Buffer, ip: Buffer): Buffer {
  return arpFrame({ dst: BROADCAST, op: 1, sha: srcMac, spa: ip, tha: Buffer.alloc(6), tpa: ip });
}

/** Unsolicited neighbour advertisement to all nodes (RFC 4861 7.2.6), override flag set. */
export function unsolicitedNaFrame(srcMac: Buffer, ip: Buffer): Buffer {
  const icmp = Buffer.alloc(32);
  icmp[0] = 136; // neighbour advertisement
  icmp.writeUInt32BE(0x20000000, 4); // O (override)
  ip.copy(icmp, 8);
  icmp[24] = 2; // target link-layer address option
  icmp[25] = 1;
  srcMac.copy(icmp, 26);
  const pseudo = Buffer.alloc(40);
  ip.copy(pseudo, 0);
  ALL_NODES.copy(pseudo, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo[39] = 58;
  icmp.writeUInt16BE(checksum(Buffer.concat([pseudo, icmp])), 2);
  const f = Buffer.alloc(14 + 40 + icmp.length);
  ALL_NODES_MAC.copy(f, 0);
  srcMac.copy(f, 6);
  f.writeUInt16BE(ETH_P.IPV6, 12);
  f.writeUInt32BE(0x60000000, 14);
  f.writeUInt16BE(icmp.length, 18);
  f[20] = 58;
  f[21] = 255; // hop limit: receivers drop NDP with anything else
  ip.copy(f, 22);
  ALL_NODES.copy(f, 38);
  icmp.copy(f, 54);
  return f;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Per-interface send sockets and MACs, looked up once and kept until the interface changes. */
class Senders {
  private readonly netns: string | undefined;
  private h: Handle | null = null;
  private readonly socks = new Map<string, { sock: PacketSocket; mac: Buffer }>();

  constructor(netns: string | undefined) {
    this.netns = netns;
  }

  async get(ifname: string): Promise<{ sock: PacketSocket; mac: Buffer }> {
    const have = this.socks.get(ifname);
    if (have && !have.sock.closed) return have;
    this.h ??= Handle.open({ netns: this.netns });
    const link = await getLink(this.h, ifname);
    const sock = PacketSocket.open({ netns: this.netns, ifindex: link.index, protocol: 0 });
    const entry = { sock, mac: mac(link.mac ?? '00:00:00:00:00:00') };
    this.socks.set(ifname, entry);
    return entry;
  }

  send(ifname: string, frame: Buffer): void {
    const s = this.socks.get(ifname);
    if (!s) throw new Error(`no socket for ${ifname}`);
    try {
      s.sock.send(frame);
    } catch (err) {
      // The interface may have been recreated (new ifindex): reopen next time.
      s.sock.close();
      this.socks.delete(ifname);
      throw err;
    }
  }

  close(): void {
    for (const s of this.socks.values()) s.sock.close();
    this.socks.clear();
    this.h?.close();
    this.h = null;
  }
}

export function defaultAnnouncer(netns: string | undefined): Announcer {
  const senders = new Senders(netns);
  return {
    async announce(ifname: string, addresses: MgmtAddress[], count: number, intervalMs: number): Promise<void> {
      let { mac: srcMac } = await senders.get(ifname);
      const build = () => addresses.map((a) => (a.family === 4 ? garpFrame(srcMac, parseIPv4(a.address)!) : unsolicitedNaFrame(srcMac, parseIPv6(a.address)!)));
      let frames = build();
      for (let i = 0; i < count; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
        try {
          for (const f of frames) senders.send(ifname, f);
        } catch {
          // The interface was recreated since the socket was opened: reopen once (new MAC too).
          ({ mac: srcMac } = await senders.get(ifname));
          frames = build();
          for (const f of frames) senders.send(ifname, f);
        }
      }
    },
    async prepare(ifnames: string[]): Promise<void> {
      for (const n of ifnames) await senders.get(n);
    },
    close: () => senders.close(),
  };
}

/**
 * ARP probe of the gateway through one interface (sender address 0.0.0.0, RFC 5227, so it
 * works from interfaces that do not hold the address). Only a reply from TARGET, to our MAC,
 * counts: another host's ARP traffic on the segment cannot make a dead path look alive (the
 * trap of the bonding driver's arp_validate=none).
 */
export function defaultProbe(netns: string | undefined): HealthProbe {
  const senders = new Senders(netns);
  return {
    async probe(ifname: string, target: string, timeoutMs: number): Promise<boolean> {
      const { sock, mac: ourMac } = await senders.get(ifname);
      const tpa = parseIPv4(target)!;
      const rx = PacketSocket.open({ netns, ifindex: sock.ifindex, protocol: ETH_P.ARP, ignoreOutgoing: true });
      try {
        return await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          rx.on('frame', (f: Buffer) => {
            if (f.length < 42 || f.readUInt16BE(12) !== ETH_P.ARP || f.readUInt16BE(20) !== 2) return;
            if (!f.subarray(28, 32).equals(tpa) || !f.subarray(32, 38).equals(ourMac)) return;
            clearTimeout(timer);
            resolve(true);
          });
          senders.send(ifname, arpFrame({ dst: BROADCAST, op: 1, sha: ourMac, spa: Buffer.alloc(4), tha: Buffer.alloc(6), tpa }));
        });
      } finally {
        rx.close();
      }
    },
    close: () => senders.close(),
  };
}
