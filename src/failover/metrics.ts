// Prometheus metrics of the failover daemon (`mgmt run --metrics [HOST:]PORT`), in the text
// exposition format (version 0.0.4) on GET /metrics. Off unless asked, and loopback unless an
// address is given: the numbers say which interface carries the management address.
//
// The counters are kept here, fed by the daemon at the moment it logs the same facts, so a
// scrape agrees with the timeline (the netns test checks exactly that). Gauges (holder,
// health) are read from the machine at scrape time. No client library: the format is a few
// lines of text, and a dependency would stay resident in a daemon that lives for months.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { StateError } from '../errors.js';
import type { MoveCause } from './state-machine.js';

/** Upper bounds of the probe round-trip histogram, seconds. */
const RTT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

export interface Listen { host: string; port: number }

/** `PORT`, `HOST:PORT` or `[V6]:PORT`; a string saying what is wrong otherwise. */
export function parseListen(text: string): Listen | string {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|(localhost)):)?(\d{1,5})$/.exec(text);
  const bad = `--metrics "${text}": expected PORT, HOST:PORT or [IPV6]:PORT (e.g. 127.0.0.1:9187)`;
  if (!m) return bad;
  const host = m[1] ?? m[2] ?? m[3] ?? '127.0.0.1';
  const port = Number(m[4]);
  if (port > 65535) return `${bad}: port ${port} is above 65535`;
  if (host !== 'localhost' && !isIP(host)) return `${bad}: "${host}" is not an IP address`;
  return { host, port };
}

/** What the daemon knows at scrape time. */
export interface Gauges {
  holder: string | null;
  candidates: { name: string; healthy: boolean }[];
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class MetricsRegistry {
  private readonly moves = new Map<MoveCause, number>();
  private restores = 0;
  private announcements = 0;
  private lastMoveAt: number | null = null;
  private readonly probeMisses = new Map<string, number>();
  private readonly flapsSuppressed = new Map<string, number>();
  private readonly rtt = { buckets: RTT_BUCKETS.map(() => 0), sum: 0, count: 0 };
  /** Seconds each interface has held the addresses, closed periods only. */
  private readonly held = new Map<string, number>();
  private holding: { name: string; since: number } | null = null;

  constructor(candidates: string[]) {
    for (const c of candidates) {
      this.probeMisses.set(c, 0);
      this.flapsSuppressed.set(c, 0);
      this.held.set(c, 0);
    }
    for (const c of ['failure', 'preempt', 'operator', 'not-candidate'] as const) this.moves.set(c, 0);
  }

  /** A move was carried out; `at` is its log line's time (epoch ms). */
  move(cause: MoveCause, at: number): void {
    this.moves.set(cause, (this.moves.get(cause) ?? 0) + 1);
    this.lastMoveAt = at / 1000;
  }

  restore(): void {
    this.restores++;
  }

  announced(bursts: number): void {
    this.announcements += bursts;
  }

  probe(ifname: string, ok: boolean, seconds: number): void {
    if (!ok) {
      this.probeMisses.set(ifname, (this.probeMisses.get(ifname) ?? 0) + 1);
      return;
    }
    this.rtt.count++;
    this.rtt.sum += seconds;
    RTT_BUCKETS.forEach((le, i) => { if (seconds <= le) this.rtt.buckets[i]!++; });
  }

  /** An interface went down again before its hold-down ended: a flap that moved nothing. */
  flapSuppressed(ifname: string): void {
    this.flapsSuppressed.set(ifname, (this.flapsSuppressed.get(ifname) ?? 0) + 1);
  }

  /** The holder as of `now` (ms, monotonic); call after every decision round. */
  holderIs(name: string | null, now: number): void {
    if (this.holding?.name === name) return;
    if (this.holding) this.held.set(this.holding.name, (this.held.get(this.holding.name) ?? 0) + (now - this.holding.since) / 1000);
    this.holding = name === null ? null : { name, since: now };
  }

  render(g: Gauges, now: number): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) out.push(`${name}${labels} ${Number.isInteger(v) ? v : v.toFixed(6)}`);
    };
    const iface = (n: string) => `{interface="${esc(n)}"}`;
    metric('nodectl_mgmt_holder', 'gauge', 'Whether this interface holds the management addresses (1) or not (0).',
      g.candidates.map((c) => [iface(c.name), c.name === g.holder ? 1 : 0]));
    metric('nodectl_mgmt_candidate_healthy', 'gauge', 'Whether the candidate is healthy (up and past its hold-down).',
      g.candidates.map((c) => [iface(c.name), c.healthy ? 1 : 0]));
    metric('nodectl_mgmt_moves_total', 'counter', 'Moves of the addresses between interfaces, by cause.',
      [...this.moves].map(([r, v]) => [`{reason="${r}"}`, v]));
    metric('nodectl_mgmt_last_move_timestamp_seconds', 'gauge', 'When the last move was carried out (Unix time; 0: none yet).',
      [['', this.lastMoveAt ?? 0]]);
    metric('nodectl_mgmt_restores_total', 'counter', 'Addresses put back after they vanished from the holder (deleted by hand or by the kernel).',
      [['', this.restores]]);
    metric('nodectl_mgmt_announcements_total', 'counter', 'Gratuitous ARP / unsolicited NA bursts started (moves, placements, restores, refreshes).',
      [['', this.announcements]]);
    metric('nodectl_mgmt_probe_misses_total', 'counter', 'Gateway probes that got no valid answer, per candidate.',
      [...this.probeMisses].map(([n, v]) => [iface(n), v]));
    metric('nodectl_mgmt_flaps_suppressed_total', 'counter', 'Times a candidate went down again within its hold-down (a flap that moved nothing).',
      [...this.flapsSuppressed].map(([n, v]) => [iface(n), v]));
    metric('nodectl_mgmt_holding_seconds_total', 'counter', 'Time each candidate has held the addresses.',
      [...this.held].map(([n, v]) => [iface(n), v + (this.holding?.name === n ? (now - this.holding.since) / 1000 : 0)]));
    out.push('# HELP nodectl_mgmt_probe_rtt_seconds Time from sending a gateway probe to its valid answer.', '# TYPE nodectl_mgmt_probe_rtt_seconds histogram');
    RTT_BUCKETS.forEach((le, i) => out.push(`nodectl_mgmt_probe_rtt_seconds_bucket{le="${le}"} ${this.rtt.buckets[i]}`));
    out.push(`nodectl_mgmt_probe_rtt_seconds_bucket{le="+Inf"} ${this.rtt.count}`);
    out.push(`nodectl_mgmt_probe_rtt_seconds_sum ${this.rtt.sum.toFixed(6)}`, `nodectl_mgmt_probe_rtt_seconds_count ${this.rtt.count}`);
    return `${out.join('\n')}\n`;
  }
}

/** GET /metrics on host:port; resolves with the address actually bound (port 0: any free one). */
export async function serveMetrics(l: Listen, render: () => string, onError: (err: Error) => void): Promise<{ server: Server; bound: string }> {
  // Loaded here, only when --metrics is given: node:http (its parser, server and client) would
  // otherwise stay resident in every daemon (test/netns/failover-footprint.test.ts).
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render());
  });
  // A scraper that hangs must not hold a socket for long in a daemon that lives for months.
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new StateError(`cannot serve metrics on ${l.host}:${l.port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (the port is taken)' : err.code === 'EADDRNOTAVAIL' ? ' (no interface has that address)' : ''}`)));
    server.listen(l.port, l.host, () => resolve());
  });
  server.on('error', onError);
  const a = server.address() as AddressInfo;
  return { server, bound: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}` };
}
