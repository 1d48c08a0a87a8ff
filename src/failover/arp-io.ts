// The failover daemon's frames, built by src/arp: gratuitous ARP / unsolicited NA after a move
// (src/arp/frames.ts), and the validated ARP probe of the gateway (src/arp/probe.ts).
//
// Announcements do not go through arp's announce(): that looks the link and its addresses up
// and opens a socket on every call, which costs a few round trips on the path from a carrier
// loss to the first gratuitous ARP. Here the sockets are opened per interface ahead of time
// (prepare) and kept, and the daemon has just added the address itself.
import { buildGratuitousArp, buildUnsolicitedNa } from '../arp/frames.js';
import { ndpProbe } from '../arp/ndp-probe.js';
import { arpProbe } from '../arp/probe.js';
import { StateError } from '../errors.js';
import { parseIP } from '../netlink/attr.js';
import { Handle } from '../netlink/handle.js';
import { getLink } from '../netlink/link.js';
import { PacketSocket } from '../netlink/packet.js';
import type { Announcer, HealthProbe } from './io.js';
import type { MgmtAddress } from './state-machine.js';

/** Per-interface send sockets, opened once per ifindex (reopened if the interface is recreated). */
class Senders {
  private readonly netns: string | undefined;
  private h: Handle | null = null;
  private readonly socks = new Map<string, { sock: PacketSocket; ifindex: number }>();

  constructor(netns: string | undefined) {
    this.netns = netns;
  }

  /**
   * The socket and the MAC to announce with. The MAC is read from the kernel every time (one
   * GETLINK, a fraction of a millisecond): a cached one went stale when the MAC changed in the
   * window between the daemon's link event and a move. Only the socket is kept, per ifindex.
   */
  async get(ifname: string, fresh = false): Promise<{ sock: PacketSocket; mac: Buffer }> {
    this.h ??= Handle.open({ netns: this.netns, recv: 'fit' });
    const link = await getLink(this.h, ifname);
    const mac = Buffer.from((link.mac ?? '00:00:00:00:00:00').replace(/:/g, ''), 'hex');
    const have = this.socks.get(ifname);
    if (have && !fresh && !have.sock.closed && have.ifindex === link.index) return { sock: have.sock, mac };
    have?.sock.close();
    const sock = PacketSocket.open({ netns: this.netns, ifindex: link.index, protocol: 0 });
    this.socks.set(ifname, { sock, ifindex: link.index });
    return { sock, mac };
  }

  forget(ifname: string): void {
    this.socks.get(ifname)?.sock.close();
    this.socks.delete(ifname);
  }

  close(): void {
    for (const s of this.socks.values()) s.sock.close();
    this.socks.clear();
    this.h?.close();
    this.h = null;
  }
}

function frameFor(mac: Buffer, a: MgmtAddress): Buffer {
  const ip = parseIP(a.address).bytes;
  return a.family === 4 ? buildGratuitousArp(mac, ip, 'request') : buildUnsolicitedNa(mac, ip);
}

export function defaultAnnouncer(netns: string | undefined): Announcer {
  const senders = new Senders(netns);
  return {
    async announce(ifname: string, addresses: MgmtAddress[], count: number, intervalMs: number): Promise<void> {
      let s = await senders.get(ifname);
      let frames = addresses.map((a) => frameFor(s.mac, a));
      for (let i = 0; i < count; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
        try {
          for (const f of frames) s.sock.send(f);
        } catch {
          // The interface was recreated since the socket was opened (new index, maybe new MAC).
          s = await senders.get(ifname, true);
          frames = addresses.map((a) => frameFor(s.mac, a));
          for (const f of frames) s.sock.send(f);
        }
      }
    },
    async prepare(ifnames: string[]): Promise<void> {
      for (const n of ifnames) await senders.get(n);
    },
    forget: (ifname: string) => senders.forget(ifname),
    close: () => senders.close(),
  };
}

/**
 * The gateway probe: arp's validated probes (only a reply from TARGET to our own request
 * counts, so other hosts' traffic cannot make a dead path look alive), ARP for an IPv4 target,
 * NDP (NS → solicited NA) for an IPv6 one. One Handle per interface and family, because each
 * probe dumps the interface's addresses and two dumps (the ARP and the NDP probe of one
 * interface may overlap) must not share a socket.
 */
export function defaultProbe(netns: string | undefined): HealthProbe {
  const handles = new Map<string, Handle>();
  return {
    async probe(ifname: string, target: string, timeoutMs: number): Promise<boolean> {
      const v6 = target.includes(':');
      const key = `${v6 ? 6 : 4} ${ifname}`;
      let h = handles.get(key);
      if (!h) {
        h = Handle.open({ netns, recv: 'fit' });
        handles.set(key, h);
      }
      const o = { handle: h, ifname, target, timeoutMs, count: 1, settleMs: 0 };
      // a link that cannot send fails its probe at once: the daemon must not wait on it
      const r = await (v6 ? ndpProbe(o) : arpProbe(o)).catch((err: unknown) => {
        if (err instanceof StateError) return null;
        throw err;
      });
      return r !== null && r.reply !== null;
    },
    close: () => {
      for (const h of handles.values()) h.close();
      handles.clear();
    },
  };
}
