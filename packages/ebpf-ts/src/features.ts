// Feature probes: ask the running kernel (load a two-instruction program, try the attach on an
// interface that cannot exist, create a map) rather than compare version numbers, and say why
// when the answer is no. Results are cached per process.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { native } from './native.js';
import { AttachType, MapType, ProgType, TRACEFS_MAGIC } from './consts.js';
import { release } from 'node:os';
import { errnoName, UnsupportedFeatureError, type NativeFailure } from './errors.js';

export type FeatureName =
  | 'tcx' | 'clsact' | 'xdp' | 'tracepoint' | 'raw_tracepoint' | 'tp_btf' | 'fentry' | 'fexit' | 'kprobe' | 'uprobe'
  | 'ringbuf' | 'bpf_loop' | 'batch_ops' | 'btf' | 'module_btf';

export interface FeatureStatus {
  feature: FeatureName;
  supported: boolean;
  /** Why not (or how it was established). */
  reason: string;
  /** First mainline kernel with the feature. */
  minKernel?: string;
  errno?: string;
  /**
   * false: the probe could not tell (no permission, a transient error, nothing to look at):
   * `supported` is false but does not mean the kernel lacks the feature, and the answer is
   * not cached.
   */
  conclusive?: false;
}

export const FEATURE_MIN_KERNEL: Record<FeatureName, string> = {
  tcx: '6.6', clsact: '4.5', xdp: '5.9', tracepoint: '4.7', raw_tracepoint: '4.17', tp_btf: '5.5', fentry: '5.5', fexit: '5.5',
  kprobe: '4.1', uprobe: '4.17', ringbuf: '5.8', bpf_loop: '5.17', batch_ops: '5.6', btf: '5.4', module_btf: '5.11',
};

// An ifindex no interface has: attaching there tells "attach type known" (ENODEV) from "unknown" (EINVAL)
// without touching any real interface.
const NO_IFINDEX = 0x7ffffff0;

const cache = new Map<FeatureName, FeatureStatus>();

/** bpf_func_id values of helpers worth probing (linux/bpf.h). */
export const HELPERS: Record<string, number> = {
  bpf_map_lookup_elem: 1, bpf_ktime_get_ns: 5, bpf_skb_load_bytes: 26, bpf_get_current_pid_tgid: 14,
  bpf_probe_read_kernel: 113, bpf_ringbuf_output: 130, bpf_ringbuf_reserve: 131, bpf_loop: 181,
};

function yes(feature: FeatureName, reason: string): FeatureStatus {
  return { feature, supported: true, reason, minKernel: FEATURE_MIN_KERNEL[feature] };
}
function no(feature: FeatureName, reason: string, errno?: string): FeatureStatus {
  return { feature, supported: false, reason, minKernel: FEATURE_MIN_KERNEL[feature], ...(errno ? { errno } : {}) };
}
/** A probe that could not tell: not cached, and not to be read as "the kernel lacks it". */
function unknown(feature: FeatureName, reason: string, errno?: string): FeatureStatus {
  return { ...no(feature, reason, errno), conclusive: false };
}
// Refusals that say "not allowed" (or "try again") rather than "not known to this kernel".
const INCONCLUSIVE_ERRNO = new Set(['EPERM', 'EACCES', 'EAGAIN', 'EINTR', 'ENOMEM', 'EBUSY']);

