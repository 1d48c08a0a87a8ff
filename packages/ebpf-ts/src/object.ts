// A BPF ELF object: open (file or Buffer), configure (const volatile globals, which programs,
// map sizes), load (verifier refusals become VerifierError), then programs and maps by name.
// close() detaches every attachment made through it and releases the kernel objects.
import { native } from './native.js';
import type { NativeBpfObject, NativeGlobalVar, NativeMapInfo, NativeProgramInfo } from './native-types.js';
import { BpfError, BpfNotFoundError, describeErrno, errnoName, fromNative, VerifierError, type NativeFailure } from './errors.js';
import { featureError, probeFeature, type FeatureName } from './features.js';
import { AttachType, ProgType } from './consts.js';
import { BpfProgram, type ProgramOwner } from './program.js';
import { BpfMap } from './map.js';
import type { Attachment } from './attach.js';
import type { Layout } from './layout.js';
import { type EventBuffer, PerfBuffer, RingBuffer, type PerfBufferOptions, type RingBufferOptions } from './ringbuf.js';

export type GlobalValue = number | bigint | boolean | Buffer | Uint8Array;

export interface OpenOptions {
  /** Object name (default: the file's base name); bpftool shows it in map names. */
  name?: string;
  /** `const volatile` (and other) globals to set before load, by variable name. */
  globals?: Record<string, GlobalValue>;
  /** Load only these programs (others stay unloaded: e.g. ones the kernel lacks an attach type for). */
  programs?: string[];
  /** max_entries overrides (e.g. a ring buffer's size in bytes). */
  maxEntries?: Record<string, number>;
  /** Bytes of verifier log kept per program when it is refused (default 1 MiB; the log's tail is kept). */
  logSize?: number;
}

export class BpfObject implements ProgramOwner {
  readonly name: string;
  /** Where it came from (path, or "<buffer>"). */
  readonly source: string;
  #obj: NativeBpfObject | null;
  #loaded = false;
  #programs = new Map<string, BpfProgram>();
  #progInfo = new Map<string, NativeProgramInfo>();
  #maps = new Map<string, BpfMap<unknown, unknown>>();
  #attachments = new Set<Attachment>();
  #rings = new Set<EventBuffer<unknown>>();
  #globals?: NativeGlobalVar[];

  private constructor(obj: NativeBpfObject, source: string) {
    this.#obj = obj;
    this.source = source;
    this.name = obj.name();
    this.#refreshPrograms();
  }

  /** Open an object file (or its bytes) and apply the options; nothing is in the kernel yet. */
  static open(src: string | Buffer, opts: OpenOptions = {}): BpfObject {
    const source = typeof src === 'string' ? src : '<buffer>';
    let obj: NativeBpfObject;
    try {
      // libbpf would name a buffer by its address, which then shows up in map names and errors.
      obj = new native.BpfObject(src, opts.name ?? (typeof src === 'string' ? undefined : 'buffer'), opts.logSize ?? 1 << 20);
    } catch (err) {
      const e = err as NativeFailure;
      if (typeof src === 'string' && errnoName(e) === 'ENOENT') throw new BpfNotFoundError('object file', src, undefined, { op: 'open' });
      const name = errnoName(e);
      const what = describeErrno(name) || name;
      throw new BpfError(`cannot open BPF object ${source}: ${name === 'EINVAL' ? 'not a valid BPF ELF object' : what}${lastLibbpfLine(e.libbpfLog)}`, {
        op: 'bpf_object__open', errno: name, errnoValue: e.errno ?? 0, libbpfLog: e.libbpfLog, cause: err,
      });
    }
    const o = new BpfObject(obj, source);
    try {
      if (opts.programs) {
        const want = new Set(opts.programs);
        for (const p of want) o.program(p); // unknown names fail here, before anything loads
        for (const p of o.programs()) o.setAutoload(p.name, want.has(p.name));
      }
      for (const [m, n] of Object.entries(opts.maxEntries ?? {})) o.setMaxEntries(m, n);
      if (opts.globals) o.setGlobals(opts.globals);
    } catch (err) {
      o.close();
      throw err;
    }
    return o;
  }

