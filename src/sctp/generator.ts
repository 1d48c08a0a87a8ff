// SCTP traffic generator for kernels without SCTP: it plays both endpoints of an association
// from packet sockets (one per namespace, or both on one interface), with correct CRC32c, so
// the wire tracer, the lab demo and the tests have real frames crossing real interfaces.
// A scenario is first built as a pure list of steps (what each endpoint sends, and when),
// which also yields the tally of what was sent: the tests' ground truth.
import { Handle } from '../netlink/handle.js';
import { getLink } from '../netlink/link.js';
import { PacketSocket } from '../netlink/packet.js';
import { UsageError } from '../errors.js';
import { CHUNK, chunk, rawChunk, sctpFrame, type Endpoint } from './packet.js';

export const SCENARIOS = ['normal', 'zero-window', 'stall', 'lossy', 'abort', 'heartbeat', 'malformed', 'multihomed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioParams {
  /** DATA chunks endpoint A sends in the data phase (default 20). */
  messages: number;
  /** Payload bytes per DATA chunk (default 200). */
  size: number;
  /** How long the zero-window or stall phase lasts (default 3000 ms). */
  holdMs: number;
  /** Pause between data rounds (default 10 ms). */
  intervalMs: number;
  /** First TSNs of A and B (defaults 1000, 5000). */
  tsnA: number;
  tsnB: number;
  /** How the association ends: graceful SHUTDOWN, ABORT, or left open (default 'shutdown'; stall: 'none'; multihomed: 'abort'; a stall that ends is cleared by a SACK first). */
  end: 'shutdown' | 'abort' | 'none';
  /** Further addresses of A and B, announced in INIT / INIT ACK (IPv4 / IPv6 Address parameters). */
  addressesA: string[];
  addressesB: string[];
  /** multihomed: HEARTBEATs on path 1 that go unanswered once it fails (default 3). */
  unanswered: number;
}

export type Side = 'a' | 'b';

export interface Step {
  from: Side;
  /** Wait this long before sending (ms). */
  delayMs: number;
  chunks: Buffer[];
  /** Verification tag override (INIT uses 0). */
  vtag?: number;
  /** What the step means, for the tally and for logs. */
  note: string;
  /** DATA chunks of this step that repeat a TSN already sent. */
  retransmissions?: number;
  /** Malformed chunks deliberately included. */
  malformed?: number;
  /** Which path (address pair) the packet takes: 1, the primary (default), or 2 (multihomed). */
  path?: 1 | 2;
}

export interface SideTally {
  packets: number;
  /** SCTP bytes: common header + chunks (the IP payload). */
  bytes: number;
  dataChunks: number;
  dataBytes: number;
  retransChunks: number;
  sackChunks: number;
  gapBlocks: number;
  dupTsns: number;
  zeroWindowSacks: number;
  heartbeats: number;
  heartbeatAcks: number;
  init: number;
  initAck: number;
  cookieEcho: number;
  cookieAck: number;
  shutdown: number;
  shutdownAck: number;
  shutdownComplete: number;
  abort: number;
  malformed: number;
  lastARwnd: number | null;
  minARwnd: number | null;
}

export interface Scenario { name: ScenarioName; tagA: number; tagB: number; steps: Step[] }

const DEFAULTS: ScenarioParams = { messages: 20, size: 200, holdMs: 3000, intervalMs: 10, tsnA: 1000, tsnB: 5000, end: 'shutdown', addressesA: [], addressesB: [], unanswered: 3 };

