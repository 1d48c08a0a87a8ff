// The kernel-side SCTP tracer (bpf/sctp_kern.bpf.o): congestion and path state as the
// kernel's own SCTP stack has them. Which flavour runs depends on the kernel: tp_btf programs
// where the sctp module has BTF, classic tracepoints otherwise; retransmissions by fentry,
// else kprobe, else not at all. `status` says what is active and why the rest is not.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfObject, ensureTracefs, kernelConfig } from 'ebpf-ts';
import { formatAddress } from './model.js';
import { SkAssoc, SkPath, SkPathKey } from './generated/sctp-kern.js';

export const KERN_OBJECT = fileURLToPath(new URL('../../bpf/sctp_kern.bpf.o', import.meta.url));

export interface TracerStatus { name: string; active: boolean; how: string | null; why: string | null }

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

export interface KernAssociation {
  /** The kernel's address of the association: an opaque id, stable for its lifetime. */
  id: string;
  localPort: number;
  peerPort: number;
  state: string | null;
  peerRwnd: number;
  unackData: number;
  pathmtu: number;
  probes: number;
  retransmissions: Record<string, number>;
  paths: KernPath[];
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

  private constructor(obj: BpfObject, status: TracerStatus[]) {
    this.#obj = obj;
    this.status = status;
    this.#hz = configHz();
  }

  /** What this kernel can run, without loading anything (for messages). */
  static available(): { ok: boolean; why: string } {
    return sctpInKernel();
  }

  /** Load and attach what the kernel accepts; null (with the reasons) when it accepts nothing. */
  static open(): { tracer: KernTracer | null; status: TracerStatus[] } {
    const sctp = sctpInKernel();
    if (!sctp.ok) {
      return { tracer: null, status: ['sctp_probe', 'sctp_probe_path', 'sctp_retransmit'].map((name) => ({ name, active: false, how: null, why: sctp.why })) };
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
    const rtxSets = [{ how: 'fentry', programs: ['kern_rtx_fentry'] }, { how: 'kprobe', programs: ['kern_rtx_kprobe'] }, { how: null, programs: [] as string[] }];
    const reasons: string[] = [];
    for (const ps of [...probeSets, { how: null, programs: [] as string[] }]) {
      for (const rs of rtxSets) {
        const programs = [...ps.programs, ...rs.programs];
        if (programs.length === 0) continue;
        let obj: BpfObject | null = null;
        try {
          obj = BpfObject.load(KERN_OBJECT, { programs });
          for (const p of programs) obj.program(p).attach();
          const status: TracerStatus[] = [
            { name: 'sctp_probe', active: ps.how !== null, how: ps.how, why: ps.how ? null : (haveBtf || tracefs ? reasons.join('; ') : `no sctp module BTF and ${tracefsWhy}`) },
            { name: 'sctp_probe_path', active: ps.how !== null, how: ps.how, why: ps.how ? null : 'as sctp_probe' },
            { name: 'sctp_retransmit', active: rs.how !== null, how: rs.how, why: rs.how ? null : reasons.filter((r) => /rtx/.test(r)).join('; ') || 'neither fentry nor kprobe accepted' },
          ];
          if (ps.how === 'tracepoint') {
            const btfWhy = haveBtf ? `tp_btf refused (${reasons.filter((r) => r.includes('_btf')).join('; ')})` : 'no BTF for the sctp module';
            status[0]!.why = status[1]!.why = `${btfWhy}: srtt, rto and error count are not recorded`;
          }
          return { tracer: new KernTracer(obj, status), status };
        } catch (err) {
          obj?.close();
          reasons.push(`${programs.join('+')}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    const why = reasons.join('; ') || 'nothing to load';
    return { tracer: null, status: ['sctp_probe', 'sctp_probe_path', 'sctp_retransmit'].map((name) => ({ name, active: false, how: null, why })) };
  }

  snapshot(): KernAssociation[] {
    const assocs = this.#obj.map('sctp_kassocs').dumpRaw();
    const paths = this.#obj.map('sctp_kpaths').dumpRaw();
    const byId = new Map<string, KernAssociation>();
    const hz = this.#hz;
    for (let i = 0; i < assocs.count; i++) {
      const a = SkAssoc.decode(assocs.values, i * SkAssoc.size);
      const rtx: Record<string, number> = {};
      a.rtx.forEach((n, r) => { if (n) rtx[RTX_REASONS[r]!] = (rtx[RTX_REASONS[r]!] ?? 0) + n; });
      byId.set(a.asoc!.toString(16), {
        id: `0x${a.asoc!.toString(16)}`, localPort: a.lport!, peerPort: a.pport!,
        state: a.source === 1 ? ASSOC_STATES[a.state!] ?? `state-${a.state}` : null,
        peerRwnd: a.peer_rwnd!, unackData: a.unack_data!, pathmtu: a.pathmtu!, probes: a.probes!, retransmissions: rtx, paths: [],
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
      const key = k.asoc.toString(16);
      let a = byId.get(key);
      if (!a) byId.set(key, (a = { id: `0x${key}`, localPort: 0, peerPort: k.port, state: null, peerRwnd: 0, unackData: 0, pathmtu: 0, probes: 0, retransmissions: {}, paths: [] }));
      a.paths.push(path);
    }
    return [...byId.values()];
  }

  close(): void {
    this.#obj.close();
  }
}
