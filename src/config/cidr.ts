import { isIPv4, isIPv6 } from 'node:net';

/** An address with its prefix, as written in `ip addr add ADDRESS/PREFIX`. */
export interface Cidr {
  family: 4 | 6;
  /** Canonical text (IPv6 compressed and lower case), so "2001:DB8::01" and "2001:db8::1" compare equal. */
  address: string;
  prefixlen: number;
}

/** Parse "ADDRESS/PREFIX"; returns a reason string when it is not one. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" has no prefix length: write ADDRESS/PREFIX, e.g. 192.0.2.10/24`;
  const addr = text.slice(0, slash);
  const plen = text.slice(slash + 1);
  // Node's isIPv6 accepts "fe80::1%eth0" and canonicalIp would drop the zone without a word
  const zone = addr.indexOf('%');
  if (zone >= 0) return `"${addr}" has a zone index (${addr.slice(zone)}): an interface address takes none, the interface it is declared on is its zone`;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (!family) return `"${addr}" is not an IPv4 or IPv6 address`;
  if (!/^\d{1,3}$/.test(plen)) return `prefix length "${plen}" is not a number`;
  const prefixlen = Number(plen);
  const max = family === 4 ? 32 : 128;
  if (prefixlen > max) return `prefix length /${prefixlen} is out of range for IPv${family} (0-${max})`;
  return { family, address: canonicalIp(addr), prefixlen };
}

export function canonicalIp(addr: string): string {
  if (isIPv4(addr)) return addr.split('.').map((o) => String(Number(o))).join('.');
  return bigintToIpv6(ipToBigint(addr, 6));
}

export function ipToBigint(addr: string, family: 4 | 6): bigint {
  if (family === 4) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  let text = addr.toLowerCase();
  // an embedded IPv4 tail (::ffff:192.0.2.1) becomes two hextets
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigint(v4[1]!, 4);
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function bigintToIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The address is the network (all host bits 0) or, for IPv4 below /31, the broadcast address. */
export function hostPartProblem(c: Cidr): string | null {
  const bits = c.family === 4 ? 32 : 128;
  if (c.prefixlen >= bits - 1) return null;
  const n = ipToBigint(c.address, c.family);
  const hostMask = (1n << BigInt(bits - c.prefixlen)) - 1n;
  if ((n & hostMask) === 0n && c.family === 4) return `${c.address} is the network address of its prefix /${c.prefixlen}, not a host address in it`;
  if ((n & hostMask) === hostMask && c.family === 4) return `${c.address} is the broadcast address of its prefix /${c.prefixlen}, not a host address in it`;
  return null;
}

export function formatCidr(c: { address: string; prefixlen: number }): string {
  return `${c.address}/${c.prefixlen}`;
}

/**
 * Why this cannot be an address of an interface (the kernel refuses it, or it would quietly do
 * something else than intended), or null. `ifname` is the interface it is declared on.
 */
export function addressUseProblem(c: Cidr, ifname: string): string | null {
  const n = ipToBigint(c.address, c.family);
  if (c.family === 4) {
    if (n === 0n) return '0.0.0.0 is the unspecified address, not an interface address';
    if (n === 0xffffffffn) return '255.255.255.255 is the limited broadcast address, not an interface address';
    if (n >> 28n === 0xen) return `${c.address} is a multicast address: an interface address must be unicast`;
    if (n >> 24n === 127n && ifname !== 'lo') return `${c.address} is a loopback address (127.0.0.0/8): it belongs on lo, not on ${ifname}`;
  } else {
    if (n === 0n) return ':: is the unspecified address, not an interface address';
    if (n >> 120n === 0xffn) return `${c.address} is a multicast address: an interface address must be unicast`;
    if (n === 1n && ifname !== 'lo') return `::1 is the loopback address: it belongs on lo, not on ${ifname}`;
  }
  // a /0 address installs a connected route to everything: a default route nobody asked for
  if (c.prefixlen === 0) return `prefix length /0 makes every IPv${c.family} address on-link through ${ifname} (a default route): give the real prefix, e.g. ${c.family === 4 ? '/24' : '/64'}`;
  return null;
}