/** Build a scenario: the exact chunks each endpoint sends, in order. Pure. */
export function buildScenario(name: ScenarioName, p: Partial<ScenarioParams> = {}): Scenario {
  const o: ScenarioParams = { ...DEFAULTS, ...(name === 'stall' && p.end === undefined ? { end: 'none' as const } : {}), ...(name === 'multihomed' && p.end === undefined ? { end: 'abort' as const } : {}), ...p };
  const tagA = 0x1a000000 + (o.tsnA & 0xffff);
  const tagB = 0x2b000000 + (o.tsnB & 0xffff);
  const steps: Step[] = [];
  // the path packets take from here on (multihomed moves it)
  let path: 1 | 2 = 1;
  const add = (from: Side, chunks: Buffer[], note: string, extra: Partial<Step> = {}) => steps.push({ from, delayMs: extra.delayMs ?? 0, chunks, note, ...(path === 2 ? { path } : {}), ...extra });
  const RW = 65536;

  add('a', [chunk.init({ tag: tagA, aRwnd: RW, initialTsn: o.tsnA, addresses: o.addressesA })], 'INIT', { vtag: 0 });
  add('b', [chunk.initAck({ tag: tagB, aRwnd: RW, initialTsn: o.tsnB, addresses: o.addressesB })], 'INIT ACK', { delayMs: 1 });
  add('a', [chunk.cookieEcho()], 'COOKIE ECHO', { delayMs: 1 });
  add('b', [chunk.cookieAck()], 'COOKIE ACK', { delayMs: 1 });

  let tsnA = o.tsnA;
  let tsnB = o.tsnB;
  let ackOfA = o.tsnA - 1; // B's cumulative ack of A's data
  const data = (n: number, note = 'DATA') => {
    const cs: Buffer[] = [];
    for (let i = 0; i < n; i++) cs.push(chunk.data({ tsn: tsnA++, size: o.size, sid: 0, ssn: (tsnA - o.tsnA) & 0xffff }));
    add('a', cs, note, { delayMs: o.intervalMs });
  };
  const sack = (rwnd: number, extra: { gaps?: Array<[number, number]>; dups?: number[] } = {}) => {
    ackOfA = tsnA - 1;
    add('b', [chunk.sack({ cumTsn: ackOfA, aRwnd: rwnd, ...extra })], rwnd === 0 ? 'SACK a_rwnd 0' : 'SACK', { delayMs: 1 });
  };
  const heartbeat = (from: Side) => {
    add(from, [chunk.heartbeat()], 'HEARTBEAT', { delayMs: 1 });
    add(from === 'a' ? 'b' : 'a', [chunk.heartbeatAck()], 'HEARTBEAT ACK', { delayMs: 1 });
  };
  const rounds = (n: number) => {
    for (let i = 0; i < n; i += 2) {
      data(Math.min(2, n - i));
      sack(RW - 1000 * ((i / 2) % 8));
    }
  };

  switch (name) {
    case 'normal': {
      rounds(o.messages);
      heartbeat('a');
      // B answers with data of its own, bundled with a SACK: both directions carry DATA
      add('b', [chunk.data({ tsn: tsnB++, size: o.size }), chunk.sack({ cumTsn: tsnA - 1, aRwnd: RW })], 'DATA+SACK', { delayMs: o.intervalMs });
      add('a', [chunk.sack({ cumTsn: tsnB - 1, aRwnd: RW })], 'SACK', { delayMs: 1 });
      break;
    }
    case 'heartbeat': {
      for (let i = 0; i < Math.max(1, Math.round(o.messages / 4)); i++) {
        heartbeat('a');
        heartbeat('b');
      }
      break;
    }
    case 'zero-window': {
      rounds(Math.floor(o.messages / 2));
      data(2);
      sack(0); // B's receive buffer is full
      // while the window is zero, A may only probe with one chunk at a time (RFC 9260 §6.1 rule A)
      const probes = Math.max(2, Math.round(o.holdMs / 500));
      for (let i = 0; i < probes; i++) {
        data(1, 'DATA (zero window probe)');
        steps[steps.length - 1]!.delayMs = o.holdMs / probes;
        sack(0);
        heartbeat('a');
      }
      add('b', [chunk.sack({ cumTsn: ackOfA, aRwnd: RW })], 'SACK window update', { delayMs: 1 });
      rounds(Math.ceil(o.messages / 2));
      break;
    }
    case 'stall': {
      rounds(Math.floor(o.messages / 2));
      data(4, 'DATA (never acknowledged)');
      const first = tsnA - 4;
      // B stops acknowledging but keeps answering heartbeats: alive, yet no progress
      let t3 = 250;
      let waited = 0;
      while (waited + t3 <= o.holdMs) {
        add('a', [chunk.data({ tsn: first, size: o.size })], 'DATA retransmission (T3 expiry)', { delayMs: t3, retransmissions: 1 });
        heartbeat('a');
        waited += t3;
        t3 = Math.min(t3 * 2, 1000);
      }
      // an association that is to end (not left open) gets its data through first: the stall
      // clears with a SACK of everything, as when a blocked receiver recovers
      if (o.end !== 'none') sack(RW);
      break;
    }
    case 'lossy': {
      // every fourth TSN is "lost" and sent again after a SACK reports the gap
      for (let i = 0; i < o.messages; i += 4) {
        const base = tsnA;
        const n = Math.min(4, o.messages - i);
        data(n);
        if (n >= 2) {
          ackOfA = base; // B got the first, lost the second: gap blocks for the rest
          add('b', [chunk.sack({ cumTsn: base, aRwnd: RW, gaps: n > 2 ? [[2, n - 1]] : [] })], 'SACK with gap', { delayMs: 1 });
          add('a', [chunk.data({ tsn: base + 1, size: o.size })], 'DATA fast retransmission', { delayMs: 1, retransmissions: 1 });
        }
        sack(RW);
      }
      break;
    }
    case 'abort':
      rounds(Math.min(o.messages, 4));
      o.end = 'abort';
      break;
    case 'multihomed': {
      // both ends confirm the secondary path (RFC 9260 §5.4: a HEARTBEAT to each new address)
      path = 2;
      heartbeat('a');
      heartbeat('b');
      // DATA on the primary path, acknowledged there
      path = 1;
      rounds(Math.floor(o.messages / 2));
      heartbeat('a');
      // the primary path fails: DATA sent on it is never acknowledged, its heartbeats go unanswered
      data(4, 'DATA (lost on path 1)');
      const lost = tsnA - 4;
      for (let i = 0; i < o.unanswered; i++) add('a', [chunk.heartbeat()], 'HEARTBEAT (unanswered: path 1 is down)', { delayMs: o.intervalMs });
      // A retransmits the lost DATA on the secondary path, B acknowledges it there
      path = 2;
      add('a', [0, 1, 2, 3].map((i) => chunk.data({ tsn: lost + i, size: o.size, ssn: (lost + i - o.tsnA + 1) & 0xffff })), 'DATA retransmitted on path 2', { delayMs: o.intervalMs, retransmissions: 4 });
      sack(RW);
      // and carries on there
      rounds(Math.ceil(o.messages / 2));
      heartbeat('a');
      break;
    }
    case 'malformed': {
      rounds(2);
      add('a', [chunk.data({ tsn: tsnA++, size: 8 }), rawChunk(0xc1, 0, Buffer.alloc(0), { length: 0 })], 'DATA + chunk of length 0', { delayMs: 1, malformed: 1 });
      add('a', [chunk.heartbeat(), rawChunk(0xc1, 0, Buffer.alloc(4), { length: 3 })], 'HEARTBEAT + chunk of length 3', { delayMs: 1, malformed: 1 });
      add('b', [chunk.heartbeatAck()], 'HEARTBEAT ACK', { delayMs: 1 });
      add('a', [chunk.cookieAck(), rawChunk(CHUNK.DATA, 3, Buffer.alloc(20), { length: 400 })], 'chunk longer than the packet', { delayMs: 1, malformed: 1 });
      sack(RW);
      break;
    }
  }

  if (o.end === 'shutdown') {
    add('a', [chunk.shutdown(tsnB - 1)], 'SHUTDOWN', { delayMs: o.intervalMs });
    add('b', [chunk.shutdownAck()], 'SHUTDOWN ACK', { delayMs: 1 });
    add('a', [chunk.shutdownComplete()], 'SHUTDOWN COMPLETE', { delayMs: 1 });
  } else if (o.end === 'abort') {
    add('a', [chunk.abort({ cause: 12 })], 'ABORT (user-initiated)', { delayMs: o.intervalMs });
  }
  return { name, tagA, tagB, steps };
}

