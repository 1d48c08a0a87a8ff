// Kernel actions: carrying out one Decision of the FailoverMachine (address moves, the default
// route, gratuitous ARP / unsolicited NA). The machine decided *what*; this file is about *how*
// it reaches the kernel fast and in a safe order, and nothing else.
//
// A move is sent as one netlink datagram (Handle.cork), in this order:
//   RTM_DELADDR on the old holder, RTM_NEWADDR (nodad) on the new one, RTM_NEWROUTE replace;
// for an IPv6 address also our local route (local-route.ts): RTM_DELROUTE of it on the old
// holder right after the RTM_DELADDR, RTM_NEWROUTE of it on the new one right before the
// RTM_NEWADDR, so that the address is never listed without a local route.
// The kernel runs a datagram's requests strictly in order within the one sendmsg() (and
// acknowledges each on its own), so the delete has taken effect before the add (never two
// holders), and the gap with no holder is the kernel's own processing between two messages.
// One sendmsg() per request left the daemon's own return to user space inside the window:
// bench/failover/absence.ts (daemon at the unit's chrt -f 50, 300 moves, 2026-12-05) saw the
// IPv4 address on no interface for p50 0.36 / p99 1.6 / max 6.8 ms that way, one datagram p50
// 0.02 / p99 0.05 / max 0.06 ms. Deleting first keeps "never on two interfaces", and is
// required anyway for IPv4: the last address leaving the old device flushes its routes, so
// the route can only be replaced after the add. (Without our local route IPv6 had a longer
// gap: the kernel installs a nodad address's local route from its addrconf work item.)
// Gratuitous ARP / unsolicited NA go out as soon as each address's add is acknowledged.
import { performance } from 'node:perf_hooks';
import { NetlinkError } from '../errors.js';
import { addAddr, delAddr } from '../netlink/addr.js';
import type { Handle } from '../netlink/handle.js';
import { addRoute, delRoute, replaceRoute } from '../netlink/route.js';
import type { MgmtConfig } from './config.js';
import { describeLocalRoute, localRouteSpec } from './local-route.js';
import type { Announcer } from './io.js';
import type { Action, Decision } from './state-machine.js';

type KernelAction = Exclude<Action, { kind: 'announce' }>;

/** How one decision went: what failed (as iproute2 commands with the error) and how fast. */
export interface Outcome {
  failures: string[];
  timing: {
    /** From reading the triggering notification to sending the first request, ms. */
    reactMs: number | null;
    /** Wall-clock instant (epoch ms, µs resolution) the triggering notification was read. */
    eventReadAt: number | null;
    /** From the first request to the last acknowledgement, ms. */
    netlinkMs: number;
    /** From the first request to the first announcement frame, ms. */
    firstAnnounceMs: number | null;
  };
}

/** Points in a decision's execution the daemon logs (for one move's lines in order). */
export interface MoveHooks {
  /** All kernel requests are sent (none acknowledged yet). */
  onSent?: () => void;
  /** Every announcement burst of the decision has ended (ms since the requests were sent). */
  onAnnounced?: (ms: number) => void;
}

export interface MoverDeps {
  /** The socket that changes things (never a dump socket: see MgmtDaemon.fullSync). */
  handle: Handle;
  config: MgmtConfig;
  ifindex: (name: string) => number | undefined;
  announcer?: Announcer;
  /** An announcement failed (logged by the daemon; it never fails the decision). */
  onAnnounceError: (ifname: string, address: string, err: Error, d: Decision) => void;
  /** Our IPv6 local route for an address is now on (new) / off (del) an interface. */
  onLocalRoute?: (op: 'add' | 'del', address: string, ifname: string) => void;
}

export class Mover {
  /** A request the kernel has not answered in this long is treated as failed (then: resync). */
  static readonly OP_TIMEOUT_MS = 2000;
  private readonly d: MoverDeps;

  constructor(deps: MoverDeps) {
    this.d = deps;
  }

