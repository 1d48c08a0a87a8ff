// A BPF map seen through its fd: raw Buffers by default, typed through layouts when given.
// Works the same for a map of a loaded object, a pinned map and a map created here.
import { native } from './native.js';
import { BpfError, fromNative, UnsupportedFeatureError } from './errors.js';
import { MapFlag, MapType, PERCPU_MAP_TYPES, UpdateFlag, type UpdateMode } from './consts.js';
import { sumValues, type Layout } from './layout.js';

export interface MapMeta {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

const raw = (size: number): Layout<Buffer> => ({
  size,
  align: 1,
  decode: (buf, off = 0) => (off === 0 && buf.length === size ? buf : Buffer.from(buf.subarray(off, off + size))),
  encode: (v, buf = Buffer.alloc(size), off = 0) => {
    if (v.length !== size) throw new TypeError(`expected ${size} bytes, got ${v.length}`);
    v.copy(buf, off);
    return buf;
  },
});

let cpus: number | undefined;
/** Possible CPUs: the number of slots in a per-CPU value. */
export function possibleCpus(): number {
  return (cpus ??= native.bpfNumPossibleCpus());
}

export class BpfMap<K = Buffer, V = Buffer> {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly perCpu: boolean;
  readonly #fdRef: { fd: number; owned: boolean };
  readonly #key: Layout<K>;
  readonly #value: Layout<V>;
  readonly #valueLayoutGiven: boolean;

  /** Wrap an open map fd. `owned`: close() closes it (pinned or created maps; not an object's). */
  constructor(fd: number, meta: MapMeta, layouts: { key?: Layout<K>; value?: Layout<V> } = {}, owned = false, fdRef?: { fd: number; owned: boolean }) {
    this.#fdRef = fdRef ?? { fd, owned };
    this.name = meta.name;
    this.type = meta.type;
    this.keySize = meta.keySize;
    this.valueSize = meta.valueSize;
    this.maxEntries = meta.maxEntries;
    this.flags = meta.flags;
    this.perCpu = PERCPU_MAP_TYPES.has(meta.type);
    this.#key = layouts.key ?? (raw(meta.keySize) as unknown as Layout<K>);
    this.#value = layouts.value ?? (raw(meta.valueSize) as unknown as Layout<V>);
    this.#valueLayoutGiven = layouts.value !== undefined;
    if (layouts.key && layouts.key.size !== meta.keySize) throw new TypeError(`map ${meta.name}: key layout is ${layouts.key.size} bytes, the map's key is ${meta.keySize}`);
    if (layouts.value && layouts.value.size !== meta.valueSize) throw new TypeError(`map ${meta.name}: value layout is ${layouts.value.size} bytes, the map's value is ${meta.valueSize}`);
  }

  /** Create a map directly (not from an object); close() releases it. */
  static create(spec: { type: number; name: string; keySize: number; valueSize: number; maxEntries: number; flags?: number }): BpfMap {
    let fd: number;
    try {
      fd = native.bpfMapCreate(spec.type, spec.name, spec.keySize, spec.valueSize, spec.maxEntries, spec.flags ?? 0);
    } catch (err) {
      throw fromNative(err, `create map ${spec.name}`);
    }
    return new BpfMap(fd, { ...spec, flags: spec.flags ?? 0 }, {}, true);
  }

  /** Open a map fd we were handed (e.g. from bpf_obj_get); reads its type and sizes from the kernel. */
  static fromFd(fd: number, owned = true): BpfMap {
    let info;
    try {
      info = native.bpfMapInfo(fd);
    } catch (err) {
      throw fromNative(err, `use fd ${fd} as a BPF map`);
    }
    return new BpfMap(fd, info, {}, owned);
  }