function emptyTally(): SideTally {
  return {
    packets: 0, bytes: 0, dataChunks: 0, dataBytes: 0, retransChunks: 0, sackChunks: 0, gapBlocks: 0, dupTsns: 0, zeroWindowSacks: 0,
    heartbeats: 0, heartbeatAcks: 0, init: 0, initAck: 0, cookieEcho: 0, cookieAck: 0, shutdown: 0, shutdownAck: 0, shutdownComplete: 0,
    abort: 0, malformed: 0, lastARwnd: null, minARwnd: null,
  };
}

/**
 * What each endpoint sent, counted from the chunks as built (well-formed chunks only: a
 * walk stops at the first malformed chunk, as the tracer's does and as a receiver would).
 */
export function tally(s: Scenario): Record<Side, SideTally> {
  const out = { a: emptyTally(), b: emptyTally() };
  for (const st of s.steps) {
    const t = out[st.from];
    t.packets++;
    t.bytes += 12 + st.chunks.reduce((n, c) => n + c.length, 0);
    t.retransChunks += st.retransmissions ?? 0;
    t.malformed += st.malformed ?? 0;
    for (const c of st.chunks) {
      const len = c.readUInt16BE(2);
      if (len < 4 || len > c.length) break;
      switch (c[0]) {
        case CHUNK.DATA: t.dataChunks++; t.dataBytes += len - 16; break;
        case CHUNK.IDATA: t.dataChunks++; t.dataBytes += len - 20; break;
        case CHUNK.SACK: {
          const rw = c.readUInt32BE(8);
          t.sackChunks++;
          t.gapBlocks += c.readUInt16BE(12);
          t.dupTsns += c.readUInt16BE(14);
          if (rw === 0) t.zeroWindowSacks++;
          t.lastARwnd = rw;
          t.minARwnd = t.minARwnd === null ? rw : Math.min(t.minARwnd, rw);
          break;
        }
        case CHUNK.HEARTBEAT: t.heartbeats++; break;
        case CHUNK.HEARTBEAT_ACK: t.heartbeatAcks++; break;
        case CHUNK.INIT: t.init++; break;
        case CHUNK.INIT_ACK: t.initAck++; break;
        case CHUNK.COOKIE_ECHO: t.cookieEcho++; break;
        case CHUNK.COOKIE_ACK: t.cookieAck++; break;
        case CHUNK.SHUTDOWN: t.shutdown++; break;
        case CHUNK.SHUTDOWN_ACK: t.shutdownAck++; break;
        case CHUNK.SHUTDOWN_COMPLETE: t.shutdownComplete++; break;
        case CHUNK.ABORT: t.abort++; break;
      }
    }
  }
  return out;
}