  /**
   * Send the decision's kernel requests back to back and resolve once all are acknowledged (or
   * failed). Announcements are started as their address lands and are NOT awaited: a burst of
   * three frames 50 ms apart must not hold up the next decision.
   */
  async carryOut(d: Decision, eventAt: number, hooks: MoveHooks = {}): Promise<Outcome> {
    const t0 = performance.now();
    const kernelOps: Promise<string | null>[] = [];
    const added = new Map<string, Promise<string | null>>();
    const announces: Extract<Action, { kind: 'announce' }>[] = [];
    // Each op queues its request synchronously (nothing awaits before Handle.request), so the
    // whole decision is in the datagram when uncork() sends it.
    this.d.handle.cork();
    try {
      for (const a of d.actions) {
        if (a.kind === 'announce') {
          announces.push(a);
          continue;
        }
        // IPv6: our local route before the address comes, after it went (see the top).
        const v6 = (a.kind === 'add-addr' || a.kind === 'del-addr') && a.family === 6;
        if (v6 && a.kind === 'add-addr') kernelOps.push(this.localRoute('add', a.address, a.ifname));
        const op = this.kernelOp(a);
        kernelOps.push(op);
        if (v6 && a.kind === 'del-addr') kernelOps.push(this.localRoute('del', a.address, a.ifname));
        if (a.kind === 'add-addr') added.set(a.address, op);
      }
    } finally {
      this.d.handle.uncork();
    }
    // The requests are on their way; the kernel works on them while the caller logs.
    hooks.onSent?.();
    // Each address is announced as soon as its own add is acknowledged: the gratuitous ARP does
    // not wait for the IPv6 part or the route.
    let firstAnnounceAt: number | null = null;
    const announcer = this.d.announcer;
    const announced = announces.flatMap((a) => a.addresses.map(async (addr) => {
      const op = added.get(addr.address);
      if (op && (await op) !== null) return; // the add failed: nothing to announce
      if (!op) await Promise.all(kernelOps);
      if (!announcer) return;
      firstAnnounceAt ??= performance.now();
      await announcer.announce(a.ifname, [addr], a.count, a.intervalMs).catch((err: Error) => this.d.onAnnounceError(a.ifname, addr.address, err, d));
    }));
    const failures = (await Promise.all(kernelOps)).filter((x): x is string => x !== null);
    const netlinkMs = performance.now() - t0;
    // Not awaited (a burst lasts count x interval); its end is reported on its own.
    void Promise.all(announced).then(() => {
      if (announcer && announces.length) hooks.onAnnounced?.(performance.now() - t0);
    });
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    return {
      failures,
      timing: {
        reactMs: eventAt ? ms(t0 - eventAt) : null,
        eventReadAt: eventAt ? ms(performance.timeOrigin + eventAt) : null,
        netlinkMs: ms(netlinkMs),
        firstAnnounceMs: firstAnnounceAt === null ? null : ms((firstAnnounceAt as number) - t0),
      },
    };
  }

  /** One request, with a deadline: a kernel that never answers must not wedge the daemon. */
  private kernelOp(a: KernelAction): Promise<string | null> {
    return withDeadline(this.kernelOpNow(a), () => noAnswer(describeAction(a, this.d.config.gateway)));
  }

  /** null when the kernel is now as wanted, else the failure as one line. */
  private async kernelOpNow(a: KernelAction): Promise<string | null> {
    const { config, handle: h } = this.d;
    const ifindex = this.d.ifindex(a.ifname);
    if (ifindex === undefined) return `${describeAction(a, config.gateway)}: interface ${a.ifname} is gone`;
    try {
      if (a.kind === 'del-addr') await delAddr(h, { ifindex, address: a.address, prefixlen: a.prefixlen });
      else if (a.kind === 'add-addr') await addAddr(h, { ifindex, address: a.address, prefixlen: a.prefixlen, nodad: a.family === 6 });
      else {
        const gateway = a.family === 4 ? config.gateway.ipv4 : config.gateway.ipv6;
        if (!gateway) return null;
        await replaceRoute(h, { family: a.family, dst: 'default', gateway, ifindex, metric: config.gateway.metric });
      }
      return null;
    } catch (err) {
      if (err instanceof NetlinkError) {
        // Already in the wanted state (someone, or the kernel, got there first).
        if (a.kind === 'del-addr' && (err.errno === 'EADDRNOTAVAIL' || err.errno === 'ENODEV')) return null;
        if (a.kind === 'add-addr' && err.errno === 'EEXIST') return null;
        if (a.kind === 'route' && err.errno === 'ENETDOWN') return null; // parked on an admin-down holder
      }
      return `${describeAction(a, config.gateway)}: ${(err as Error).message}`;
    }
  }

