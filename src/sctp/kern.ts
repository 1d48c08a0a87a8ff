// The kernel-side SCTP tracer (bpf/sctp_kern.bpf.o): congestion and path state as the
// kernel's own SCTP stack has them. Which flavour runs depends on the kernel: tp_btf programs
// where the sctp module has BTF, classic tracepoints otherwise; retransmissions by fentry,
// else kprobe, else not at all; the application's sendmsg/recvmsg by fentry/fexit, else
// kprobes (what limits the sender, errors returned). `status` says what is active and why the rest is not.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfObject, ensureTracefs, kernelAtLeast, kernelConfig } from 'ebpf-ts';
import { errnoName } from '../errors.js';
import { formatAddress, type Endpoint } from './model.js';
import { SkAssoc, SkErrKey, SkPath, SkPathKey } from './generated/sctp-kern.js';

export const KERN_OBJECT = fileURLToPath(new URL('../../bpf/sctp_kern.bpf.o', import.meta.url));

export interface TracerStatus {
  name: string; active: boolean; how: string | null; why: string | null;
  /**
   * Runs the kernel skipped because another BPF program was running on that CPU (a tool
   * reading BPF maps counts as one): the counts of this probe can be short by as many. Null
   * where the kernel does not count them (kprobes before 6.7); absent until read.
   */
  skipped?: number | null;
}

/** enum sctp_state (include/net/sctp/constants.h) */
const ASSOC_STATES = ['closed', 'cookie-wait', 'cookie-echoed', 'established', 'shutdown-pending', 'shutdown-sent', 'shutdown-received', 'shutdown-ack-sent'];
/** transport states (include/linux/sctp.h enum sctp_spinfo_state): INACTIVE 0, PF 1, ACTIVE 2, UNCONFIRMED 3 */
const PATH_STATES: Record<number, string> = { 0: 'inactive', 1: 'potentially-failed', 2: 'active', 3: 'unconfirmed', 0xffff: 'unknown' };
const RTX_REASONS = ['other', 't3-rtx', 'fast-rtx', 'pmtu', 't1-rtx', 'other'];

export interface KernPath {
  address: string;
  port: number;
  primary: boolean;
  state: string;
  cwnd: number;
  ssthresh: number;
  flightSize: number;
  partialBytesAcked: number;
  pathmtu: number;
  /** null when only the classic tracepoint runs (it does not record them) */
  srttMs: number | null;
  rttvarMs: number | null;
  rtoMs: number | null;
  errorCount: number | null;
  samples: number;
}

/**
 * What limited the sender, in ms: the time between two SACKs charged to what the later one
 * found (bpf/sctp_kern.h): the peer's window below one MTU, a path's flight at its cwnd, a
 * sender waiting for (or refused) send-buffer space, else the application. null for sndbuf
 * when the sendmsg kprobes are not attached (the interval then counts as app).
 */
export interface LimitedBy { rwndMs: number; cwndMs: number; sndbufMs: number | null; appMs: number }

/** An error returned to the application: the call, the errno's name, how often. */
export interface CallError { call: 'sendmsg' | 'recvmsg'; errno: string; count: number }

export interface KernAssociation {
  /** The kernel's address of the association: an opaque id, stable for its lifetime. */
  id: string;
  /** The kernel's address of its socket (opaque), null while unknown. */
  socket: string | null;
  localPort: number;
  peerPort: number;
  state: string | null;
  peerRwnd: number;
  unackData: number;
  pathmtu: number;
  probes: number;
  retransmissions: Record<string, number>;
  paths: KernPath[];
  limitedBy: LimitedBy;
  /** sctp_sendmsg_to_asoc calls (sends that reached the association); null without the kprobes */
  sendCalls: number | null;
  /** errors sendmsg/recvmsg returned on this association (recvmsg's, and sendmsg's before it chose one, by its socket) */
  errors: CallError[];
}

