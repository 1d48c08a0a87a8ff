// Renderers for associations and events: the text table (stats/top), one line per event
// (trace) and the Prometheus text exposition format (serve). JSON is the model itself.
import { assess, fmtMs, withExpiry, type DetectOptions, type Health } from './detect.js';
import { endpointText, type Association, type WireEvent } from './model.js';
import { limitedShares, type KernAssociation, type KernelSide, type TracerStatus } from './kern.js';
import { watchEventText } from './watch.js';
import { count, formatTable } from '../text.js';

/** kernel: the kernel tracer's associations of its endpoints (`top`, where the kernel has SCTP; kern.ts kernelSides). */
export interface AssocView { assoc: Association; health: Health; kernel?: KernelSide[] }

function human(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 10_000_000) return `${(n / 1000).toFixed(0)}k`;
  return `${(n / 1e6).toFixed(0)}M`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)}M`;
  return `${(n / 1024 ** 3).toFixed(1)}G`;
}

function rwnd(a: Association, i: 0 | 1): string {
  const r = a.dir[i].aRwnd;
  return r ? `${bytes(r.last)}/${bytes(r.min)}` : '-';
}

export const TABLE_COLUMNS = ['ASSOCIATION', 'DEV', 'STATE', 'PKTS →/←', 'DATA →/←', 'BYTES →/←', 'RTX →/←', 'RWND(last/min) A/B', 'RTT', 'FLAGS'] as const;

export function tableRows(views: AssocView[]): string[][] {
  return views.map(({ assoc: a, health }) => {
    const rtt = a.dir[0].rtt ?? a.dir[1].rtt;
    return [
      `${endpointText(a.endpoints[0])} ↔ ${endpointText(a.endpoints[1])}`,
      a.ifname ?? String(a.ifindex),
      a.state + (a.abort ? `(${a.abort.causeName})` : ''),
      `${human(a.dir[0].packets)}/${human(a.dir[1].packets)}`,
      `${human(a.dir[0].dataChunks)}/${human(a.dir[1].dataChunks)}`,
      `${bytes(a.dir[0].dataBytes)}/${bytes(a.dir[1].dataBytes)}`,
      `${human(a.dir[0].retransChunks)}/${human(a.dir[1].retransChunks)}`,
      `${rwnd(a, 0)} ${rwnd(a, 1)}`,
      rtt ? `${rtt.lastMs}ms` : '-',
      [...health.conditions, ...(a.dir[0].malformed + a.dir[1].malformed ? ['malformed'] : [])].join(',') || '-',
    ];
  });
}

const PATH_COLUMNS = ['    PATH', 'DEV', 'STATE', 'PKTS →/←', 'DATA →/←', 'RTX →/←', 'HB-UNANSWERED', 'RTT'];

function pathRows(a: AssocView['assoc'], lead = '    '): string[][] {
  return a.paths.map((p) => [
    `${lead}${p.endpoints[0].address} ↔ ${p.endpoints[1].address}`, p.ifname ?? String(p.ifindex), p.state + (p.home ? '*' : '') + (p.mirror ? ' (mirror)' : ''),
    `${human(p.dir[0].packets)}/${human(p.dir[1].packets)}`, `${human(p.dir[0].dataChunks)}/${human(p.dir[1].dataChunks)}`,
    `${human(p.dir[0].retransChunks)}/${human(p.dir[1].retransChunks)}`, `${p.dir[0].hbUnanswered}/${p.dir[1].hbUnanswered}`,
    (p.dir[0].rtt ?? p.dir[1].rtt) ? `${(p.dir[0].rtt ?? p.dir[1].rtt)!.lastMs}ms` : '-',
  ]);
}

/**
 * The association table. `top` (interactive) passes which row is selected (drawn in reverse
 * video) and which rows are expanded: their paths are drawn right under them, and the
 * per-path section under the table, which lists every multi-homed association, is left out.
 */
export function renderTable(views: AssocView[], widths?: number[], top?: { selected: number | null; expanded: ReadonlySet<number> }): string {
  if (views.length === 0) return 'no SCTP associations seen';
  const table = formatTable(TABLE_COLUMNS, tableRows(views), widths);
  if (top) {
    const [head = '', ...lines] = table.split('\n');
    const body = lines.flatMap((l, i) => {
      const row = i === top.selected ? `\x1b[7m${l}\x1b[27m` : l;
      if (!top.expanded.has(i)) return [row];
      const paths = views[i]!.assoc.paths;
      const kernel = kernelLines(views[i]!, '    └ ');
      if (paths.length === 0) return [row, '    └ no path seen yet', ...kernel];
      return [row, ...formatTable(PATH_COLUMNS, pathRows(views[i]!.assoc, '    └ ')).split('\n'), ...kernel];
    });
    const out = [[head, ...body].join('\n')];
    const notes = views.flatMap((v) => v.health.findings.map((f) => `  ${f.detail}`));
    if (notes.length) out.push('', ...notes);
    return out.join('\n');
  }
  const out = [table];
  const notes = views.flatMap((v) => v.health.findings.map((f) => `  ${f.detail}`));
  if (notes.length) out.push('', ...notes);
  // what limits each sender, where the kernel tracer has the association (top's batch mode)
  const kernel = views.flatMap((v) => kernelLines(v, '  '));
  if (kernel.length) out.push('', ...kernel);
  // multi-homed associations: one line per path under the table
  const multi = views.filter((v) => v.assoc.paths.length > 1);
  for (const { assoc: a } of multi) {
    out.push('', `  paths of ${endpointText(a.endpoints[0])} ↔ ${endpointText(a.endpoints[1])}:`);
    out.push(formatTable(PATH_COLUMNS, pathRows(a)));
  }
  // every address each endpoint is known by (announced in INIT / INIT ACK / ASCONF, or used),
  // for associations with more than one: unconfirmed ones are paths not yet proven
  const FROM: Record<string, string> = { path: '', init: ', INIT', 'init-ack': ', INIT ACK', asconf: ', ASCONF' };
  for (const { assoc: a } of views.filter((v) => v.assoc.addresses[0].length + v.assoc.addresses[1].length > 2)) {
    out.push('', `  addresses of ${endpointText(a.endpoints[0])} ↔ ${endpointText(a.endpoints[1])}:`);
    for (const e of [0, 1] as const) out.push(`    ${endpointText(a.endpoints[e])}: ${a.addresses[e].map((x) => `${x.address} (${x.state}${FROM[x.from] ?? ''})`).join(', ')}`);
  }
  return out.join('\n');
}

export function viewsOf(assocs: Association[], opts: Partial<DetectOptions> = {}, previous?: Map<string, Association>): AssocView[] {
  return assocs.map((a) => {
    const assoc = withExpiry(a, opts);
    return { assoc, health: assess(assoc, opts, previous?.get(assoc.id)) };
  });
}

/** One trace line, like `ip monitor`: time, what, who, details. */
export function renderEvent(e: WireEvent, wallClock: Date, ifname?: (ifindex: number) => string | null): string {
  const who = endpointText(e.endpoints[e.by]);
  const other = endpointText(e.endpoints[e.by ^ 1]);
  const t = wallClock.toISOString().slice(11, 23);
  const dev = `dev ${ifname?.(e.ifindex) ?? e.ifindex}`;
  switch (e.type) {
    case 'init': return `${t} init      ${who} → ${other} ${dev} initiate-tag 0x${e.value.toString(16)}`;
    case 'up': return `${t} up        ${e.association} ${dev} setup ${e.durationMs !== null ? fmtMs(e.durationMs) : 'unknown (INIT not seen)'}`;
    case 'down': return `${t} down      ${e.association} by ${who} (SHUTDOWN COMPLETE)${e.durationMs !== null ? ` after ${fmtMs(e.durationMs)}` : ''}`;
    case 'abort': return `${t} abort     ${e.association} by ${who}: ${e.causeName}`;
    case 'restart': return `${t} restart   ${e.association} new INIT from ${who} initiate-tag 0x${e.value.toString(16)}`;
    case 'zero-window-start': return `${t} zero-win  ${who} advertises a_rwnd 0: ${other} is throttled`;
    case 'zero-window-end': return `${t} window    ${who} opens a_rwnd ${e.value} after ${e.durationMs !== null ? fmtMs(e.durationMs) : '?'} at zero`;
    // the event's own name, as --json has it (it was "rtx-burst" here: two names for one event)
    case 'retrans-burst': return `${t} retrans-burst ${who} → ${other} ${count(e.value, 'retransmission')} within ${e.durationMs !== null ? fmtMs(e.durationMs) : '?'}`;
    default: return `${t} ${watchEventText(e)}${e.type === 'gone' ? ` ${dev}` : ''}`;
  }
}

// --- Prometheus text format (version 0.0.4) ---

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

interface Metric { name: string; help: string; type: 'counter' | 'gauge'; samples: Array<[Record<string, string>, number]> }

export function renderPrometheus(views: AssocView[], globals: Record<string, number>, events?: ReadonlyMap<string, number>, kernel?: KernAssociation[], tracers?: readonly TracerStatus[]): string {
  const metrics = new Map<string, Metric>();
  const add = (name: string, type: Metric['type'], help: string, labels: Record<string, string>, v: number) => {
    let m = metrics.get(name);
    if (!m) metrics.set(name, (m = { name, help, type, samples: [] }));
    m.samples.push([labels, v]);
  };
  for (const { assoc: a, health } of views) {
    const base = { assoc: a.id, dev: a.ifname ?? String(a.ifindex) };
    add('nodectl_sctp_association_up', 'gauge', 'Association state is established (1) or not (0).', { ...base, state: a.state }, a.state === 'established' ? 1 : 0);
    for (const c of ['stalled', 'throttled', 'lossy', 'impaired'] as const)
      add(`nodectl_sctp_${c}`, 'gauge', `Association is ${c} (see nodectl sctp stats).`, base, health.conditions.includes(c) ? 1 : 0);
    for (const i of [0, 1] as const) {
      const d = a.dir[i];
      const l = { ...base, sender: endpointText(a.endpoints[i]) };
      add('nodectl_sctp_packets_total', 'counter', 'SCTP packets sent by the endpoint.', l, d.packets);
      add('nodectl_sctp_bytes_total', 'counter', 'SCTP bytes (common header and chunks) sent by the endpoint.', l, d.bytes);
      add('nodectl_sctp_data_chunks_total', 'counter', 'DATA and I-DATA chunks sent.', l, d.dataChunks);
      add('nodectl_sctp_data_bytes_total', 'counter', 'User payload bytes of DATA and I-DATA chunks.', l, d.dataBytes);
      add('nodectl_sctp_retransmitted_chunks_total', 'counter', 'DATA chunks whose TSN had been sent before.', l, d.retransChunks);
      add('nodectl_sctp_spurious_retransmissions_total', 'counter', 'Retransmitted DATA the peer had already acknowledged.', l, d.spuriousRetrans);
      add('nodectl_sctp_sack_chunks_total', 'counter', 'SACK chunks sent.', l, d.sackChunks);
      add('nodectl_sctp_gap_blocks_total', 'counter', 'Gap ack blocks in the SACKs sent.', l, d.gapBlocks);
      add('nodectl_sctp_duplicate_tsns_total', 'counter', 'Duplicate TSNs reported in the SACKs sent.', l, d.dupTsns);
      add('nodectl_sctp_zero_window_sacks_total', 'counter', 'SACKs advertising a_rwnd 0.', l, d.zeroWindowSacks);
      add('nodectl_sctp_heartbeats_total', 'counter', 'HEARTBEAT chunks sent.', l, d.heartbeats);
      add('nodectl_sctp_malformed_total', 'counter', 'Malformed chunks or packets sent.', l, d.malformed);
      if (d.aRwnd) add('nodectl_sctp_a_rwnd_bytes', 'gauge', 'Receiver window last advertised by the endpoint.', l, d.aRwnd.last);
      if (d.rtt) add('nodectl_sctp_heartbeat_rtt_seconds', 'gauge', 'Last heartbeat round-trip time seen at the tap.', l, d.rtt.lastMs / 1000);
      if (d.sinceProgressMs !== null) add('nodectl_sctp_seconds_since_progress', 'gauge', 'Time since the endpoint\'s outstanding DATA was last cumulatively acknowledged further.', l, d.sinceProgressMs / 1000);
    }
    // per path (one for a single-homed association): an address pair on an interface
    for (const p of a.paths) {
      const pl = { ...base, path: `${endpointText(p.endpoints[0])}-${endpointText(p.endpoints[1])}`, path_dev: p.ifname ?? String(p.ifindex) };
      add('nodectl_sctp_path_up', 'gauge', 'Path is usable (1: active or standby) or not (0: failed, unconfirmed); its state as a label.', { ...pl, state: p.state }, p.state === 'active' || p.state === 'standby' ? 1 : 0);
      for (const i of [0, 1] as const) {
        const d = p.dir[i];
        const l = { ...pl, sender: endpointText(a.endpoints[i]) };
        add('nodectl_sctp_path_packets_total', 'counter', 'SCTP packets the endpoint sent on the path.', l, d.packets);
        add('nodectl_sctp_path_data_chunks_total', 'counter', 'DATA and I-DATA chunks the endpoint sent on the path.', l, d.dataChunks);
        add('nodectl_sctp_path_retransmitted_chunks_total', 'counter', 'DATA chunks sent on the path whose TSN had been sent before (on any path).', l, d.retransChunks);
        add('nodectl_sctp_path_heartbeats_unanswered', 'gauge', 'HEARTBEATs the endpoint sent on the path since the last HEARTBEAT ACK.', l, d.hbUnanswered);
        if (d.rtt) add('nodectl_sctp_path_rtt_seconds', 'gauge', 'Last heartbeat round-trip time of the endpoint on the path, seen at the tap.', l, d.rtt.lastMs / 1000);
      }
    }
  }
  // the kernel tracer's associations (where the kernel has SCTP): its own ids, not the wire's
  for (const k of kernel ?? []) {
    const kl = { kassoc: k.id, lport: String(k.localPort), pport: String(k.peerPort) };
    const l = k.limitedBy;
    const by: Array<[string, number | null]> = [['rwnd', l.rwndMs], ['cwnd', l.cwndMs], ['sndbuf', l.sndbufMs], ['app', l.appMs]];
    for (const [b, v] of by) if (v !== null) add('nodectl_sctp_limited_seconds_total', 'counter', 'Time the sender was limited by the peer\'s window (rwnd), the congestion window (cwnd), the send buffer (sndbuf) or the application (app), between SACKs (kernel tracer).', { ...kl, by: b }, v / 1000);
    for (const e of k.errors) add(e.call === 'sendmsg' ? 'nodectl_sctp_send_errors_total' : 'nodectl_sctp_recv_errors_total', 'counter', `Errors ${e.call} returned to the application on the association, by errno (kernel tracer).`, { ...kl, errno: e.errno }, e.count);
  }
  // absent where the kernel does not count skips (null): an unknown is not a zero
  for (const t of tracers ?? []) if (t.active && typeof t.skipped === 'number') add('nodectl_sctp_kernel_probe_skipped_total', 'counter', 'Runs of a kernel tracer probe the kernel skipped (another BPF program, or a task reading BPF maps, held the CPU): its counts can be short by as many.', { probe: t.name }, t.skipped);
  for (const [type, n] of events ?? []) add('nodectl_sctp_events_total', 'counter', 'Events seen since the tracer started, by type (as sctp trace streams them).', { type }, n);
  for (const [k, v] of Object.entries(globals)) add('nodectl_sctp_tracer_' + k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()) + '_total', 'counter', `Wire tracer global counter ${k}.`, {}, v);
  const out: string[] = [];
  for (const m of metrics.values()) {
    out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const [labels, v] of m.samples) {
      const ls = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${m.name}${ls ? `{${ls}}` : ''} ${v}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The kernel-side tracer: which probes are active, then one block per association. */
export function renderKernel(k: { tracers: TracerStatus[]; associations: KernAssociation[] }): string {
  const out = ['kernel tracer: ' + k.tracers.map((t) => (t.active ? `${t.name} (${t.how})` : `${t.name} inactive`)).join(', ')];
  const whys = [...new Set(k.tracers.filter((t) => t.why).map((t) => t.why!))];
  for (const w of whys) out.push(`  ${w}`);
  const skips = skippedLine(k.tracers);
  if (skips) out.push(`  ${skips}`);
  if (k.tracers.some((t) => t.active) && k.associations.length === 0) out.push('  no SACK processed by the kernel\'s SCTP stack yet');
  const rows = k.associations.flatMap((a) => (a.paths.length ? a.paths : [null]).map((p) => [
    a.id, `${a.localPort}→${a.peerPort}`, a.state ?? '-', String(a.peerRwnd), String(a.unackData),
    p ? `${p.address}${p.primary ? '*' : ''}` : '-', p?.state ?? '-', p ? String(p.cwnd) : '-', p ? String(p.ssthresh) : '-', p ? String(p.flightSize) : '-',
    p?.srttMs != null ? `${p.srttMs}ms` : '-', p?.rtoMs != null ? `${p.rtoMs}ms` : '-',
    Object.entries(a.retransmissions).map(([r, n]) => `${r}:${n}`).join(' ') || '-',
  ]));
  if (rows.length) out.push('', formatTable(['ASSOC', 'PORTS', 'STATE', 'PEER-RWND', 'UNACKED', 'PATH', 'PATH-STATE', 'CWND', 'SSTHRESH', 'FLIGHT', 'SRTT', 'RTO', 'RETRANSMITS'], rows));
  const lines = k.associations.map((a) => {
    const parts = [limitedLine(a)];
    if (a.sendCalls !== null) parts.push(`sendmsg ${a.sendCalls}`);
    for (const e of a.errors) parts.push(`${e.call} ${e.errno} ${e.count}`);
    return parts.filter(Boolean).length ? `  ${a.id} ${a.localPort}→${a.peerPort}: ${parts.filter(Boolean).join('; ')}` : '';
  }).filter(Boolean);
  if (lines.length) out.push('', ...lines);
  return out.join('\n') + '\n';
}

/**
 * "the kernel skipped sendmsg/recvmsg 1 time (…): its counts can be short by as many", or ''
 * when no probe was skipped. A count the kernel does not keep (null) is not a skip.
 */
export function skippedLine(tracers: readonly TracerStatus[]): string {
  const skipped = tracers.filter((t) => (t.skipped ?? 0) > 0);
  if (!skipped.length) return '';
  const what = skipped.map((t) => `${t.name} ${t.skipped} time${t.skipped === 1 ? '' : 's'}`).join(', ');
  return `the kernel skipped ${what} (another BPF program, or a task reading BPF maps, held that CPU): ${skipped.length === 1 ? 'its counts' : 'their counts'} can be short by as many`;
}

/** One line per endpoint the kernel tracer has: "10.0.0.1:3868 sending: limited by: …; sendmsg 120; sendmsg EAGAIN 37". */
function kernelLines(v: AssocView, lead: string): string[] {
  return (v.kernel ?? []).map(({ side, assoc: k }) => {
    const parts = [limitedLine(k) || 'limited by: nothing classified yet'];
    if (k.sendCalls !== null) parts.push(`sendmsg ${k.sendCalls}`);
    for (const e of k.errors) parts.push(`${e.call} ${e.errno} ${e.count}`);
    return `${lead}kernel, ${endpointText(v.assoc.endpoints[side])} sending: ${parts.join('; ')}`;
  });
}

/** "limited by: rwnd 62 %, cwnd 3 %, sndbuf 30 %, app 5 % of 12.3 s" (sndbuf "?" without the sendmsg kprobes). */
export function limitedLine(a: KernAssociation): string {
  const sh = limitedShares(a.limitedBy);
  if (!sh) return '';
  const l = a.limitedBy;
  const total = (l.rwndMs + l.cwndMs + (l.sndbufMs ?? 0) + l.appMs) / 1000;
  return `limited by: rwnd ${sh.rwnd} %, cwnd ${sh.cwnd} %, sndbuf ${l.sndbufMs === null ? '?' : `${sh.sndbuf} %`}, app ${sh.app} % of ${total.toFixed(1)} s`;
}
