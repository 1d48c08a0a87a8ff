// Attaching programs. Links (tcx, XDP, tracing) are released by the kernel when their fd closes,
// so they cannot outlive the process; tc clsact filters can, so they are detached on close()
// and, as a last resort, when the process exits.
import { native } from './native.js';
import type { NativeBpfLink, NativeTcFilter } from './native-types.js';
import { BpfError, BpfNotFoundError, errnoName, fromNative, UnsupportedFeatureError, type NativeFailure } from './errors.js';
import { AttachType, ProgType, TRACEFS_MAGIC } from './consts.js';
import { describeNetns, runInNetns, type NetnsOption } from './netns.js';
import { featureError, probeFeature, type FeatureName } from './features.js';
import type { BpfProgram } from './program.js';
import { ensureTracefs } from './mounts.js';

export type AttachKind = 'tcx' | 'clsact' | 'xdp' | 'tracepoint' | 'raw_tracepoint' | 'tp_btf' | 'fentry' | 'fexit' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'auto';
export type Direction = 'ingress' | 'egress';

/** One attached program. detach() is idempotent; close() of the object detaches all of them. */
export class Attachment {
  readonly kind: AttachKind;
  readonly program: string;
  /** What it is attached to, in words: "ifindex 4 ingress", "sched/sched_process_fork". */
  readonly target: string;
  #link?: NativeBpfLink;
  #filter?: NativeTcFilter;
  #onDetach?: (a: Attachment) => void;
  #attached = true;

  /** @internal */
  constructor(p: { kind: AttachKind; program: string; target: string; link?: NativeBpfLink; filter?: NativeTcFilter; onDetach?: (a: Attachment) => void }) {
    this.kind = p.kind;
    this.program = p.program;
    this.target = p.target;
    this.#link = p.link;
    this.#filter = p.filter;
    this.#onDetach = p.onDetach;
    if (this.#filter) liveFilters.add(this);
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** Kernel fd of the link (-1 for clsact filters, which are not links). */
  get linkFd(): number {
    return this.#link && this.#attached ? this.#link.fd() : -1;
  }

  /** For clsact: the filter's handle and priority (as `tc filter show` prints them). */
  get tcFilter(): { handle: number; priority: number; hookCreated: boolean } | undefined {
    if (!this.#filter) return undefined;
    const i = this.#filter.info();
    return { handle: i.handle, priority: i.priority, hookCreated: i.hookCreated };
  }

  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    liveFilters.delete(this);
    try {
      if (this.#link) this.#link.destroy();
      if (this.#filter) {
        // The filter keeps an fd of the namespace it was attached in, so detaching works even
        // after the namespace lost its name.
        this.#filter.detach(true);
      }
    } catch (err) {
      throw fromNative(err, `detach ${this.program} from ${this.target}`);
    } finally {
      this.#onDetach?.(this);
    }
  }

  /** Pin the link so it survives this process (links only); unpin() the path to release it. */
  pin(path: string): void {
    if (!this.#link || !this.#attached) throw new BpfError(`cannot pin ${this.kind} attachment of ${this.program}: only live links can be pinned`, { op: 'BPF_OBJ_PIN', errno: 'EINVAL', errnoValue: 22 });
    try {
      this.#link.pin(path);
    } catch (err) {
      throw fromNative(err, `pin link of ${this.program} at ${path}`);
    }
  }
}

// clsact filters still attached: removed at process exit (links need no help).
const liveFilters = new Set<Attachment>();
let exitHook = false;
function ensureExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const a of [...liveFilters]) {
      try {
        a.detach();
      } catch {
        // exiting: nothing better to do than try the others
      }
    }
  });
}

function requireLoaded(p: BpfProgram): number {
  const fd = p.fd;
  if (fd < 0) throw new BpfError(`program ${p.name} is not loaded (load the object first${p.autoload ? '' : '; it was excluded from loading'})`, { op: 'attach', errno: 'EBADF', errnoValue: 9 });
  return fd;
}

