// What a lab namespace holds right now, read from the kernel for `lab status`.
import { run } from './iproute.js';

export interface LabLink {
  name: string;
  kind: string;
  admin: 'up' | 'down';
  oper: string;
  master: string | null;
  addresses: string[];
}

interface IpLink {
  ifname: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string };
}

interface IpAddr {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}

export async function readLinks(ns: string): Promise<LabLink[]> {
  const [links, addrs] = await Promise.all([
    run('ip', ['-n', ns, '-j', '-d', 'link', 'show'], `list links in ${ns}`),
    run('ip', ['-n', ns, '-j', 'addr', 'show'], `list addresses in ${ns}`),
  ]);
  const byName = new Map<string, string[]>();
  for (const a of JSON.parse(addrs || '[]') as IpAddr[]) {
    byName.set(a.ifname, (a.addr_info ?? []).filter((i) => i.scope !== 'link' && i.scope !== 'host').map((i) => `${i.local}/${i.prefixlen}`));
  }
  return (JSON.parse(links || '[]') as IpLink[]).map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind ?? (l.link_type === 'loopback' ? 'loopback' : 'device'),
    admin: l.flags?.includes('UP') ? 'up' : 'down',
    oper: (l.operstate ?? 'UNKNOWN').toLowerCase(),
    master: l.master ?? null,
    addresses: byName.get(l.ifname) ?? [],
  }));
}
