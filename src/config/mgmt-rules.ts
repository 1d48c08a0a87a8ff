// The meaning of the `mgmt:` section (not only its shape): addresses, candidates, gateway and
// probe checked and resolved into what the failover daemon runs with. The one set of rules:
// `nodectl mgmt run` (src/config/read.ts; mgmt-file.ts places a problem) and `config validate`
// (src/config/semantic.ts) both call resolve(). No runtime dependency on TypeBox or the `yaml` package: the quick
// config reader runs it too.
import { isIPv4, isIPv6 } from 'node:net';
import type { ConfigProblem } from '../errors.js';
import type { Family, MgmtAddress } from '../failover/state-machine.js';
import { addressUseProblem, canonicalIp, ipToBigint, parseCidr } from './cidr.js';
import { MGMT_DEFAULTS } from './mgmt-defaults.js';
import type { PathSeg } from './load.js';
import type { MgmtDecl } from './mgmt-schema.js';

export interface ProbeConfig { target: string; intervalMs: number; timeoutMs: number; allowedMisses: number }

export interface MgmtConfig {
  addresses: MgmtAddress[];
  candidates: string[];
  gateway: { ipv4: string | null; ipv6: string | null; defaultRoute: boolean; metric: number };
  probe: ProbeConfig | null;
  /** The NDP twin of `probe`, for gateway.ipv6 (health.ndp_probe). */
  ndpProbe: ProbeConfig | null;
  holdDownMs: number;
  preemptDelayMs: number;
  /** false: never move back to a preferred candidate by itself (keepalived's nopreempt). */
  preempt: boolean;
  announce: { count: number; intervalMs: number; refreshMs: number };
  /** Group (besides root and the daemon's own user) allowed on the control socket. */
  control: { group: string | null };
  /** Programs run on events (absolute paths), one at a time in event order. */
  hooks: { onMove: string | null; onHealth: string | null; timeoutMs: number };
}

function inPrefix(ip: string, family: Family, net: MgmtAddress): boolean {
  if (family !== net.family) return false;
  const bits = family === 4 ? 32 : 128;
  const shift = BigInt(bits - net.prefixlen);
  return ipToBigint(canonicalIp(ip), family) >> shift === ipToBigint(net.address, family) >> shift;
}

