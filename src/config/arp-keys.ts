// The ARP keys the config file accepts: derived from the ARP feature's table (src/arp/policy.ts),
// the one place their ranges live. Schema, docs and validation all read ARP_RANGES.
import { ARP_KEYS, type ArpKey } from '../arp/policy.js';

export interface ArpRange { min: number; max: number; allowed: readonly number[]; description: string }

export const ARP_RANGES: Record<ArpKey, ArpRange> = Object.fromEntries(
  Object.entries(ARP_KEYS).map(([k, s]) => [k, { min: s.min, max: s.max, allowed: s.allowed, description: `${s.summary[0]!.toUpperCase()}${s.summary.slice(1)}.` }]),
) as Record<ArpKey, ArpRange>;

export type { ArpKey };
export const ARP_KEY_NAMES = Object.keys(ARP_RANGES) as ArpKey[];