function requireType(p: BpfProgram, types: number[], what: string): void {
  if (!types.includes(p.type)) throw new BpfError(`program ${p.name} is a ${p.typeName} program (section ${p.section}); ${what} needs ${types.map((t) => native.bpfTypeName('prog', t)).join(' or ')}`, { op: 'attach', errno: 'EINVAL', errnoValue: 22 });
}

function ifaceError(err: unknown, ifindex: number, opts: NetnsOption, doing: string): BpfError {
  const e = err as NativeFailure;
  const name = errnoName(e);
  if (name === 'ENODEV' || name === 'ENXIO' || (name === 'EINVAL' && !(ifindex > 0))) {
    return new BpfNotFoundError('interface', `ifindex ${ifindex}`, describeNetns(opts) || 'in this namespace', { op: e.syscall ?? 'attach', errno: name, errnoValue: e.errno });
  }
  return fromNative(err, doing);
}

function unsupported(feature: FeatureName): UnsupportedFeatureError | undefined {
  const f = probeFeature(feature);
  return f.supported ? undefined : featureError(f);
}

export interface TcAttachOptions extends NetnsOption {
  program: BpfProgram;
  ifindex: number;
  direction: Direction;
  /** 'auto' (default): a tcx link where the kernel has tcx (6.6+), else a clsact filter. */
  mode?: 'auto' | 'tcx' | 'clsact';
  /**
   * clsact only: filter priority (default 1) and handle (default: the first of 1…64 no other
   * filter at that priority holds, so two programs — two tracer sessions — can share a hook;
   * each runs when the one before it returns TC_ACT_UNSPEC).
   */
  priority?: number;
  handle?: number;
}

/** Handles tried, from 1, when the caller names none. */
const TC_FREE_HANDLES = 64;

export function attachTc(opts: TcAttachOptions): Attachment {
  const { program, ifindex, direction } = opts;
  requireType(program, [ProgType.SCHED_CLS], 'a tc attach');
  const fd = requireLoaded(program);
  if (direction !== 'ingress' && direction !== 'egress') throw new TypeError(`tc direction must be ingress or egress, not ${String(direction)}`);
  if (!Number.isInteger(ifindex) || ifindex <= 0) throw new BpfNotFoundError('interface', `ifindex ${ifindex}`, '(ifindex must be a positive integer)', { op: 'attach', errno: 'EINVAL', errnoValue: 22 });
  const mode = opts.mode ?? 'auto';
  const target = `ifindex ${ifindex} ${direction}${describeNetns(opts)}`;
  const useTcx = mode === 'tcx' || (mode === 'auto' && probeFeature('tcx').supported);
  if (useTcx) {
    if (mode === 'tcx') {
      const u = unsupported('tcx');
      if (u) throw u;
    }
    const link = runInNetns(opts, (nsfd) => {
      try {
        return native.bpfLinkCreate(fd, ifindex, direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS, nsfd);
      } catch (err) {
        throw ifaceError(err, ifindex, opts, `attach ${program.name} (tcx) to ${target}`);
      }
    });
    return program._track(new Attachment({ kind: 'tcx', program: program.name, target, link, onDetach: program._untrack }));
  }
  const filter = runInNetns(opts, (nsfd) => {
    // Without tcx (before 6.6) a hook holds one filter per priority and handle: a second program
    // at priority 1, handle 1 is refused with EEXIST. So take the next handle that is free.
    for (let handle = opts.handle ?? 1; ; handle++) {
      try {
        return native.bpfTcAttach(fd, ifindex, direction, opts.priority ?? 1, handle, nsfd);
      } catch (err) {
        const free = opts.handle === undefined && handle < TC_FREE_HANDLES;
        if (free && (err as { code?: string }).code === 'EEXIST') continue;
        throw ifaceError(err, ifindex, opts, `attach ${program.name} (tc clsact) to ${target}`);
      }
    }
  });
  ensureExitHook();
  return program._track(new Attachment({ kind: 'clsact', program: program.name, target, filter, onDetach: program._untrack }));
}

export interface XdpAttachOptions extends NetnsOption {
  program: BpfProgram;
  ifindex: number;
}