export interface SideSpec {
  /** Namespace of the interface (omit: the current one). */
  netns?: string;
  /** Interface the endpoint's frames leave from. */
  ifname: string;
  ip: string;
  port: number;
  /** MAC of the endpoint (default: the interface's own). */
  mac?: string;
}

export interface GeneratorOptions {
  /** Endpoint A (the initiator). */
  a: SideSpec;
  /**
   * Endpoint B. When it has its own interface/namespace (a veth peer), B's frames really
   * arrive on A's interface; with the same interface, both directions leave from it.
   */
  b: SideSpec;
  params?: Partial<ScenarioParams>;
  /** The second path of a multi-homed association (multihomed): A's and B's other interface and address, same ports. */
  a2?: SideSpec;
  b2?: SideSpec;
  /** Called before each step is sent. */
  onStep?: (step: Step, index: number) => void;
  signal?: AbortSignal;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  frames: number;
  sent: Record<Side, SideTally>;
  /** What each endpoint sent on each path (path 2 only in multihomed). */
  byPath: Record<1 | 2, Record<Side, SideTally>>;
  tags: { a: number; b: number };
}

/** tally() of the steps that took one path. */
export function tallyPath(s: Scenario, path: 1 | 2): Record<Side, SideTally> {
  return tally({ ...s, steps: s.steps.filter((st) => (st.path ?? 1) === path) });
}