function loadProbe(type: number, eat: number, btfFunc?: string): { fd: number } | { errno: string; log: string } {
  const r = native.bpfProbeLoad(type, eat, btfFunc);
  if (r.fd !== undefined) return { fd: r.fd };
  const errno = errnoName({ errno: r.errno, code: r.errno === 2 ? 'ENOENT' : undefined } as NativeFailure);
  return { errno, log: (r.log ?? '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? '' };
}

// libbpf 1.1 predates tcx and has no name for its attach types.
function attachTypeName(t: number): string {
  if (t === AttachType.TCX_INGRESS) return 'tcx_ingress';
  if (t === AttachType.TCX_EGRESS) return 'tcx_egress';
  return native.bpfTypeName('attach', t) ?? `attach type ${t}`;
}

// libbpf 1.1's libbpf_probe_bpf_prog_type and _map_type answer 0 ("no") for any refusal, EPERM
// included, and libbpf_probe_bpf_helper 1 ("yes") when the program could not be loaded at all:
// without the privilege to load a program both would be a wrong, cached answer. So the probes
// load themselves and read the errno: EINVAL (the kernel does not know the type) is "no", a
// refusal for lack of permission (or a transient one) is "could not tell".
function progTypeProbe(feature: FeatureName, progType: number, what: string): FeatureStatus {
  const p = loadProbe(progType, 0);
  if ('fd' in p) {
    native.bpfCloseFd(p.fd);
    return yes(feature, `${what} programs load`);
  }
  return (INCONCLUSIVE_ERRNO.has(p.errno) ? unknown : no)(feature, `the kernel refused to load a ${what} program: ${p.errno}${p.log ? ` (${p.log})` : ''}`, p.errno);
}

function linkProbe(feature: FeatureName, progType: number, attachType: number, eat = 0): FeatureStatus {
  const p = loadProbe(progType, eat);
  if (!('fd' in p)) return (INCONCLUSIVE_ERRNO.has(p.errno) ? unknown : no)(feature, `the kernel refused to load a ${native.bpfTypeName('prog', progType)} program: ${p.errno}${p.log ? ` (${p.log})` : ''}`, p.errno);
  try {
    native.bpfLinkCreate(p.fd, NO_IFINDEX, attachType, -1).destroy();
    return yes(feature, 'attach accepted'); // cannot happen: no such interface
  } catch (err) {
    const e = errnoName(err as NativeFailure);
    if (e === 'ENODEV' || e === 'ENXIO') return yes(feature, `bpf_link_create knows the attach type (${e} for a missing interface)`);
    return (INCONCLUSIVE_ERRNO.has(e) ? unknown : no)(feature, `bpf_link_create refused ${attachTypeName(attachType)}: ${e}`, e);
  } finally {
    native.bpfCloseFd(p.fd);
  }
}

function tracingProbe(feature: 'fentry' | 'fexit' | 'tp_btf', eat: number, target: string): FeatureStatus {
  if (!existsSync('/sys/kernel/btf/vmlinux')) return no(feature, 'the kernel has no BTF (/sys/kernel/btf/vmlinux missing; CONFIG_DEBUG_INFO_BTF)');
  const p = loadProbe(ProgType.TRACING, eat, target);
  if (!('fd' in p)) return (INCONCLUSIVE_ERRNO.has(p.errno) ? unknown : no)(feature, `the kernel refused to load a ${feature} program on ${target}: ${p.errno}${p.log ? ` (${p.log})` : ''}`, p.errno);
  try {
    native.bpfLinkCreate(p.fd, 0, eat, -1).destroy();
    return yes(feature, `loaded and attached a ${feature} program on ${target}`);
  } catch (err) {
    const e = errnoName(err as NativeFailure);
    return (INCONCLUSIVE_ERRNO.has(e) ? unknown : no)(feature, `the kernel refused to attach a ${feature} program on ${target}: ${e}`, e);
  } finally {
    native.bpfCloseFd(p.fd);
  }
}

function probe(f: FeatureName): FeatureStatus {
  switch (f) {
    case 'tcx':
      return linkProbe('tcx', ProgType.SCHED_CLS, AttachType.TCX_INGRESS);
    case 'xdp': {
      // The kernel answers EINVAL for a missing interface and for an unknown link type alike, and
      // trying a real interface is not ours to do: ask its BTF whether XDP links exist (5.9+).
      const prog = progTypeProbe('xdp', ProgType.XDP, 'xdp');
      if (!prog.supported) return prog;
      if (!existsSync('/sys/kernel/btf/vmlinux')) return no('xdp', 'cannot tell whether XDP links exist: the kernel has no BTF');
      return native.bpfBtfFuncId('bpf_xdp_link_attach') > 0 ? yes('xdp', 'XDP programs load; the kernel has bpf_xdp_link_attach') : no('xdp', 'the kernel has no XDP links (bpf_xdp_link_attach missing from its BTF)');
    }
    case 'clsact':
      return progTypeProbe('clsact', ProgType.SCHED_CLS, 'sched_cls');
    case 'tracepoint': {
      const prog = progTypeProbe('tracepoint', ProgType.TRACEPOINT, 'tracepoint');
      if (!prog.supported) return prog;
      for (const p of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
        try {
          if (native.bpfStatfsType(p) === TRACEFS_MAGIC) return yes('tracepoint', `tracefs at ${p}`);
        } catch {
          // absent
        }
      }
      return no('tracepoint', 'tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing, or attach with mountTracefs: true)');
    }
    case 'raw_tracepoint':
      return progTypeProbe('raw_tracepoint', ProgType.RAW_TRACEPOINT, 'raw_tracepoint');
    case 'tp_btf':
      return tracingProbe('tp_btf', AttachType.TRACE_RAW_TP, 'sched_process_fork');
    case 'fentry':
      return tracingProbe('fentry', AttachType.TRACE_FENTRY, 'kernel_clone');
    case 'fexit':
      return tracingProbe('fexit', AttachType.TRACE_FEXIT, 'kernel_clone');
    case 'kprobe': {
      if (!existsSync('/sys/bus/event_source/devices/kprobe/type')) {
        return no('kprobe', 'the kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe missing: built without CONFIG_KPROBES/CONFIG_KPROBE_EVENTS)', 'ENOENT');
      }
      const e = native.bpfProbeKprobe('kernel_clone');
      if (e === 0) return yes('kprobe', 'a kprobe on kernel_clone was created');
      const name = errnoName({ errno: e } as NativeFailure);
      // EACCES/EPERM: perf_event_paranoid or a missing CAP_PERFMON, not a kernel without kprobes
      return (INCONCLUSIVE_ERRNO.has(name) ? unknown : no)('kprobe', `perf_event_open(kprobe kernel_clone) failed: ${name}`, name);
    }
    case 'uprobe':
      // libbpf attaches uprobes through the perf uprobe PMU (4.17+); without it there is only the
      // legacy tracefs interface, which libbpf 1.1 also falls back to, but then tracefs must be mounted.
      return existsSync('/sys/bus/event_source/devices/uprobe/type')
        ? yes('uprobe', 'the kernel has the uprobe PMU (/sys/bus/event_source/devices/uprobe)')
        : no('uprobe', 'the kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe missing: built without CONFIG_UPROBE_EVENTS)', 'ENOENT');
    case 'ringbuf': {
      try {
        native.bpfCloseFd(native.bpfMapCreate(MapType.RINGBUF, 'probe_rb', 0, 0, 4096, 0));
        return yes('ringbuf', 'ringbuf maps can be created');
      } catch (err) {
        const e = errnoName(err as NativeFailure);
        return (INCONCLUSIVE_ERRNO.has(e) ? unknown : no)('ringbuf', `the kernel refused a ringbuf map: ${e}`, e);
      }
    }
    case 'bpf_loop': {
      // libbpf: 1 the verifier took a call to it, 0 refused it as unknown, < 0 could not ask; and
      // 1 too when no program could be loaded at all: ask the kernel for a plain load first
      const base = progTypeProbe('bpf_loop', ProgType.SCHED_CLS, 'sched_cls');
      if (!base.supported) return unknown('bpf_loop', `cannot probe helper bpf_loop: ${base.reason}`, base.errno);
      const r = native.bpfProbeHelper(ProgType.SCHED_CLS, HELPERS.bpf_loop!);
      if (r === 1) return yes('bpf_loop', 'helper bpf_loop accepted in sched_cls');
      return r === 0 ? no('bpf_loop', 'the verifier does not know helper bpf_loop (sched_cls)') : unknown('bpf_loop', `could not probe helper bpf_loop (${r})`);
    }
    case 'batch_ops': {
      let fd = -1;
      try {
        fd = native.bpfMapCreate(MapType.HASH, 'probe_batch', 4, 4, 1, 0);
        const d = native.bpfMapDump(fd, 4, 4, 1, true);
        return d.batched ? yes('batch_ops', 'BPF_MAP_LOOKUP_BATCH works on a hash map') : no('batch_ops', 'the kernel refused BPF_MAP_LOOKUP_BATCH');
      } catch (err) {
        const e = errnoName(err as NativeFailure);
        return (INCONCLUSIVE_ERRNO.has(e) ? unknown : no)('batch_ops', `probe failed: ${e}`, e);
      } finally {
        if (fd >= 0) native.bpfCloseFd(fd);
      }
    }
    case 'btf':
      return existsSync('/sys/kernel/btf/vmlinux') ? yes('btf', '/sys/kernel/btf/vmlinux present') : no('btf', '/sys/kernel/btf/vmlinux missing (CONFIG_DEBUG_INFO_BTF)');
    case 'module_btf': {
      // A loaded module with BTF has /sys/kernel/btf/<module> (CONFIG_DEBUG_INFO_BTF_MODULES,
      // 5.11): the kernel tracer's fentry/tp_btf programs on the sctp module need it.
      if (!existsSync('/sys/kernel/btf/vmlinux')) return no('module_btf', 'the kernel has no BTF (/sys/kernel/btf/vmlinux missing)');
      if (!existsSync('/proc/modules')) return no('module_btf', 'the kernel has no loadable modules (/proc/modules missing: CONFIG_MODULES)');
      const withBtf = readdirSync('/sys/kernel/btf').filter((f) => f !== 'vmlinux');
      if (withBtf.length > 0) return yes('module_btf', `${withBtf.length} loaded module(s) carry BTF (${withBtf.slice(0, 3).join(', ')}${withBtf.length > 3 ? ', …' : ''})`);
      if (readFileSync('/proc/modules', 'utf8').trim() === '') return unknown('module_btf', 'no module is loaded: nothing to tell module BTF by');
      return no('module_btf', 'loaded modules carry no BTF (none in /sys/kernel/btf: CONFIG_DEBUG_INFO_BTF_MODULES)');
    }
  }
}

/** Does the running kernel have `feature`? Never throws; the answer says why. */
export function probeFeature(feature: FeatureName): FeatureStatus {
  let s = cache.get(feature);
  if (!s) {
    try {
      s = probe(feature);
    } catch (err) {
      s = unknown(feature, `probe failed: ${errnoName(err as NativeFailure)} (${(err as Error).message})`);
    }
    // tracefs can be mounted later, a module loaded: do not cache those answers, nor any the
    // probe could not be sure of (EPERM now may be a capability granted later)
    if (feature !== 'tracepoint' && feature !== 'module_btf' && s.conclusive !== false) cache.set(feature, s);
  }
  return s;
}

export function probeAllFeatures(): FeatureStatus[] {
  return (Object.keys(FEATURE_MIN_KERNEL) as FeatureName[]).map(probeFeature);
}

/** Is helper `name` (or bpf_func_id) callable from programs of `progType` (default sched_cls)? */
export function probeHelper(helper: string | number, progType: number = ProgType.SCHED_CLS): { supported: boolean; reason: string } {
  const id = typeof helper === 'number' ? helper : HELPERS[helper];
  if (id === undefined) throw new TypeError(`unknown helper ${helper}: pass its bpf_func_id number`);
  const r = native.bpfProbeHelper(progType, id);
  const pt = native.bpfTypeName('prog', progType);
  return r === 1 ? { supported: true, reason: `accepted in ${pt} programs` } : { supported: false, reason: r === 0 ? `the verifier rejects it in ${pt} programs` : `probe failed (${r})` };
}

/** Is the running kernel at least `version` ("6.6")? */
export function kernelAtLeast(version: string, running = release()): boolean {
  const a = running.split(/[.-]/).map((x) => parseInt(x, 10));
  const b = version.split('.').map((x) => parseInt(x, 10));
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x) || x !== y) return !(x < y);
  }
  return true;
}

/** The error for a missing feature; names a minimum kernel only when this one is older than it. */
export function featureError(f: FeatureStatus, context = ''): UnsupportedFeatureError {
  const old = f.minKernel !== undefined && !kernelAtLeast(f.minKernel);
  return new UnsupportedFeatureError(f.feature, `${f.reason}${context}`, { ...(old ? { minKernel: f.minKernel } : {}), errno: f.errno, op: 'probe' });
}