/** XDP as a link (Linux 5.9+): leaves when the link closes. */
export function attachXdp(opts: XdpAttachOptions): Attachment {
  const { program, ifindex } = opts;
  requireType(program, [ProgType.XDP], 'an XDP attach');
  requireLoaded(program);
  if (!Number.isInteger(ifindex) || ifindex <= 0) throw new BpfNotFoundError('interface', `ifindex ${ifindex}`, '(ifindex must be a positive integer)', { op: 'attach', errno: 'EINVAL', errnoValue: 22 });
  const target = `ifindex ${ifindex}${describeNetns(opts)}`;
  const link = runInNetns(opts, (nsfd) => {
    try {
      return program._native().attach(program.name, 'xdp', ifindex, nsfd);
    } catch (err) {
      throw ifaceError(err, ifindex, opts, `attach ${program.name} (xdp) to ${target}`);
    }
  });
  return program._track(new Attachment({ kind: 'xdp', program: program.name, target, link, onDetach: program._untrack }));
}

function sectionArg(p: BpfProgram, prefixes: string[]): string | undefined {
  for (const pre of prefixes) if (p.section.startsWith(`${pre}/`)) return p.section.slice(pre.length + 1);
  return undefined;
}

function attachLink(p: BpfProgram, kind: AttachKind, target: string, feature: FeatureName | undefined, call: () => NativeBpfLink): Attachment {
  requireLoaded(p);
  let link: NativeBpfLink;
  try {
    link = call();
  } catch (err) {
    const u = feature ? unsupported(feature) : undefined;
    if (u) throw u;
    throw fromNative(err, `attach ${p.name} (${kind}) to ${target}`);
  }
  return p._track(new Attachment({ kind, program: p.name, target, link, onDetach: p._untrack }));
}

/**
 * A classic tracepoint ("sched/sched_process_fork"; default from a `tracepoint/CAT/NAME` section).
 * Needs tracefs; `mountTracefs: true` mounts it at /sys/kernel/tracing when absent.
 */
export function attachTracepoint(program: BpfProgram, opts: { category?: string; name?: string; mountTracefs?: boolean } = {}): Attachment {
  requireType(program, [ProgType.TRACEPOINT], 'a tracepoint attach');
  let { category, name } = opts;
  if (!category || !name) {
    const s = sectionArg(program, ['tracepoint', 'tp'])?.split('/');
    if (!s || s.length !== 2) throw new TypeError(`program ${program.name}: give category and name (its section ${program.section} does not say)`);
    [category, name] = [category ?? s[0]!, name ?? s[1]!];
  }
  const tp = `${category}/${name}`;
  if (opts.mountTracefs) ensureTracefs();
  else if (!tracefsMounted()) throw new UnsupportedFeatureError('tracepoint', 'tracefs is not mounted at /sys/kernel/tracing (mount -t tracefs tracefs /sys/kernel/tracing, or pass mountTracefs: true)');
  const c = category;
  const n = name;
  return attachLink(program, 'tracepoint', tp, undefined, () => program._native().attach(program.name, 'tracepoint', c, n));
}