/** Limited-by shares in percent of the classified time (rounded), null when none was classified. */
export function limitedShares(l: LimitedBy): Record<'rwnd' | 'cwnd' | 'sndbuf' | 'app', number> | null {
  const total = l.rwndMs + l.cwndMs + (l.sndbufMs ?? 0) + l.appMs;
  if (total <= 0) return null;
  const pc = (x: number) => Math.round((x * 100) / total);
  return { rwnd: pc(l.rwndMs), cwnd: pc(l.cwndMs), sndbuf: pc(l.sndbufMs ?? 0), app: pc(l.appMs) };
}

/** A kernel association as one endpoint of a wire association: side is the index of that endpoint (the sender whose limits it has). */
export interface KernelSide { side: 0 | 1; assoc: KernAssociation }

/**
 * The kernel's associations that are the endpoints of a wire association (`top` shows what
 * limits each sender under its row). The kernel's id is not the wire's: endpoint i's kernel
 * association has endpoint i's port as its local port, the other's as its peer port, and the
 * other's address (home or any it is known by) among its paths. Ports alone would also match
 * an association in another namespace, so one with no path recorded yet is not claimed.
 */
export function kernelSides(a: { endpoints: readonly [Endpoint, Endpoint]; addresses?: readonly [ReadonlyArray<{ address: string }>, ReadonlyArray<{ address: string }>] }, kernel: readonly KernAssociation[]): KernelSide[] {
  const out: KernelSide[] = [];
  for (const side of [0, 1] as const) {
    const me = a.endpoints[side], peer = a.endpoints[side ^ 1]!;
    const peerAddrs = new Set([peer.address, ...(a.addresses?.[side ^ 1] ?? []).map((x) => x.address)]);
    for (const k of kernel) {
      if (k.localPort === me.port && k.peerPort === peer.port && k.paths.some((p) => peerAddrs.has(p.address))) out.push({ side, assoc: k });
    }
  }
  return out;
}

function jiffiesToMs(j: number, hz: number): number | null {
  return hz ? Math.round((j * 1000) / hz) : null;
}

/**
 * CONFIG_HZ, to turn the kernel's jiffies into ms: from the kernel config when it is on disk
 * (ebpf-ts's kconfig, which the wire tracer reads too), else measured from the jiffies counter
 * in /proc/timer_list over 200 ms (minimal images ship no config), rounded to the HZ values
 * Linux offers.
 */
