// Reading a BPF ring buffer (5.8+) or perf buffer (the fallback for older kernels) on the event
// loop: the addon watches the buffer's epoll fd with uv_poll and calls back once per record, so
// timers and I/O keep running between records. Records are delivered as 'data' events and/or
// through an async iterator. An iterator that falls behind pauses polling (the kernel side then
// drops: a ring buffer's bpf_ringbuf_reserve fails, which the BPF program can count; a perf
// buffer counts lost samples, `lost`) instead of queueing without bound. Both readers are one
// class, EventBuffer, over the two native readers, which differ only in how they are opened.
import { EventEmitter } from 'node:events';
import { native } from './native.js';
import type { NativeEventReader, OnRecords } from './native-types.js';
import { BpfError, fromNative } from './errors.js';
import { MapType } from './consts.js';
import type { Layout } from './layout.js';
import type { BpfMap } from './map.js';

/** Records the addon delivers per pass over the ring (native/src/bpf.cc). */
const SLICE = 4096;

export interface RingBufferOptions<T> {
  /** Turn each record into a value: a layout (records shorter than it are an 'error') or a function. */
  decode?: Layout<T> | ((rec: Buffer) => T);
  /** Records queued for a slow async iterator before polling pauses (default 4096). */
  highWaterMark?: number;
}

export interface PerfBufferOptions<T> extends RingBufferOptions<T> {
  /** Pages of each CPU's ring (a power of two; default 8, 32 KiB with 4 KiB pages). */
  pagesPerCpu?: number;
}

export interface RingBufferEvents<T> {
  data: [T];
  error: [Error];
  close: [];
  newListener: [eventName: string | symbol, listener: unknown];
}

/** What RingBuffer and PerfBuffer share: delivery, flow control, close. */
export class EventBuffer<T = Buffer> extends EventEmitter<RingBufferEvents<T>> implements AsyncIterable<T> {
  readonly map: string;
  /** 'ring buffer' or 'perf buffer', for messages. */
  readonly #what: string;
  #rb: NativeEventReader | null;
  #decode: (rec: Buffer) => T;
  #queue: T[] = [];
  #waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  #iterating = false;
  #hwm: number;
  #polling = false;
  #paused = false;
  #failure: Error | null = null;
  /** Records delivered so far. */
  received = 0;

  /** @internal */
  protected constructor(what: string, map: BpfMap<unknown, unknown>, opts: RingBufferOptions<T>, open: (onRecords: OnRecords) => NativeEventReader) {
    super();
    this.map = map.name;
    this.#what = what;
    this.#hwm = opts.highWaterMark ?? 4096;
    const d = opts.decode;
    // A record is a view into its pass's Buffer: decoders read it at once, but a raw record is
    // copied, so one kept record does not keep a whole pass's records alive.
    if (!d) this.#decode = (r) => Buffer.from(r) as unknown as T;
    else if (typeof d === 'function') this.#decode = d;
    else {
      this.#decode = (r) => {
        if (r.length < d.size) throw new BpfError(`${what} ${map.name}: record of ${r.length} bytes, layout needs ${d.size}`, { op: 'decode', errno: 'EMSGSIZE', errnoValue: 90 });
        return d.decode(r, 0);
      };
    }
    try {
      this.#rb = open((records, ends) => this.#onRecords(records, ends));
    } catch (err) {
      throw fromNative(err, `open ${what} ${map.name}`);
    }
    // Flow starts when someone listens (like a stream), so no record is lost to nobody.
    this.on('newListener', (ev: string | symbol) => {
      if (ev === 'data') queueMicrotask(() => this.#start());
    });
  }

  get closed(): boolean {
    return this.#rb === null;
  }

  #start(): void {
    if (!this.#rb || this.#polling || this.#paused) return;
    this.#rb.start();
    this.#polling = true;
  }

  #stop(): void {
    if (!this.#rb || !this.#polling) return;
    this.#rb.stop();
    this.#polling = false;
  }

  #onRecords(records: Buffer, ends: Uint32Array): void {
    let start = 0;
    for (const end of ends) {
      if (!this.#rb) return; // a listener closed it: the rest go nowhere
      this.#onRecord(records.subarray(start, end));
      start = end;
    }
  }

