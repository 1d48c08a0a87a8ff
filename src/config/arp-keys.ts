// The ARP keys the config file accepts and their ranges. The [arp] feature owns the real table
// (src/arp/policy.ts ARP_KEYS); until it lands this mirrors the kernel's documented ranges
// (Documentation/networking/ip-sysctl.rst). When ARP_KEYS exists, derive ARP_RANGES from it
// here and nowhere else: schema, docs and validation all read ARP_RANGES.
export interface ArpRange { min: number; max: number; description: string }

export const ARP_RANGES = {
  arp_ignore: { min: 0, max: 8, description: 'Which ARP requests to answer (0 any local address … 8 none).' },
  arp_announce: { min: 0, max: 2, description: 'Source address restriction in ARP requests (0 any, 1 avoid off-subnet, 2 best local).' },
  arp_filter: { min: 0, max: 1, description: 'Answer only if the kernel would route the reply through this interface.' },
  arp_accept: { min: 0, max: 2, description: 'Create neighbour entries from gratuitous ARP (0 no, 1 yes, 2 only in subnet).' },
  arp_notify: { min: 0, max: 1, description: 'Send gratuitous ARP when the device comes up or its address changes.' },
  proxy_arp: { min: 0, max: 1, description: 'Answer ARP for addresses reachable through other interfaces.' },
  drop_gratuitous_arp: { min: 0, max: 1, description: 'Drop all gratuitous ARP frames.' },
} as const satisfies Record<string, ArpRange>;

export type ArpKey = keyof typeof ARP_RANGES;
export const ARP_KEY_NAMES = Object.keys(ARP_RANGES) as ArpKey[];
