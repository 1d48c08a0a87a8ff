// NDP probe: the IPv6 twin of the ARP probe (probe.ts). A Neighbor Solicitation for TARGET goes
// out of IFACE only, to TARGET's solicited-node group, and only a Neighbor Advertisement that
// answers it counts (validateNaReply: type 136, hop limit 255, Solicited, our target, back to
// our address and MAC), so an unsolicited NA, one for another address or a forged one with the
// wrong target cannot fake health.
import { StateError, UsageError } from '../errors.js';
import { listAddrs } from '../netlink/addr.js';
import { formatIPv6, parseIPv6 } from '../netlink/attr.js';
import { getLink } from '../netlink/link.js';
import { ETH_P, PacketSocket } from '../netlink/packet.js';
import { requireArpCapable } from './announce.js';
import { buildNeighborSolicitation, validateNaReply } from './frames.js';
import { whenOperational } from './operational.js';
import { askUntilAnswered, checkInt, PROBE_DEFAULTS, type ArpProbeOptions } from './probe.js';
import { withTarget } from './target.js';

export type NdpProbeOptions = Omit<ArpProbeOptions, 'target' | 'source'> & {
  /** IPv6 address to solicit (global or link-local). */
  target: string;
};

export interface NdpProbeResult {
  ifname: string;
  target: string;
  /** The address the NS came from and the NA had to go back to. */
  source: string;
  mac: string;
  reply: { rttMs: number; try: number } | null;
  tries: number;
  /** ICMPv6 frames seen that did not answer our solicitation. */
  ignored: number;
}

function samePrefix(a: Buffer, b: Buffer, prefixlen: number): boolean {
  for (let bit = 0; bit < prefixlen; bit += 8) {
    const n = Math.min(8, prefixlen - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((a[bit / 8]! & mask) !== (b[bit / 8]! & mask)) return false;
  }
  return true;
}

/** Solicit once per try for TARGET out of IFACE; resolves with the first valid advertisement or null. */
export async function ndpProbe(opts: NdpProbeOptions): Promise<NdpProbeResult> {
  const timeoutMs = opts.timeoutMs ?? PROBE_DEFAULTS.timeoutMs;
  const count = opts.count ?? PROBE_DEFAULTS.count;
  checkInt('timeout', timeoutMs, 1, 3_600_000);
  checkInt('count', count, 1, 10000);
  const target = opts.target.includes('.') ? null : parseIPv6(opts.target);
  if (!target) throw new UsageError(`"${opts.target}" is not an IPv6 address (NDP probes are IPv6; IPv4 uses ARP)`);
  return withTarget(opts.handle ?? { netns: opts.netns }, async (h) => {
    const found = await getLink(h, opts.ifname);
    const mac = requireArpCapable(found);
    const link = await whenOperational(h, found, opts.settleMs);
    const addrs = (await listAddrs(h, { ifindex: link.index, family: 6 }))
      .filter((a) => !a.flags.includes('dadfailed'))
      .map((a) => ({ ...a, bytes: parseIPv6(a.address)! }));
    if (addrs.some((a) => a.bytes.equals(target))) throw new UsageError(`${opts.target} is an address of ${link.name} itself`);
    // The link-local address first: every interface has one, a standby candidate holds no
    // global one, and it is what the kernel's own solicitations use. A tentative one is fine:
    // the frame is ours, and the answer is read off the wire, not from the kernel's stack.
    const source = addrs.find((a) => a.scope === 'link')?.bytes
      ?? addrs.find((a) => samePrefix(a.bytes, target, a.prefixlen))?.bytes
      ?? addrs[0]?.bytes;
    if (!source) throw new StateError(`${link.name} has no IPv6 address to solicit from (is IPv6 disabled on it?)`);
    const request = buildNeighborSolicitation(mac, source, target);
    const sock = PacketSocket.open({ netns: h.netns, ifindex: link.index, ifname: link.name, protocol: ETH_P.IPV6, ignoreOutgoing: true });
    const r = await askUntilAnswered(sock, request, {
      count, timeoutMs,
      // only NDP advertisements are worth a word; the rest of the link's IPv6 traffic is not ours
      relevant: (f) => f.length >= 78 && f.readUInt16BE(12) === 0x86dd && f[20] === 58 && f[54] === 136,
      answers: (f) => validateNaReply(f, { mac, source, target }).ok,
    });
    return {
      ifname: link.name, target: opts.target, source: formatIPv6(source, 0), mac: link.mac!,
      reply: r.answer ? { rttMs: r.answer.rttMs, try: r.answer.try } : null, tries: r.tries, ignored: r.ignored,
    };
  });
}