function tracefsMounted(): boolean {
  for (const p of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
    try {
      if (native.bpfStatfsType(p) === TRACEFS_MAGIC) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** A raw tracepoint by name (default from a `raw_tracepoint/NAME` or `raw_tp/NAME` section). */
export function attachRawTracepoint(program: BpfProgram, name?: string): Attachment {
  requireType(program, [ProgType.RAW_TRACEPOINT], 'a raw tracepoint attach');
  const tp = name ?? sectionArg(program, ['raw_tracepoint', 'raw_tp']);
  if (!tp) throw new TypeError(`program ${program.name}: give the raw tracepoint name (its section ${program.section} does not say)`);
  return attachLink(program, 'raw_tracepoint', tp, 'raw_tracepoint', () => program._native().attach(program.name, 'raw_tracepoint', tp));
}

function attachTracing(program: BpfProgram, kind: 'tp_btf' | 'fentry' | 'fexit', eat: number[]): Attachment {
  requireType(program, [ProgType.TRACING], `a ${kind} attach`);
  if (!eat.includes(program.expectedAttachType)) throw new BpfError(`program ${program.name} (section ${program.section}) is not a ${kind} program`, { op: 'attach', errno: 'EINVAL', errnoValue: 22 });
  const target = program.section.slice(program.section.indexOf('/') + 1);
  return attachLink(program, kind, target, kind, () => program._native().attach(program.name, 'trace'));
}

/** tp_btf/NAME: a BTF-typed tracepoint (Linux 5.5+); the target comes from the section. */
export function attachTpBtf(program: BpfProgram): Attachment {
  return attachTracing(program, 'tp_btf', [AttachType.TRACE_RAW_TP]);
}

/** fentry/FUNC or fexit/FUNC (Linux 5.5+, and a kernel that allows BPF trampolines). */
export function attachFentry(program: BpfProgram): Attachment {
  return attachTracing(program, program.expectedAttachType === AttachType.TRACE_FEXIT ? 'fexit' : 'fentry', [AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT]);
}

/** kprobe/FUNC or kretprobe/FUNC (or func given); needs a kernel with kprobes. */
export function attachKprobe(program: BpfProgram, opts: { func?: string; retprobe?: boolean } = {}): Attachment {
  requireType(program, [ProgType.KPROBE], 'a kprobe attach');
  const ret = opts.retprobe ?? program.section.startsWith('kretprobe/');
  const func = opts.func ?? sectionArg(program, ['kprobe', 'kretprobe']);
  if (!func) throw new TypeError(`program ${program.name}: give the kernel function (its section ${program.section} does not say)`);
  const u = unsupported('kprobe');
  if (u) throw u;
  return attachLink(program, ret ? 'kretprobe' : 'kprobe', func, 'kprobe', () => program._native().attach(program.name, 'kprobe', func, ret));
}

export interface UprobeAttachOptions {
  /** The executable or shared library, by path (libbpf also resolves a bare library name like "libc.so.6"). */
  binary: string;
  /** A function by its ELF symbol name (default from a `uprobe/BINARY:FUNC` section); or give `offset`. */
  func?: string;
  /** Byte offset: within `func` when it is given, else in the file. */
  offset?: number;
  /** Only this process (default: every process that runs the binary). */
  pid?: number;
  /** On return instead of entry (default from a `uretprobe` section). */
  retprobe?: boolean;
}

/**
 * A user-space probe on a function of an executable or library: a uprobe (entry) or uretprobe
 * (return), through the perf uprobe PMU (Linux 4.17+ for attaching by perf event; uprobes need
 * CONFIG_UPROBE_EVENTS). libbpf finds the function's offset from the file's ELF symbols.
 */
export function attachUprobe(program: BpfProgram, opts: UprobeAttachOptions): Attachment {
  requireType(program, [ProgType.KPROBE], 'a uprobe attach');
  const ret = opts.retprobe ?? program.section.startsWith('uretprobe');
  const sec = sectionArg(program, ['uprobe', 'uretprobe']);
  const func = opts.func ?? (sec?.includes(':') ? sec.slice(sec.indexOf(':') + 1) : undefined);
  if (!opts.binary) throw new TypeError(`program ${program.name}: give the binary to probe`);
  if (!func && opts.offset === undefined) throw new TypeError(`program ${program.name}: give func or offset in ${opts.binary}`);
  const pid = opts.pid ?? -1;
  if (!Number.isInteger(pid) || pid < -1 || pid === 0) throw new TypeError(`uprobe pid must be a positive integer, not ${String(opts.pid)}`);
  const u = unsupported('uprobe');
  if (u) throw u;
  const kind = ret ? 'uretprobe' : 'uprobe';
  const target = `${opts.binary}:${func ?? ''}${opts.offset ? `+0x${opts.offset.toString(16)}` : ''}${pid > 0 ? ` pid ${pid}` : ''}`;
  return attachLink(program, kind, target, 'uprobe', () => program._native().attach(program.name, 'uprobe', opts.binary, func ?? '', opts.offset ?? 0, pid, ret));
}

/** libbpf's attach by section name, for any program type libbpf knows how to auto-attach. */
export function attachAuto(program: BpfProgram): Attachment {
  return attachLink(program, 'auto', program.section, undefined, () => program._native().attach(program.name, 'auto'));
}
