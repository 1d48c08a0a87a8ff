// The neighbour table (ARP for IPv4, NDP for IPv6): RTM_GETNEIGH/NEWNEIGH/DELNEIGH
// (struct ndmsg + NDA_* attributes, include/uapi/linux/neighbour.h).
import { UsageError } from '../errors.js';
import { AF_INET, AF_INET6, familyOf } from './addr.js';
import { AttrWriter, forEachAttr, formatIP, formatLladdr, parseIP, parseLladdr } from './attr.js';
import { type Handle, NLM_F_CREATE, NLM_F_REPLACE, RTM } from './handle.js';

export const NDA = { DST: 1, LLADDR: 2, CACHEINFO: 3, PROBES: 4 } as const;

/** NUD_* states by the names `ip neigh` prints. */
export const NUD: Record<string, number> = {
  INCOMPLETE: 0x01, REACHABLE: 0x02, STALE: 0x04, DELAY: 0x08, PROBE: 0x10, FAILED: 0x20,
  NOARP: 0x40, PERMANENT: 0x80, NONE: 0x00,
};
const NTF: [number, string][] = [
  [0x01, 'use'], [0x02, 'self'], [0x04, 'master'], [0x08, 'proxy'], [0x10, 'extern_learn'],
  [0x20, 'offload'], [0x40, 'sticky'], [0x80, 'router'],
];

export interface Neigh {
  ifindex: number;
  family: 4 | 6;
  address: string;
  lladdr: string | null;
  /** NUD state name ('REACHABLE', 'STALE', 'PERMANENT', …); several joined by ',' if the kernel sets several bits. */
  state: string;
  flags: string[];
  probes?: number;
}

export function nudName(state: number): string {
  if (state === 0) return 'NONE';
  const names = Object.entries(NUD).filter(([, bit]) => bit && state & bit).map(([n]) => n);
  return names.length ? names.join(',') : `0x${state.toString(16)}`;
}

/** Decode one RTM_NEWNEIGH/DELNEIGH payload; null for families other than IPv4/IPv6 (bridge FDB). */
export function decodeNeigh(buf: Buffer, off = 0, end = buf.length): Neigh | null {
  const family = familyOf(buf[off]!);
  if (family === null) return null;
  const ifindex = buf.readInt32LE(off + 4);
  const state = buf.readUInt16LE(off + 8);
  const flags = buf[off + 10]!;
  const n: Neigh = { ifindex, family, address: '', lladdr: null, state: nudName(state), flags: NTF.filter(([b]) => flags & b).map(([, s]) => s) };
  forEachAttr(buf, off + 12, end, (t, s, e) => {
    if (t === NDA.DST) n.address = formatIP(buf, s, e);
    else if (t === NDA.LLADDR) n.lladdr = formatLladdr(buf, s, e);
    else if (t === NDA.PROBES && e - s >= 4) n.probes = buf.readUInt32LE(s);
  });
  return n;
}

function ndmsg(family: number, ifindex: number, state = 0, flags = 0): Buffer {
  const b = Buffer.alloc(12);
  b[0] = family;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt16LE(state, 8);
  b[10] = flags;
  return b;
}

export async function listNeighs(h: Handle, filter: { ifindex?: number; family?: 4 | 6 } = {}): Promise<Neigh[]> {
  const af = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : 0;
  const msgs = await h.dump(RTM.GETNEIGH, ndmsg(af, 0), { action: 'list neighbours' });
  const out: Neigh[] = [];
  for (const m of msgs) {
    if (m.type !== RTM.NEWNEIGH) continue;
    const n = decodeNeigh(m.data, 0, m.data.length);
    if (!n) continue;
    if (filter.ifindex !== undefined && n.ifindex !== filter.ifindex) continue;
    if (filter.family !== undefined && n.family !== filter.family) continue;
    out.push(n);
  }
  return out;
}

function parseDst(address: string): { family: 4 | 6; bytes: Buffer } {
  try {
    return parseIP(address);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Add or replace a neighbour entry (like `ip neigh replace`); state defaults to PERMANENT. */
export async function addNeigh(h: Handle, spec: { ifindex: number; address: string; lladdr: string; state?: string }): Promise<void> {
  const dst = parseDst(spec.address);
  const stateName = (spec.state ?? 'PERMANENT').toUpperCase();
  const state = NUD[stateName];
  if (state === undefined) throw new UsageError(`neighbour state must be one of ${Object.keys(NUD).join(', ')}, not ${spec.state}`);
  let ll: Buffer;
  try {
    ll = parseLladdr(spec.lladdr);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const w = new AttrWriter(64);
  w.raw(ndmsg(dst.family === 4 ? AF_INET : AF_INET6, spec.ifindex, state));
  w.bytes(NDA.DST, dst.bytes);
  w.bytes(NDA.LLADDR, ll);
  await h.request(RTM.NEWNEIGH, w.finish(), {
    flags: NLM_F_CREATE | NLM_F_REPLACE, action: `add neighbour ${spec.address} lladdr ${spec.lladdr} on link ${spec.ifindex}`, target: spec.address,
  });
}

export async function delNeigh(h: Handle, spec: { ifindex: number; address: string }): Promise<void> {
  const dst = parseDst(spec.address);
  const w = new AttrWriter(48);
  w.raw(ndmsg(dst.family === 4 ? AF_INET : AF_INET6, spec.ifindex));
  w.bytes(NDA.DST, dst.bytes);
  await h.request(RTM.DELNEIGH, w.finish(), { action: `delete neighbour ${spec.address} on link ${spec.ifindex}`, target: spec.address });
}