  /** open() + load() */
  static load(src: string | Buffer, opts: OpenOptions = {}): BpfObject {
    const o = BpfObject.open(src, opts);
    try {
      return o.load();
    } catch (err) {
      o.close();
      throw err;
    }
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** @internal */
  _native(): NativeBpfObject {
    if (!this.#obj) throw new BpfError(`BPF object ${this.name} is closed`, { op: 'object', errno: 'EBADF', errnoValue: 9 });
    return this.#obj;
  }
  /** @internal */
  _programInfo(name: string): NativeProgramInfo {
    if (!this.#obj) return { ...this.#progInfo.get(name)!, fd: -1 };
    return this.#progInfo.get(name)!;
  }
  /** @internal */
  _track(a: Attachment): void {
    this.#attachments.add(a);
  }
  /** @internal */
  _untrack(a: Attachment): void {
    this.#attachments.delete(a);
  }

  #refreshPrograms(): void {
    for (const info of this._native().programs()) {
      this.#progInfo.set(info.name, info);
      if (!this.#programs.has(info.name)) this.#programs.set(info.name, new BpfProgram(this, info));
    }
  }

  programs(): BpfProgram[] {
    return [...this.#programs.values()];
  }

  program(name: string): BpfProgram {
    const p = this.#programs.get(name);
    if (!p) throw new BpfNotFoundError('program', name, `in ${this.source} (it has: ${[...this.#programs.keys()].join(', ') || 'none'})`);
    return p;
  }

  /** Include or exclude a program from load(). */
  setAutoload(program: string, on: boolean): void {
    this.program(program);
    this.#beforeLoad('choose programs');
    this._native().setAutoload(program, on);
    this.#refreshPrograms();
  }

  setMaxEntries(map: string, n: number): void {
    this.#beforeLoad('resize maps');
    this.#mapInfo(map);
    try {
      this._native().setMapMaxEntries(map, n);
    } catch (err) {
      throw fromNative(err, `set max_entries of map ${map}`);
    }
  }

  /** Variables of the object's data sections, as BTF describes them. */
  globals(): NativeGlobalVar[] {
    return (this.#globals ??= this._native().globals());
  }

  setGlobals(values: Record<string, GlobalValue>): void {
    for (const [k, v] of Object.entries(values)) this.setGlobal(k, v);
  }

  /** Set a global (typically `const volatile`) before load; numbers are checked against its C type. */
  setGlobal(name: string, value: GlobalValue): void {
    this.#beforeLoad(`set global ${name}`);
    const g = this.globals().find((x) => x.name === name);
    if (!g) throw new BpfNotFoundError('global', name, `in ${this.source} (globals: ${this.globals().map((x) => x.name).join(', ') || 'none'})`);
    const obj = this._native();
    const section = obj.mapInitialValue(g.section);
    if (!section) throw new BpfError(`global ${name}: section ${g.section} has no initial value to set`, { op: 'bpf_map__initial_value', errno: 'EINVAL', errnoValue: 22 });
    encodeGlobal(g, value).copy(section, g.offset);
    try {
      obj.setMapInitialValue(g.section, section);
    } catch (err) {
      throw fromNative(err, `set global ${name}`);
    }
  }

  #beforeLoad(doing: string): void {
    if (this.#loaded) throw new BpfError(`cannot ${doing}: object ${this.name} is already loaded`, { op: 'configure', errno: 'EBUSY', errnoValue: 16 });
  }

  /** Load every selected program and create the maps. A refused program throws VerifierError. */
  load(): this {
    this.#beforeLoad('load');
    try {
      this._native().load();
    } catch (err) {
      const e = err as NativeFailure;
      const errno = errnoName(e);
      if (e.program && e.verifierLog) {
        throw new VerifierError(e.program, errno, e.errno ?? 0, e.verifierLog.replace(/\n+$/, '').split('\n'), e.libbpfLog);
      }
      const failed = /prog '([^']+)': failed to load/.exec(e.libbpfLog ?? '')?.[1];
      // No verifier log: the kernel refused before verifying (EPERM/ENOTSUPP for a program type or
      // attach target it does not allow). Say which feature, when the probe confirms it is missing.
      const feature = failed ? this.#featureOf(failed) : undefined;
      if (feature) {
        const f = probeFeature(feature);
        if (!f.supported) throw featureError(f, ` (program ${failed})`);
      }
      throw new BpfError(`cannot load BPF object ${this.name}${failed ? ` (program ${failed})` : ''}: ${errno}${lastLibbpfLine(e.libbpfLog)}`, {
        op: 'bpf_object__load', errno, errnoValue: e.errno ?? 0, libbpfLog: e.libbpfLog, cause: err,
      });
    }
    this.#loaded = true;
    this.#refreshPrograms();
    return this;
  }

  #featureOf(program: string): FeatureName | undefined {
    const p = this.#programs.get(program);
    if (!p) return undefined;
    if (p.type === ProgType.TRACING) {
      if (p.expectedAttachType === AttachType.TRACE_FENTRY) return 'fentry';
      if (p.expectedAttachType === AttachType.TRACE_FEXIT) return 'fexit';
      if (p.expectedAttachType === AttachType.TRACE_RAW_TP) return 'tp_btf';
    }
    if (p.type === ProgType.RAW_TRACEPOINT) return 'raw_tracepoint';
    if (p.type === ProgType.XDP) return 'xdp';
    return undefined;
  }

  #mapInfo(name: string): NativeMapInfo {
    const all = this._native().maps();
    const m = all.find((x) => x.name === name) ?? all.find((x) => x.internal && x.name.slice(x.name.indexOf('.')) === name);
    if (!m) throw new BpfNotFoundError('map', name, `in ${this.source} (it has: ${all.map((x) => x.name).join(', ') || 'none'})`);
    return m;
  }

  /** Maps of the loaded object (internal .rodata/.bss maps included, under libbpf's names). */
  maps(): BpfMap[] {
    return this._native().maps().map((m) => this.map(m.name));
  }

  /** A map by name, optionally typed (key/value layouts must match the map's sizes). */
  map(name: string): BpfMap;
  map<K, V>(name: string, layouts: { key: Layout<K>; value: Layout<V> }): BpfMap<K, V>;
  map<K, V>(name: string, layouts?: { key: Layout<K>; value: Layout<V> }): BpfMap<K, V> | BpfMap {
    const info = this.#mapInfo(name);
    if (!this.#loaded || info.fd < 0) throw new BpfError(`map ${name}: object ${this.name} is not loaded yet`, { op: 'map', errno: 'EBADF', errnoValue: 9 });
    let m = this.#maps.get(info.name);
    if (!m) {
      m = new BpfMap(info.fd, info);
      this.#maps.set(info.name, m);
    }
    return layouts ? m.typed(layouts.key, layouts.value) : (m as BpfMap);
  }

  /** A ring buffer reader on map `name`; closed with the object. */
  ringBuffer<T = Buffer>(name: string, opts: RingBufferOptions<T> = {}): RingBuffer<T> {
    return this.#keep(RingBuffer.open<T>(this.map(name), opts));
  }

  /** A perf buffer reader on map `name` (a BPF_MAP_TYPE_PERF_EVENT_ARRAY); closed with the object. */
  perfBuffer<T = Buffer>(name: string, opts: PerfBufferOptions<T> = {}): PerfBuffer<T> {
    return this.#keep(PerfBuffer.open<T>(this.map(name), opts));
  }

  #keep<B extends { close(): void; once(ev: 'close', f: () => void): unknown }>(b: B): B {
    const eb = b as unknown as EventBuffer<unknown>;
    this.#rings.add(eb);
    b.once('close', () => this.#rings.delete(eb));
    return b;
  }

  /** Attachments made through this object's programs and not yet detached. */
  attachments(): Attachment[] {
    return [...this.#attachments];
  }

  /** Detach everything attached through it, stop its ring buffers, unload it. Idempotent. */
  close(): void {
    if (!this.#obj) return;
    const errors: unknown[] = [];
    for (const a of [...this.#attachments]) {
      try {
        a.detach();
      } catch (err) {
        errors.push(err);
      }
    }
    for (const rb of [...this.#rings]) rb.close();
    for (const m of this.#maps.values()) m._invalidate();
    for (const [k, v] of this.#progInfo) this.#progInfo.set(k, { ...v, fd: -1 });
    this.#obj.close();
    this.#obj = null;
    if (errors.length) throw errors[0];
  }
}

function lastLibbpfLine(log?: string): string {
  const lines = (log ?? '').split('\n').map((l) => l.replace(/^libbpf: /, '').trim()).filter(Boolean);
  // The last lines are "failed to load object …": the cause is just before them.
  const last = lines.reverse().find((l) => !/^-- (BEGIN|END) |failed to load object|failed to load: -\d+$/.test(l));
  return last ? ` (libbpf: ${last})` : '';
}

function encodeGlobal(g: NativeGlobalVar, value: GlobalValue): Buffer {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    if (value.length > g.size) throw new TypeError(`global ${g.name} is ${g.size} bytes, ${value.length} given`);
    const b = Buffer.alloc(g.size);
    Buffer.from(value).copy(b);
    return b;
  }
  if (g.kind !== 'int' && g.kind !== 'bool') throw new TypeError(`global ${g.name} is a ${g.kind}: give its bytes as a Buffer`);
  if (![1, 2, 4, 8].includes(g.size)) throw new TypeError(`global ${g.name} has size ${g.size}: give its bytes as a Buffer`);
  const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
  if (typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`global ${g.name} is an integer, ${value} given`);
  const bits = BigInt(g.size * 8);
  const min = g.signed ? -(1n << (bits - 1n)) : 0n;
  const max = g.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) throw new TypeError(`global ${g.name} (${g.signed ? 's' : 'u'}${g.size * 8}) cannot hold ${value}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return le ? b.subarray(0, g.size) : Buffer.from(b.subarray(0, g.size)).reverse();
}