  get fd(): number {
    if (this.#fdRef.fd < 0) throw new BpfError(`map ${this.name} is closed`, { op: 'map', errno: 'EBADF', errnoValue: 9 });
    return this.#fdRef.fd;
  }

  /** Kernel id (as `bpftool map show` prints it) and name. */
  info(): { id: number; name: string } {
    try {
      const i = native.bpfMapInfo(this.fd);
      return { id: i.id, name: i.name };
    } catch (err) {
      throw fromNative(err, `read info of map ${this.name}`);
    }
  }

  /** The same map with typed keys and values; shares the fd. */
  typed<K2, V2>(key: Layout<K2>, value: Layout<V2>): BpfMap<K2, V2> {
    return new BpfMap<K2, V2>(this.#fdRef.fd, this, { key, value }, false, this.#fdRef);
  }

  /** Bytes of one value as the kernel transfers it: per-CPU maps hold one 8-aligned slot per possible CPU. */
  get transferValueSize(): number {
    return this.perCpu ? Math.ceil(this.valueSize / 8) * 8 * possibleCpus() : this.valueSize;
  }

  #encodeKey(k: K): Buffer {
    return this.#key.encode(k, Buffer.alloc(this.keySize), 0);
  }

  #slots(buf: Buffer, off = 0): V[] {
    const stride = Math.ceil(this.valueSize / 8) * 8;
    return Array.from({ length: possibleCpus() }, (_, i) => this.#value.decode(buf, off + i * stride));
  }

  /** The value under key, or undefined. For per-CPU maps, the sum over CPUs (needs a numeric value layout). */
  lookup(key: K): V | undefined {
    if (this.perCpu && !this.#valueLayoutGiven) throw new TypeError(`map ${this.name} is per-CPU: give it a numeric value layout (typed()) to sum, or use lookupPerCpu()`);
    const buf = this.#lookupRaw(key);
    if (!buf) return undefined;
    if (!this.perCpu) return this.#value.decode(buf, 0);
    return sumValues(this.#slots(buf));
  }

  /** One value per possible CPU (per-CPU maps only). */
  lookupPerCpu(key: K): V[] | undefined {
    if (!this.perCpu) throw new TypeError(`map ${this.name} is not per-CPU`);
    const buf = this.#lookupRaw(key);
    return buf ? this.#slots(buf) : undefined;
  }

  #lookupRaw(key: K): Buffer | null {
    try {
      return native.bpfMapLookup(this.fd, this.#encodeKey(key), this.transferValueSize);
    } catch (err) {
      throw fromNative(err, `look up in map ${this.name}`);
    }
  }

  /** Insert or replace (mode 'noexist' fails with EEXIST if present, 'exist' with ENOENT if absent). Per-CPU maps get the value on every CPU. */
  update(key: K, value: V, mode: UpdateMode = 'any'): void {
    if (this.perCpu) return this.updatePerCpu(key, Array.from({ length: possibleCpus() }, () => value), mode);
    this.#updateRaw(key, this.#value.encode(value, Buffer.alloc(this.valueSize), 0), mode);
  }

  /** Per-CPU maps: one value per possible CPU. */
  updatePerCpu(key: K, values: V[], mode: UpdateMode = 'any'): void {
    if (!this.perCpu) throw new TypeError(`map ${this.name} is not per-CPU`);
    const stride = Math.ceil(this.valueSize / 8) * 8;
    const n = possibleCpus();
    if (values.length !== n) throw new TypeError(`map ${this.name}: ${values.length} per-CPU values given, ${n} possible CPUs`);
    const buf = Buffer.alloc(stride * n);
    values.forEach((v, i) => this.#value.encode(v, buf, i * stride));
    this.#updateRaw(key, buf, mode);
  }

  #updateRaw(key: K, value: Buffer, mode: UpdateMode): void {
    try {
      native.bpfMapUpdate(this.fd, this.#encodeKey(key), value, UpdateFlag[mode]);
    } catch (err) {
      throw fromNative(err, `update map ${this.name}`);
    }
  }

  /** Remove key; false when it was not there. */
  delete(key: K): boolean {
    try {
      return native.bpfMapDelete(this.fd, this.#encodeKey(key));
    } catch (err) {
      throw fromNative(err, `delete from map ${this.name}`);
    }
  }

  /** Keys in the kernel's iteration order (BPF_MAP_GET_NEXT_KEY). */
  keys(): K[] {
    const out: K[] = [];
    let cur: Buffer | null = null;
    try {
      for (;;) {
        const next: Buffer | null = native.bpfMapNextKey(this.fd, cur, this.keySize);
        if (!next) break;
        out.push(this.#key.decode(next, 0));
        cur = next;
        if (out.length > this.maxEntries * 2 + 1024) break; // a hash map being rewritten under us restarts; do not spin
      }
    } catch (err) {
      throw fromNative(err, `iterate map ${this.name}`);
    }
    return out;
  }

  /**
   * All entries in one snapshot-like pass: BPF_MAP_LOOKUP_BATCH where the kernel has it
   * (Linux 5.6+ for hash/array maps), else next-key + lookup, both inside one native call.
   * Per-CPU values are summed (see entriesPerCpu for the slots).
   */
  entries(): Array<[K, V]> {
    const d = this.dumpRaw();
    return this.#decodeDump(d, (buf, off) => {
      if (!this.perCpu) return this.#value.decode(buf, off);
      if (!this.#valueLayoutGiven) throw new TypeError(`map ${this.name} is per-CPU: give it a numeric value layout to sum, or use entriesPerCpu()`);
      return sumValues(this.#slots(buf, off));
    });
  }

  entriesPerCpu(): Array<[K, V[]]> {
    if (!this.perCpu) throw new TypeError(`map ${this.name} is not per-CPU`);
    return this.#decodeDump(this.dumpRaw(), (buf, off) => this.#slots(buf, off));
  }

  /** Like entries() but requires the batch syscall (throws UnsupportedFeatureError without it). */
  batchLookup(opts: { chunk?: number } = {}): Array<[K, V]> {
    const d = this.dumpRaw({ chunk: opts.chunk, batch: true });
    if (!d.batched) throw new UnsupportedFeatureError('batch map lookup', `the kernel refused BPF_MAP_LOOKUP_BATCH for map ${this.name} (type ${this.type})`, { minKernel: '5.6', op: 'BPF_MAP_LOOKUP_BATCH' });
    return this.#decodeDump(d, (buf, off) => (this.perCpu ? sumValues(this.#slots(buf, off)) : this.#value.decode(buf, off)));
  }

  /**
   * The whole map as two contiguous buffers (count × keySize, count × transferValueSize): no
   * per-entry objects. chunk: entries per batch syscall (default: the whole map in one).
   */
  dumpRaw(opts: { chunk?: number; batch?: boolean } = {}): { count: number; keys: Buffer; values: Buffer; batched: boolean } {
    if (this.type === MapType.RINGBUF) throw new TypeError(`map ${this.name} is a ring buffer: read it with RingBuffer`);
    try {
      return native.bpfMapDump(this.fd, this.keySize, this.transferValueSize, opts.chunk ?? 0, opts.batch ?? true);
    } catch (err) {
      throw fromNative(err, `read map ${this.name}`);
    }
  }

  #decodeDump<T>(d: { count: number; keys: Buffer; values: Buffer }, value: (buf: Buffer, off: number) => T): Array<[K, T]> {
    const out = new Array<[K, T]>(d.count);
    const vs = this.transferValueSize;
    for (let i = 0; i < d.count; i++) out[i] = [this.#key.decode(d.keys, i * this.keySize), value(d.values, i * vs)];
    return out;
  }

  /**
   * The values of a BPF_F_MMAPABLE array, mapped read-only and shared with the programs that
   * update them: element i at i × round8(valueSize). Reading it is plain memory access (no
   * syscall, no copy); what a program writes meanwhile shows up at once, so a consistent view
   * needs a copy (Buffer.from) or per-field care. Unmapped when the Buffer is collected (the
   * mapping keeps the map alive until then, even after close()).
   */
  mmap(): Buffer {
    if (this.type !== MapType.ARRAY || !(this.flags & MapFlag.MMAPABLE)) throw new TypeError(`map ${this.name} is not a BPF_F_MMAPABLE array`);
    try {
      return native.bpfMapMmap(this.fd, this.maxEntries * Math.ceil(this.valueSize / 8) * 8);
    } catch (err) {
      throw fromNative(err, `map map ${this.name} into memory`);
    }
  }

  /** Write many entries in one syscall (BPF_MAP_UPDATE_BATCH). */
  updateBatch(entries: Array<[K, V]>, mode: UpdateMode = 'any'): number {
    if (this.perCpu) throw new TypeError(`map ${this.name}: updateBatch does not take per-CPU values; use update()`);
    const keys = Buffer.alloc(entries.length * this.keySize);
    const values = Buffer.alloc(entries.length * this.valueSize);
    entries.forEach(([k, v], i) => {
      this.#key.encode(k, keys, i * this.keySize);
      this.#value.encode(v, values, i * this.valueSize);
    });
    try {
      return native.bpfMapUpdateBatch(this.fd, keys, values, entries.length, UpdateFlag[mode]);
    } catch (err) {
      throw fromNative(err, `update map ${this.name}`);
    }
  }

  [Symbol.iterator](): Iterator<[K, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** Release the fd when this wrapper owns it (pinned/created maps). Maps of an object close with the object. */
  close(): void {
    if (this.#fdRef.owned && this.#fdRef.fd >= 0) native.bpfCloseFd(this.#fdRef.fd);
    if (this.#fdRef.owned) this.#fdRef.fd = -1;
  }

  /** @internal the owning object closed: the fd is gone. */
  _invalidate(): void {
    this.#fdRef.fd = -1;
  }
}
