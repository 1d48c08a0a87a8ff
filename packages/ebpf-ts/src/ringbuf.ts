// Reading a BPF ring buffer on the event loop: the addon watches the ring's epoll fd with
// uv_poll and calls back once per record, so timers and I/O keep running between records.
// Records are delivered as 'data' events and/or through an async iterator. An iterator that
// falls behind pauses polling (the kernel side then drops at bpf_ringbuf_reserve, which the
// BPF program can count) instead of queueing without bound.
import { EventEmitter } from 'node:events';
import { native } from './native.js';
import type { NativeRingBuffer } from './native-types.js';
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

export interface RingBufferEvents<T> {
  data: [T];
  error: [Error];
  close: [];
  newListener: [eventName: string | symbol, listener: unknown];
}

export class RingBuffer<T = Buffer> extends EventEmitter<RingBufferEvents<T>> implements AsyncIterable<T> {
  readonly map: string;
  #rb: NativeRingBuffer | null;
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

  private constructor(map: BpfMap<unknown, unknown>, opts: RingBufferOptions<T>) {
    super();
    this.map = map.name;
    this.#hwm = opts.highWaterMark ?? 4096;
    const d = opts.decode;
    if (!d) this.#decode = (r) => r as unknown as T;
    else if (typeof d === 'function') this.#decode = d;
    else {
      this.#decode = (r) => {
        if (r.length < d.size) throw new BpfError(`ring buffer ${map.name}: record of ${r.length} bytes, layout needs ${d.size}`, { op: 'decode', errno: 'EMSGSIZE', errnoValue: 90 });
        return d.decode(r, 0);
      };
    }
    try {
      this.#rb = new native.RingBuffer(map.fd, (rec) => this.#onRecord(rec));
    } catch (err) {
      throw fromNative(err, `open ring buffer ${map.name}`);
    }
    // Flow starts when someone listens (like a stream), so no record is lost to nobody.
    this.on('newListener', (ev: string | symbol) => {
      if (ev === 'data') queueMicrotask(() => this.#start());
    });
  }

  static open<T = Buffer>(map: BpfMap<unknown, unknown> | BpfMap, opts: RingBufferOptions<T> = {}): RingBuffer<T> {
    if (map.type !== MapType.RINGBUF) throw new TypeError(`map ${map.name} is not a ring buffer (type ${map.type})`);
    return new RingBuffer<T>(map as BpfMap<unknown, unknown>, opts);
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
      throw fromNative(err, `read ring buffer ${this.map}`);
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
    if (this.#iterating) throw new TypeError(`ring buffer ${this.map} already has an iterator`);
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