/** Meaning checks: every problem, each at its own path. */
export function resolve(m: MgmtDecl, problem: (path: PathSeg[], reason: string) => ConfigProblem): { config: MgmtConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const addresses: MgmtAddress[] = [];
  m.addresses.forEach((text, i) => {
    const c = parseCidr(text);
    if (typeof c === 'string') { problems.push(problem(['addresses', i], c)); return; }
    if (addresses.some((a) => a.address === c.address)) { problems.push(problem(['addresses', i], `${c.address} is listed twice`)); return; }
    const bits = c.family === 4 ? 32 : 128;
    const host = ipToBigint(c.address, c.family) & ((1n << BigInt(bits - c.prefixlen)) - 1n);
    if (c.family === 4 && c.prefixlen < 31 && (host === 0n || host === (1n << BigInt(32 - c.prefixlen)) - 1n)) {
      problems.push(problem(['addresses', i], `${c.address} is the ${host === 0n ? 'network' : 'broadcast'} address of ${c.address}/${c.prefixlen}, not a host address in it`));
      return;
    }
    if (c.family === 6 && (c.address.startsWith('fe80:') || c.address === '::1')) {
      problems.push(problem(['addresses', i], `${c.address} is link-local or loopback: a management address must be routable`));
      return;
    }
    const use = addressUseProblem(c, 'a candidate');
    if (use) { problems.push(problem(['addresses', i], use)); return; }
    addresses.push({ address: c.address, prefixlen: c.prefixlen, family: c.family });
  });
  const seen = new Set<string>();
  m.candidates.forEach((name, i) => {
    if (seen.has(name)) problems.push(problem(['candidates', i], `${name} is listed twice: each candidate has one priority`));
    seen.add(name);
  });
  if (m.candidates.length === 0) problems.push(problem(['candidates'], 'the candidate list is empty: name at least one interface'));
  if (m.candidates.length > 16) problems.push(problem(['candidates'], `${m.candidates.length} candidates: at most 16`));
  if (m.addresses.length === 0) problems.push(problem(['addresses'], 'no management address: give at least one ADDRESS/PREFIX'));
  if (m.addresses.length > 8) problems.push(problem(['addresses'], `${m.addresses.length} addresses: at most 8`));

  const gw = m.gateway ?? {};
  const gateway = { ipv4: null as string | null, ipv6: null as string | null, defaultRoute: gw.default_route ?? true, metric: gw.metric ?? MGMT_DEFAULTS.routeMetric };
  if (gw.ipv4 !== undefined) {
    if (!isIPv4(gw.ipv4)) problems.push(problem(['gateway', 'ipv4'], `"${gw.ipv4}" is not an IPv4 address`));
    else if (!addresses.some((a) => inPrefix(gw.ipv4!, 4, a))) {
      problems.push(problem(['gateway', 'ipv4'], `gateway ${gw.ipv4} is outside every IPv4 management prefix (${addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefixlen}`).join(', ') || 'none configured'}): it would be unreachable`));
    } else gateway.ipv4 = canonicalIp(gw.ipv4);
  }
  if (gw.ipv6 !== undefined) {
    if (!isIPv6(gw.ipv6)) problems.push(problem(['gateway', 'ipv6'], `"${gw.ipv6}" is not an IPv6 address`));
    // Node's isIPv6 accepts a zone, and canonicalIp would drop it without a word
    else if (gw.ipv6.includes('%')) problems.push(problem(['gateway', 'ipv6'], `"${gw.ipv6}" has a zone index: leave it out, the gateway is reached through whichever candidate holds the addresses`));
    else {
      const ll = canonicalIp(gw.ipv6).startsWith('fe80:');
      if (!ll && !addresses.some((a) => inPrefix(gw.ipv6!, 6, a))) {
        problems.push(problem(['gateway', 'ipv6'], `gateway ${gw.ipv6} is neither link-local nor inside an IPv6 management prefix: it would be unreachable`));
      } else gateway.ipv6 = canonicalIp(gw.ipv6);
    }
  }

  let probe: MgmtConfig['probe'] = null;
  const ap = m.health?.arp_probe;
  if (ap) {
    const target = ap.target ?? gw.ipv4;
    if (target === undefined) problems.push(problem(['health', 'arp_probe'], 'an ARP probe needs a target: set arp_probe.target or gateway.ipv4'));
    else if (!isIPv4(target)) problems.push(problem(['health', 'arp_probe', 'target'], `"${target}" is not an IPv4 address (ARP is IPv4 only)`));
    else if (!addresses.some((a) => inPrefix(target, 4, a))) problems.push(problem(['health', 'arp_probe', 'target'], `probe target ${target} is outside every IPv4 management prefix: it cannot answer ARP on that link`));
    else {
      const intervalMs = ap.interval_ms ?? MGMT_DEFAULTS.probeIntervalMs;
      probe = { target: canonicalIp(target), intervalMs, timeoutMs: Math.min(ap.timeout_ms ?? intervalMs, intervalMs), allowedMisses: ap.allowed_misses ?? MGMT_DEFAULTS.probeAllowedMisses };
    }
  }
  let ndpProbe: MgmtConfig['ndpProbe'] = null;
  const np = m.health?.ndp_probe;
  if (np) {
    const target = np.target ?? gw.ipv6;
    if (target === undefined) problems.push(problem(['health', 'ndp_probe'], 'an NDP probe needs a target: set ndp_probe.target or gateway.ipv6'));
    else if (!isIPv6(target) || target.includes('%')) problems.push(problem(['health', 'ndp_probe', 'target'], `"${target}" is not an IPv6 address without a zone (NDP is IPv6 only)`));
    else if (!canonicalIp(target).startsWith('fe80:') && !addresses.some((a) => inPrefix(target, 6, a))) {
      problems.push(problem(['health', 'ndp_probe', 'target'], `probe target ${target} is neither link-local nor inside an IPv6 management prefix: it cannot answer NDP on that link`));
    } else {
      const intervalMs = np.interval_ms ?? MGMT_DEFAULTS.probeIntervalMs;
      ndpProbe = { target: canonicalIp(target), intervalMs, timeoutMs: Math.min(np.timeout_ms ?? intervalMs, intervalMs), allowedMisses: np.allowed_misses ?? MGMT_DEFAULTS.probeAllowedMisses };
    }
  }
  for (const k of ['on_move', 'on_health'] as const) {
    const p = m.hooks?.[k];
    // The daemon runs it without a shell and with a minimal PATH: a relative name would be a guess.
    if (p !== undefined && !p.startsWith('/')) problems.push(problem(['hooks', k], `"${p}" is not an absolute path: hooks run without a shell, give the program's full path`));
  }
  // A delay for something that never happens is a misunderstanding worth saying, not ignoring.
  if (m.damping?.preempt === false && m.damping.preempt_delay_ms !== undefined) {
    problems.push(problem(['damping', 'preempt_delay_ms'], 'preempt_delay_ms has no effect with preempt: false (the addresses never move back by themselves); remove one of the two'));
  }
  const config: MgmtConfig = {
    addresses,
    candidates: [...m.candidates],
    gateway,
    probe,
    ndpProbe,
    holdDownMs: m.damping?.hold_down_ms ?? MGMT_DEFAULTS.holdDownMs,
    preemptDelayMs: m.damping?.preempt_delay_ms ?? MGMT_DEFAULTS.preemptDelayMs,
    preempt: m.damping?.preempt ?? true,
    announce: {
      count: m.announce?.count ?? MGMT_DEFAULTS.announceCount,
      intervalMs: m.announce?.interval_ms ?? MGMT_DEFAULTS.announceIntervalMs,
      refreshMs: m.announce?.refresh_ms ?? MGMT_DEFAULTS.announceRefreshMs,
    },
    control: { group: m.control?.group ?? null },
    hooks: { onMove: m.hooks?.on_move ?? null, onHealth: m.hooks?.on_health ?? null, timeoutMs: m.hooks?.timeout_ms ?? MGMT_DEFAULTS.hookTimeoutMs },
  };
  return { config, problems };
}

