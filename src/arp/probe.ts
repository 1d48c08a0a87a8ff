// ARP probe: is TARGET alive behind this interface? The failover's health check. A who-has
// goes out of IFACE only (a packet socket bound to it, not the routing table), and only a
// reply that answers it counts (see validateArpReply), so a gratuitous ARP or a reply meant
// for somebody else cannot fake health.
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors.js';
import { listAddrs } from '../netlink/addr.js';
import { formatLladdr, parseIPv4 } from '../netlink/attr.js';
import type { Handle } from '../netlink/handle.js';
import { getLink } from '../netlink/link.js';
import { ETH_P, PacketSocket } from '../netlink/packet.js';
import { requireArpCapable } from './announce.js';
import { whenOperational } from './operational.js';
import { buildArpRequest, parseArp, validateArpReply } from './frames.js';
import { withTarget } from './target.js';

export interface ArpProbeOptions {
  /** Network namespace of the interface (ignored when handle is given). */
  netns?: string;
  /** An open Handle to reuse (the failover daemon keeps one). */
  handle?: Handle;
  ifname: string;
  /** IPv4 address to ask for. */
  target: string;
  /** How long to wait for the reply to each request, ms (default 1000). */
  timeoutMs?: number;
  /** Requests to send before giving up (default 3). */
  count?: number;
  /**
   * Sender IP of the request (default: the interface's IPv4 address in TARGET's subnet, else
   * its first IPv4 address, else 0.0.0.0 — an RFC 5227 probe that works without an address).
   */
  source?: string;
  /**
   * How long to wait for a link that just came up to become operational before sending (default
   * OPERATIONAL_WAIT_MS); a link that is down or stays not operational is a StateError.
   */
  settleMs?: number;
}

export interface ArpProbeReply {
  /** The target's MAC (ARP sender hardware address). */
  mac: string;
  rttMs: number;
  /** Which request (1-based) was outstanding when it came. */
  try: number;
}

export interface ArpProbeResult {
  ifname: string;
  target: string;
  source: string;
  /** Our MAC, the address the reply had to be sent to. */
  mac: string;
  reply: ArpProbeReply | null;
  /** Requests sent. */
  tries: number;
  /** ARP frames seen that did not answer our request (gratuitous, for others, forged). */
  ignored: number;
}

export const PROBE_DEFAULTS = { timeoutMs: 1000, count: 3 } as const;

export function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, not ${v}`);
}

function prefixContains(addr: Buffer, prefixlen: number, ip: Buffer): boolean {
  const mask = prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
  return ((addr.readUInt32BE(0) & mask) >>> 0) === ((ip.readUInt32BE(0) & mask) >>> 0);
}

export interface Asked {
  answer: { frame: Buffer; rttMs: number; try: number } | null;
  tries: number;
  ignored: number;
}

/**
 * The request/answer loop of the ARP and the NDP probe: send REQUEST on SOCK up to COUNT
 * times, each time waiting up to timeoutMs for a frame that `answers`; frames that are
 * `relevant` (of the probed protocol) but do not answer are counted as ignored. Closes SOCK.
 */
export async function askUntilAnswered(sock: PacketSocket, request: Buffer, o: {
  count: number; timeoutMs: number; relevant: (f: Buffer) => boolean; answers: (f: Buffer) => boolean;
}): Promise<Asked> {
  let tries = 0;
  let ignored = 0;
  let sentAt = 0;
  let wake: ((a: NonNullable<Asked['answer']>) => void) | null = null;
  let socketError: Error | null = null;
  sock.on('error', (err) => {
    socketError = err;
  });
  sock.on('frame', (frame) => {
    if (!wake || !o.relevant(frame)) return;
    if (!o.answers(frame)) {
      ignored++;
      return;
    }
    wake({ frame, rttMs: Math.round((performance.now() - sentAt) * 1000) / 1000, try: tries });
  });
  let answer: Asked['answer'] = null;
  try {
    while (tries < o.count && !answer) {
      if (socketError) throw socketError;
      tries++;
      answer = await new Promise<Asked['answer']>((resolve) => {
        const timer = setTimeout(() => resolve(null), o.timeoutMs);
        wake = (a) => {
          clearTimeout(timer);
          resolve(a);
        };
        sentAt = performance.now();
        try {
          sock.send(request);
        } catch (err) {
          clearTimeout(timer);
          socketError = err as Error;
          resolve(null);
        }
      });
      wake = null;
    }
    if (socketError) throw socketError;
  } finally {
    sock.close();
  }
  return { answer, tries, ignored };
}

/** Ask once per try for TARGET out of IFACE; resolves with the first valid reply or null. */
export async function arpProbe(opts: ArpProbeOptions): Promise<ArpProbeResult> {
  const timeoutMs = opts.timeoutMs ?? PROBE_DEFAULTS.timeoutMs;
  const count = opts.count ?? PROBE_DEFAULTS.count;
  checkInt('timeout', timeoutMs, 1, 3_600_000);
  checkInt('count', count, 1, 10000);
  const target = parseIPv4(opts.target);
  if (!target) throw new UsageError(`"${opts.target}" is not an IPv4 address (ARP probes are IPv4; IPv6 uses neighbour solicitation)`);
  let explicitSource: Buffer | null = null;
  if (opts.source !== undefined) {
    explicitSource = parseIPv4(opts.source);
    if (!explicitSource) throw new UsageError(`source "${opts.source}" is not an IPv4 address`);
  }
  return withTarget(opts.handle ?? { netns: opts.netns }, async (h) => {
    // As in announce: an interface that cannot do ARP is bad input whatever its state.
    const found = await getLink(h, opts.ifname);
    const mac = requireArpCapable(found);
    const link = await whenOperational(h, found, opts.settleMs);
    const addrs = (await listAddrs(h, { ifindex: link.index, family: 4 })).map((a) => ({ ...a, bytes: parseIPv4(a.address)! }));
    if (addrs.some((a) => a.bytes.equals(target))) throw new UsageError(`${opts.target} is an address of ${link.name} itself`);
    const source = explicitSource
      ?? addrs.find((a) => !a.flags.includes('secondary') && prefixContains(a.bytes, a.prefixlen, target))?.bytes
      ?? addrs.find((a) => prefixContains(a.bytes, a.prefixlen, target))?.bytes
      ?? addrs[0]?.bytes
      ?? Buffer.alloc(4);
    const sourceText = `${source[0]}.${source[1]}.${source[2]}.${source[3]}`;
    const request = buildArpRequest(mac, source, target);
    const sock = PacketSocket.open({ netns: h.netns, ifindex: link.index, ifname: link.name, protocol: ETH_P.ARP, ignoreOutgoing: true });
    const r = await askUntilAnswered(sock, request, {
      count, timeoutMs,
      relevant: (f) => parseArp(f) !== null,
      answers: (f) => validateArpReply(f, { mac, source, target }).ok,
    });
    const reply = r.answer ? { mac: formatLladdr(r.answer.frame, 22, 28), rttMs: r.answer.rttMs, try: r.answer.try } : null;
    const { tries, ignored } = r;
    return { ifname: link.name, target: opts.target, source: sourceText, mac: link.mac!, reply, tries, ignored };
  });
}
