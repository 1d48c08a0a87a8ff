// What the failover daemon needs from the outside besides rtnetlink: a validated ARP probe of
// the gateway through one interface, and gratuitous ARP / unsolicited NA after a move. Kept as
// interfaces so the daemon does not care which implementation sends the frames.
import type { MgmtAddress } from './state-machine.js';

export interface HealthProbe {
  /** true when TARGET answered our ARP request (IPv4) or Neighbor Solicitation (IPv6) on IFNAME within timeoutMs. */
  probe(ifname: string, target: string, timeoutMs: number): Promise<boolean>;
  close?(): void;
}

export interface Announcer {
  /** Gratuitous ARP for the IPv4 addresses, unsolicited NA for the IPv6 ones: count of each, intervalMs apart. */
  announce(ifname: string, addresses: MgmtAddress[], count: number, intervalMs: number): Promise<void>;
  /** Get ready to announce on these interfaces (open sockets, learn MACs) ahead of any move. */
  prepare?(ifnames: string[]): Promise<void>;
  /** The interface changed (new index or MAC): drop what was prepared for it. */
  forget?(ifname: string): void;
  close?(): void;
}