function configHz(): number {
  const configured = kernelConfig('CONFIG_HZ');
  if (configured !== undefined && /^\d+$/.test(configured)) return Number(configured);
  const jiffies = (): number | null => {
    try {
      const m = /^jiffies: (\d+)$/m.exec(readFileSync('/proc/timer_list', 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  };
  const t0 = process.hrtime.bigint();
  const j0 = jiffies();
  if (j0 === null) return 0;
  const until = t0 + 200_000_000n;
  while (process.hrtime.bigint() < until) { /* a short busy wait: this runs once per tracer */ }
  const j1 = jiffies();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (j1 === null) return 0;
  const hz = (j1 - j0) / dt;
  return [100, 250, 300, 1000].reduce((best, h) => (Math.abs(h - hz) < Math.abs(best - hz) ? h : best), 100);
}

function sctpInKernel(): { ok: boolean; why: string } {
  if (existsSync('/sys/module/sctp')) return { ok: true, why: '' };
  return { ok: false, why: 'the kernel has no SCTP loaded (/sys/module/sctp is missing: modprobe sctp, or a kernel built with CONFIG_IP_SCTP)' };
}

export class KernTracer {
  readonly status: TracerStatus[];
  readonly #obj: BpfObject;
  readonly #hz: number;
  readonly #calls: boolean;
  /** the programs behind each status line */
  readonly #programs: Map<string, string[]>;

  private constructor(obj: BpfObject, status: TracerStatus[], calls: boolean, programs: Map<string, string[]>) {
    this.#obj = obj;
    this.status = status;
    this.#hz = configHz();
    this.#calls = calls;
    this.#programs = programs;
  }

  /**
   * The status lines with how many runs of each probe the kernel skipped (recursion_misses of
   * its programs). A kprobe's program is skipped while any other kprobe or classic tracepoint
   * program runs on the CPU, or a task reading BPF maps is preempted there; the kernel counts
   * those skips for kprobes only from 6.7 (trace_call_bpf), so earlier kernels get null.
   */
  statusNow(): TracerStatus[] {
    const kprobesCounted = kernelAtLeast('6.7');
    return this.status.map((st) => {
      const programs = this.#programs.get(st.name) ?? [];
      if (!st.active || programs.length === 0) return { ...st, skipped: null };
      let skipped: number | null = 0;
      for (const name of programs) {
        const p = this.#obj.program(name);
        const n = p.info().recursionMisses;
        // kprobe and classic tracepoint programs go through trace_call_bpf
        if (n === null || ((p.typeName === 'kprobe' || p.typeName === 'tracepoint') && !kprobesCounted)) { skipped = null; break; }
        skipped += n;
      }
      return { ...st, skipped };
    });
  }

  /** What this kernel can run, without loading anything (for messages). */
  static available(): { ok: boolean; why: string } {
    return sctpInKernel();
  }

  /** Load and attach what the kernel accepts; null (with the reasons) when it accepts nothing. */
  static open(): { tracer: KernTracer | null; status: TracerStatus[] } {
    const sctp = sctpInKernel();
    if (!sctp.ok) {
      return { tracer: null, status: ['sctp_probe', 'sctp_probe_path', 'sctp_retransmit', 'sendmsg/recvmsg'].map((name) => ({ name, active: false, how: null, why: sctp.why })) };
    }
    const haveBtf = existsSync('/sys/kernel/btf/sctp');
    let tracefs = false;
    let tracefsWhy = '';
    try {
      ensureTracefs();
      tracefs = existsSync('/sys/kernel/tracing/events/sctp/sctp_probe');
      if (!tracefs) tracefsWhy = 'no sctp events in tracefs';
    } catch (err) {
      tracefsWhy = `tracefs: ${(err as Error).message}`;
    }
    const probeSets: Array<{ how: string; programs: string[] }> = [];
    if (haveBtf) probeSets.push({ how: 'tp_btf', programs: ['kern_probe_btf', 'kern_path_btf'] });
    if (tracefs) probeSets.push({ how: 'tracepoint', programs: ['kern_probe_tp', 'kern_path_tp'] });
    const rtxSets = [{ how: 'fentry', programs: ['kern_rtx_fentry'] }, { how: 'kprobe', programs: ['kern_rtx_kprobe'] }];
    // the application's calls: fentry/fexit, which the kernel never skips for another tracer's
    // sake (see bpf/sctp_kern.bpf.c), else kprobes reading pointers and return values only
    const callSets = [
      ...(haveBtf ? [{ how: 'fentry', programs: ['kern_send_fentry', 'kern_send_fexit', 'kern_to_asoc_fentry', 'kern_to_asoc_fexit', 'kern_recv_fentry', 'kern_recv_fexit'] }] : []),
      { how: 'kprobe', programs: ['kern_send_enter', 'kern_send_return', 'kern_to_asoc_enter', 'kern_to_asoc_return', 'kern_recv_enter', 'kern_recv_return'] },
    ];
    // One choice per group, best first; a refusal moves on only the group whose program the
    // kernel refused, so a kernel that takes neither fentry group costs two more loads, not a
    // product of all the choices (each load is a verification: seconds under emulation).
    type ProbeSet = { how: string | null; programs: string[] };
    const none: ProbeSet = { how: null, programs: [] };
    const groups: ProbeSet[][] = [[...probeSets, none], [...rtxSets, none], [...callSets, none]];
    const pick = [0, 0, 0];
    const reasons: string[] = [];
    for (;;) {
      const [ps, rs, cs] = groups.map((g, k) => g[pick[k]!]!) as [ProbeSet, ProbeSet, ProbeSet];
      const programs = [...ps.programs, ...rs.programs, ...cs.programs];
      if (programs.length === 0) break;
      let obj: BpfObject | null = null;
      let attaching: string | null = null;
      try {
        obj = BpfObject.load(KERN_OBJECT, { programs });
        for (const p of programs) { attaching = p; obj.program(p).attach(); }
        const status: TracerStatus[] = [
          { name: 'sctp_probe', active: ps.how !== null, how: ps.how, why: ps.how ? null : (haveBtf || tracefs ? reasons.join('; ') : `no sctp module BTF and ${tracefsWhy}`) },
          { name: 'sctp_probe_path', active: ps.how !== null, how: ps.how, why: ps.how ? null : 'as sctp_probe' },
          { name: 'sctp_retransmit', active: rs.how !== null, how: rs.how, why: rs.how ? null : reasons.filter((r) => /rtx/.test(r)).join('; ') || 'neither fentry nor kprobe accepted' },
          { name: 'sendmsg/recvmsg', active: cs.how !== null, how: cs.how, why: cs.how ? null : `probes on sctp_sendmsg, sctp_sendmsg_to_asoc, sctp_recvmsg refused (${reasons.filter((r) => /kern_(send|recv|to_asoc)/.test(r)).join('; ') || 'no reason given'}): no send-buffer limit, no errors` },
        ];
        if (ps.how === 'tracepoint') {
          const btfWhy = haveBtf ? `tp_btf refused (${reasons.filter((r) => r.includes('_btf')).join('; ')})` : 'no BTF for the sctp module';
          status[0]!.why = status[1]!.why = `${btfWhy}: srtt, rto and error count are not recorded`;
        }
        const byStatus = new Map([['sctp_probe', ps.programs.slice(0, 1)], ['sctp_probe_path', ps.programs.slice(1)], ['sctp_retransmit', rs.programs], ['sendmsg/recvmsg', cs.programs]]);
        return { tracer: new KernTracer(obj, status, cs.how !== null, byStatus), status };
      } catch (err) {
        obj?.close();
        const message = (err as Error).message.split('\n')[0]!;
        reasons.push(`${programs.join('+')}: ${message}`);
        const culprit = (err as { program?: string }).program ?? programs.find((p) => message.includes(p)) ?? attaching;
        // a refusal naming no program of ours: give up the last group still choosing something
        let k = culprit ? [ps, rs, cs].findIndex((g) => g.programs.includes(culprit)) : -1;
        if (k < 0) k = [ps, rs, cs].map((g) => g.programs.length > 0).lastIndexOf(true);
        pick[k]!++;
      }
    }
    const why = reasons.join('; ') || 'nothing to load';
    return { tracer: null, status: ['sctp_probe', 'sctp_probe_path', 'sctp_retransmit', 'sendmsg/recvmsg'].map((name) => ({ name, active: false, how: null, why })) };
  }

  /** Errors on a socket that no single association of this snapshot claims (recvmsg on a one-to-many socket, sendmsg before choosing one). */
  socketErrors: Array<{ socket: string } & CallError> = [];

  snapshot(): KernAssociation[] {
    const assocs = this.#obj.map('sctp_kassocs').dumpRaw();
    const paths = this.#obj.map('sctp_kpaths').dumpRaw();
    const byId = new Map<string, KernAssociation>();
    const hz = this.#hz;
    const calls = this.#calls;
    // kernel addresses read exactly (as u64n numbers they would be rounded to 2 KiB)
    const hex = (buf: Buffer, off: number) => `0x${buf.readBigUInt64LE(off).toString(16)}`;
    const blank = (id: string, peerPort: number): KernAssociation => ({
      id, socket: null, localPort: 0, peerPort, state: null, peerRwnd: 0, unackData: 0, pathmtu: 0, probes: 0, retransmissions: {}, paths: [],
      limitedBy: { rwndMs: 0, cwndMs: 0, sndbufMs: calls ? 0 : null, appMs: 0 }, sendCalls: calls ? 0 : null, errors: [],
    });
    for (let i = 0; i < assocs.count; i++) {
      const base = i * SkAssoc.size;
      const a = SkAssoc.decode(assocs.values, base);
      const rtx: Record<string, number> = {};
      a.rtx.forEach((n, r) => { if (n) rtx[RTX_REASONS[r]!] = (rtx[RTX_REASONS[r]!] ?? 0) + n; });
      const id = hex(assocs.values, base + SkAssoc.offsets.asoc);
      const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
      const lim = a.lim_ns;
      byId.set(id, {
        ...blank(id, a.pport!),
        socket: a.sk ? hex(assocs.values, base + SkAssoc.offsets.sk) : null, localPort: a.lport!,
        state: a.source === 1 ? ASSOC_STATES[a.state!] ?? `state-${a.state}` : null,
        peerRwnd: a.peer_rwnd!, unackData: a.unack_data!, pathmtu: a.pathmtu!, probes: a.probes!, retransmissions: rtx,
        limitedBy: { rwndMs: ms(lim[0]!), cwndMs: ms(lim[1]!), sndbufMs: calls ? ms(lim[2]!) : null, appMs: ms(lim[3]!) + (calls ? 0 : ms(lim[2]!)) },
        sendCalls: calls ? a.sendmsgs! : null,
      });
    }
    for (let i = 0; i < paths.count; i++) {
      const k = SkPathKey.decode(paths.keys, i * SkPathKey.size);
      const p = SkPath.decode(paths.values, i * SkPath.size);
      const full = p.source === 1;
      const path: KernPath = {
        address: formatAddress(k.addr, k.family), port: k.port, primary: p.primary === 1, state: PATH_STATES[p.state!] ?? `state-${p.state}`,
        cwnd: p.cwnd!, ssthresh: p.ssthresh!, flightSize: p.flight_size!, partialBytesAcked: p.partial_bytes_acked!, pathmtu: p.pathmtu!,
        srttMs: full ? jiffiesToMs(p.srtt!, hz) : null, rttvarMs: full ? jiffiesToMs(p.rttvar!, hz) : null, rtoMs: full ? jiffiesToMs(p.rto!, hz) : null,
        errorCount: full ? p.error_count! : null, samples: p.samples!,
      };
      const key = hex(paths.keys, i * SkPathKey.size + SkPathKey.offsets.asoc);
      let a = byId.get(key);
      if (!a) byId.set(key, (a = blank(key, k.port)));
      a.paths.push(path);
    }
    this.socketErrors = [];
    if (calls) {
      const errs = this.#obj.map('sctp_kerrs').dumpRaw();
      const bySocket = new Map<string, KernAssociation[]>();
      for (const a of byId.values()) if (a.socket) bySocket.set(a.socket, [...(bySocket.get(a.socket) ?? []), a]);
      for (let i = 0; i < errs.count; i++) {
        const kb = i * SkErrKey.size;
        const k = SkErrKey.decode(errs.keys, kb);
        const count = Number(errs.values.readBigUInt64LE(i * 8));
        const e: CallError = { call: k.op === 2 ? 'recvmsg' : 'sendmsg', errno: errnoName(k.err), count };
        const socket = hex(errs.keys, kb + SkErrKey.offsets.sk);
        const owner = k.asoc ? byId.get(hex(errs.keys, kb + SkErrKey.offsets.asoc)) : (bySocket.get(socket)?.length === 1 ? bySocket.get(socket)![0] : undefined);
        if (!owner) { this.socketErrors.push({ socket, ...e }); continue; }
        const had = owner.errors.find((x) => x.call === e.call && x.errno === e.errno);
        if (had) had.count += count;
        else owner.errors.push(e);
      }
      for (const a of byId.values()) a.errors.sort((x, y) => x.call.localeCompare(y.call) || y.count - x.count);
    }
    return [...byId.values()];
  }

  close(): void {
    this.#obj.close();
  }
}