async function macOf(spec: SideSpec): Promise<string> {
  if (spec.mac) return spec.mac;
  const h = await Handle.open(spec.netns ? { netns: spec.netns } : {});
  try {
    const l = await getLink(h, spec.ifname);
    if (!l.mac) throw new UsageError(`interface ${spec.ifname} has no MAC address: give one explicitly`);
    return l.mac;
  } finally {
    h.close();
  }
}

// The abort listener goes away with the timer: a scenario sleeps once per step, and a
// listener left behind per step would pile up on a long-lived signal.
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (ms <= 0 || signal?.aborted) return resolve();
  const onAbort = () => {
    clearTimeout(t);
    resolve();
  };
  const t = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** Play a scenario over packet sockets; resolves with the tally of what was sent. */
export async function runScenario(opts: GeneratorOptions, name: ScenarioName, params: Partial<ScenarioParams> = opts.params ?? {}): Promise<ScenarioResult> {
  if (!SCENARIOS.includes(name)) throw new UsageError(`unknown scenario "${name}": use one of ${SCENARIOS.join(', ')}`);
  if (name === 'multihomed' && (!opts.a2 || !opts.b2)) throw new UsageError('the multihomed scenario needs a second path: a2 and b2');
  const s = buildScenario(name, { ...(opts.a2 && opts.b2 ? { addressesA: [opts.a2.ip], addressesB: [opts.b2.ip] } : {}), ...params });
  // one pair of endpoints (and sockets) per path; both paths use the ports of path 1
  const open = async (a: SideSpec, b: SideSpec) => {
    const epA: Endpoint = { mac: await macOf(a), ip: a.ip, port: opts.a.port };
    const epB: Endpoint = { mac: await macOf(b), ip: b.ip, port: opts.b.port };
    const sameIf = (a.netns ?? '') === (b.netns ?? '') && a.ifname === b.ifname;
    const sockA = PacketSocket.open({ netns: a.netns, ifname: a.ifname, protocol: 0 });
    const sockB = sameIf ? sockA : PacketSocket.open({ netns: b.netns, ifname: b.ifname, protocol: 0 });
    return { epA, epB, sockA, sockB };
  };
  const paths = [await open(opts.a, opts.b)];
  let frames = 0;
  try {
    if (opts.a2 && opts.b2) paths.push(await open(opts.a2, opts.b2));
    for (const [i, st] of s.steps.entries()) {
      if (opts.signal?.aborted) break;
      await sleep(st.delayMs, opts.signal);
      if (opts.signal?.aborted) break;
      opts.onStep?.(st, i);
      const p = paths[(st.path ?? 1) - 1];
      if (!p) throw new UsageError(`step ${i} (${st.note}) takes path ${st.path}, which was not given`);
      const [from, to, sock] = st.from === 'a' ? [p.epA, p.epB, p.sockA] : [p.epB, p.epA, p.sockB];
      const vtag = st.vtag ?? (st.from === 'a' ? s.tagB : s.tagA);
      sock.send(sctpFrame(from, to, vtag, st.chunks));
      frames++;
    }
  } finally {
    for (const p of paths) {
      p.sockA.close();
      if (p.sockB !== p.sockA) p.sockB.close();
    }
  }
  const done = frames === s.steps.length ? s : { ...s, steps: s.steps.slice(0, frames) };
  return { scenario: name, frames, sent: tally(done), byPath: { 1: tallyPath(done, 1), 2: tallyPath(done, 2) }, tags: { a: s.tagA, b: s.tagB } };
}