  #onRecord(rec: Buffer): void {
    let v: T;
    try {
      v = this.#decode(rec);
    } catch (err) {
      if (this.listenerCount('error')) this.emit('error', err as Error);
      else this.#fail(err as Error);
      return;
    }
    this.received++;
    this.emit('data', v);
    if (!this.#iterating) return;
    const w = this.#waiters.shift();
    if (w) w.resolve({ value: v, done: false });
    else {
      this.#queue.push(v);
      if (this.#queue.length >= this.#hwm && !this.listenerCount('data')) {
        this.#paused = true;
        this.#stop();
      }
    }
  }

  #fail(err: Error): void {
    this.#failure = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** Stop watching (records stay in the ring) / watch again. */
  pause(): void {
    this.#paused = true;
    this.#stop();
  }
  resume(): void {
    this.#paused = false;
    this.#start();
  }

  /** Samples the kernel dropped because the buffer was full (perf buffers; 0 for ring buffers). */
  get lost(): number {
    return this.#rb?.lost() ?? 0;
  }

  /** Deliver whatever is in the ring now, synchronously; returns how many records. */
  consume(): number {
    if (!this.#rb) return 0;
    try {
      // The addon hands over at most SLICE records per pass (so the loop is never held long).
      let total = 0;
      let n: number;
      do {
        n = this.#rb.consume();
        total += n;
      } while (n >= SLICE && this.#rb);
      return total;
    } catch (err) {
      throw fromNative(err, `read ${this.#what} ${this.map}`);
    }
  }

  /** Whether the watch keeps the process alive (default true, like a socket). */
  ref(): this {
    this.#rb?.ref();
    return this;
  }
  unref(): this {
    this.#rb?.unref();
    return this;
  }

  close(): void {
    if (!this.#rb) return;
    this.#rb.close();
    this.#rb = null;
    this.#polling = false;
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.emit('close');
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new TypeError(`${this.#what} ${this.map} already has an iterator`);
    this.#iterating = true;
    queueMicrotask(() => this.#start());
    return {
      next: () => {
        if (this.#failure) return Promise.reject(this.#failure);
        const v = this.#queue.shift();
        if (v !== undefined) {
          if (this.#paused && this.#queue.length <= this.#hwm / 2) this.resume();
          return Promise.resolve({ value: v, done: false });
        }
        if (!this.#rb) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      },
      return: () => {
        this.#iterating = false;
        this.#queue.length = 0;
        for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
        if (!this.listenerCount('data')) this.#stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** A BPF_MAP_TYPE_RINGBUF map's records (Linux 5.8+). */
export class RingBuffer<T = Buffer> extends EventBuffer<T> {
  private constructor(map: BpfMap<unknown, unknown>, opts: RingBufferOptions<T>) {
    super('ring buffer', map, opts, (onRecord) => new native.RingBuffer(map.fd, onRecord));
  }

  static open<T = Buffer>(map: BpfMap<unknown, unknown> | BpfMap, opts: RingBufferOptions<T> = {}): RingBuffer<T> {
    if (map.type !== MapType.RINGBUF) throw new TypeError(`map ${map.name} is not a ring buffer (type ${map.type})`);
    return new RingBuffer<T>(map as BpfMap<unknown, unknown>, opts);
  }
}

/**
 * A BPF_MAP_TYPE_PERF_EVENT_ARRAY map's records (bpf_perf_event_output), one kernel ring per CPU:
 * the way to stream events on kernels before 5.8, which have no ring buffer. Records of different
 * CPUs may arrive out of order; samples dropped for want of room are counted in `lost`.
 */
export class PerfBuffer<T = Buffer> extends EventBuffer<T> {
  private constructor(map: BpfMap<unknown, unknown>, opts: PerfBufferOptions<T>) {
    const pages = opts.pagesPerCpu ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) throw new TypeError(`pagesPerCpu must be a power of two, not ${pages}`);
    super('perf buffer', map, opts, (onRecord) => new native.PerfBuffer(map.fd, onRecord, pages));
  }

  static open<T = Buffer>(map: BpfMap<unknown, unknown> | BpfMap, opts: PerfBufferOptions<T> = {}): PerfBuffer<T> {
    if (map.type !== MapType.PERF_EVENT_ARRAY) throw new TypeError(`map ${map.name} is not a perf event array (type ${map.type})`);
    return new PerfBuffer<T>(map as BpfMap<unknown, unknown>, opts);
  }
}
