// What a lab namespace holds right now, read from the kernel for `lab status`.
import { listAddrs } from '../netlink/addr.js';
import { withHandle } from '../netlink/handle.js';
import { listLinks } from '../netlink/link.js';

export interface LabLink {
  name: string;
  kind: string;
  admin: 'up' | 'down';
  oper: string;
  master: string | null;
  /** Global-scope addresses, ADDRESS/PREFIX. */
  addresses: string[];
}

export async function readLinks(ns: string): Promise<LabLink[]> {
  return withHandle({ netns: ns }, async (h) => {
    const [links, addrs] = [await listLinks(h), await listAddrs(h)];
    const nameOf = new Map(links.map((l) => [l.index, l.name]));
    return links.map((l) => ({
      name: l.name,
      kind: l.kind,
      admin: l.admin,
      oper: l.oper,
      master: l.masterIndex !== null ? nameOf.get(l.masterIndex) ?? String(l.masterIndex) : null,
      addresses: addrs.filter((a) => a.ifindex === l.index && a.scope === 'global').map((a) => `${a.address}/${a.prefixlen}`),
    }));
  });
}