  /** Our local route for an IPv6 address on (add) or off (del) an interface: null when done. */
  private localRoute(op: 'add' | 'del', address: string, ifname: string): Promise<string | null> {
    return this.localRouteStep(op, address, ifname).then((r) => r.failure);
  }

  /**
   * The same, for the daemon's reconciliation (localRoutePlan) outside moves: `changed` false
   * when the kernel already was as wanted (EEXIST, ESRCH) or refused for a harmless reason.
   */
  localRouteStep(op: 'add' | 'del', address: string, ifname: string): Promise<{ failure: string | null; changed: boolean }> {
    const what = describeLocalRoute(op, address, ifname);
    const ifindex = this.d.ifindex(ifname);
    if (ifindex === undefined) return Promise.resolve({ failure: op === 'del' ? null : `${what}: interface ${ifname} is gone`, changed: false });
    const spec = localRouteSpec(address, ifindex);
    // NLM_F_CREATE alone: EEXIST is only ever our own route there already (see addRoute).
    const req = op === 'add' ? addRoute(this.d.handle, spec, { ensure: true }) : delRoute(this.d.handle, spec);
    const done = req.then(() => {
      this.d.onLocalRoute?.(op, address, ifname);
      return { failure: null, changed: true };
    }, (err: Error) => {
      if (err instanceof NetlinkError) {
        if ((op === 'add' && err.errno === 'EEXIST') || (op === 'del' && (err.errno === 'ESRCH' || err.errno === 'ENODEV'))) {
          this.d.onLocalRoute?.(op, address, ifname);
          return { failure: null, changed: false };
        }
        // an admin-down interface takes no routes (the kernel adds its own when it is up)
        if (op === 'add' && err.errno === 'ENETDOWN') return { failure: null, changed: false };
      }
      return { failure: `${what}: ${err.message}`, changed: false };
    });
    return withDeadline(done, () => ({ failure: noAnswer(what), changed: false }));
  }
}

/** `p`, or `onLate()` once Mover.OP_TIMEOUT_MS have passed without it (built only then). */
function withDeadline<T>(p: Promise<T>, onLate: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onLate()), Mover.OP_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const noAnswer = (what: string): string => `${what}: no answer from the kernel within ${Mover.OP_TIMEOUT_MS} ms`;

/** The action as the iproute2 command(s) that would do the same (IPv6: with our local route). */
export function describeAction(a: Action, gw: { ipv4: string | null; ipv6: string | null } = { ipv4: null, ipv6: null }): string {
  switch (a.kind) {
    case 'del-addr': return `ip addr del ${a.address}/${a.prefixlen} dev ${a.ifname}${a.family === 6 ? ` && ${describeLocalRoute('del', a.address, a.ifname)}` : ''}`;
    case 'add-addr': return a.family === 6
      ? `${describeLocalRoute('add', a.address, a.ifname)} && ip addr add ${a.address}/${a.prefixlen} dev ${a.ifname} nodad`
      : `ip addr add ${a.address}/${a.prefixlen} dev ${a.ifname}`;
    case 'route': {
      const via = a.family === 4 ? gw.ipv4 : gw.ipv6;
      return `ip -${a.family} route replace default${via ? ` via ${via}` : ''} dev ${a.ifname}`;
    }
    case 'announce': return `announce ${a.addresses.map((x) => x.address).join(' ')} on ${a.ifname} x${a.count}${a.why === 'refresh' ? ' (refresh)' : ''}`;
  }
}
