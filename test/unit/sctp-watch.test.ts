// The event watcher (watch.ts) on records built byte for byte in the layout of
// bpf/sctp_wire.h, looked at with an injected clock: each change of a row's condition is one
// event, once, with what ended a stall.
import test from 'ava';
import { assocRows } from '../../src/sctp/rows.js';
import { AssocTable } from '../../src/sctp/table.js';
import { EventWatcher, pathEvents, type PathMemory } from '../../src/sctp/watch.js';
import { pathStates, type Association, type PathDir, type WireEvent } from '../../src/sctp/model.js';
import { SwAssoc, SwKey } from '../../src/sctp/generated/sctp-wire.js';
import { SW_F } from '../../src/sctp/wire-consts.js';
import { encodeStruct, testPath } from '../helpers/sctp-records.js';

const S = 1_000_000_000;
const T0 = 1000 * S;
const DETECT = { stallAfterMs: 2000, expireAfterMs: 60_000 };
const key = encodeStruct(SwKey, { addr: [Buffer.from([10, 0, 0, 1]), Buffer.from([10, 0, 0, 2])], port: [3868, 3868], ifindex: 4, family: 4 });

// endpoint 0 sent TSNs up to 120, endpoint 1 acknowledged 100: 20 outstanding since progress
function look(w: EventWatcher, now: number, d0: Record<string, number>, extra: Record<string, number> = {}) {
  const sending = { packets: 30, data_chunks: 121, highest_tsn: 120, flags: SW_F.HAVE_TSN | SW_F.OUTSTANDING, progress_ns: T0, last_seen_ns: T0, ...d0 };
  const acking = { sack_chunks: 50, cum_tsn_ack: 100, flags: SW_F.HAVE_SACK, last_seen_ns: T0 };
  const values = encodeStruct(SwAssoc, { dir: [sending, acking], first_ns: T0, last_ns: T0, state: 3, ...extra });
  const table = new AssocTable(assocRows(null, { count: 1, keys: key, values }), now, { detect: DETECT, previous: w.previous });
  return w.check(table, now).map((e) => ({ type: e.type, by: e.by, value: e.value, durationMs: e.durationMs, reason: e.reason, outstandingTsns: e.outstandingTsns }));
}

test('stall-start once, stall-end by progress with its length, then by restart; malformed counted by difference; gone once', (t) => {
  const w = new EventWatcher(DETECT);
  t.deepEqual(look(w, T0 + 1 * S, {}), [], 'not yet --stall-after');
  t.deepEqual(look(w, T0 + 2.5 * S, {}), [{ type: 'stall-start', by: 0, value: 20, durationMs: 2500, reason: undefined, outstandingTsns: 20 }]);
  t.deepEqual(look(w, T0 + 3 * S, {}), [], 'still stalled: no second event');
  // the peer acknowledged further at T0 + 4 s: the stall lasted 4 s
  t.deepEqual(look(w, T0 + 5 * S, { progress_ns: T0 + 4 * S, last_seen_ns: T0 + 4 * S }, { last_ns: T0 + 4 * S }), [{ type: 'stall-end', by: 0, value: 20, durationMs: 4000, reason: 'progress', outstandingTsns: 20 }]);
  t.deepEqual(look(w, T0 + 7 * S, { progress_ns: T0 + 4 * S, last_seen_ns: T0 + 4 * S }, { last_ns: T0 + 4 * S }).map((e) => e.type), ['stall-start']);
  // a new INIT reset the record: the stall ended with the old incarnation
  t.deepEqual(look(w, T0 + 8 * S, { progress_ns: 0, flags: SW_F.HAVE_TSN, malformed: 2, last_seen_ns: T0 + 8 * S }, { restarts: 1, last_ns: T0 + 8 * S }).map((e) => [e.type, e.reason ?? e.value]), [['stall-end', 'restart'], ['malformed', 2]]);
  t.deepEqual(look(w, T0 + 9 * S, { progress_ns: 0, flags: SW_F.HAVE_TSN, malformed: 3, last_seen_ns: T0 + 8 * S }, { restarts: 1, last_ns: T0 + 8 * S }).map((e) => [e.type, e.value]), [['malformed', 1]], 'only the new one');
  const gone = look(w, T0 + 70 * S, { progress_ns: 0, flags: SW_F.HAVE_TSN, malformed: 3, last_seen_ns: T0 + 8 * S }, { restarts: 1, last_ns: T0 + 8 * S });
  t.deepEqual(gone.map((e) => [e.type, e.durationMs]), [['gone', 62_000]]);
  t.deepEqual(look(w, T0 + 80 * S, { progress_ns: 0, flags: SW_F.HAVE_TSN, malformed: 3, last_seen_ns: T0 + 8 * S }, { restarts: 1, last_ns: T0 + 8 * S }), [], 'gone once');
});

// Path events on decoded associations (what check() hands pathEvents for a multi-homed row).
const mkPath = (n: 1 | 2, d0: Partial<PathDir>) => testPath(`p${n}`, n === 1, d0, {}, {
  ifindex: n, ifname: `va${n}`, endpoints: [{ address: `10.78.${n}.1`, port: 3869 }, { address: `10.78.${n}.2`, port: 3868 }],
});
function pathLook(m: PathMemory | undefined, p1: Partial<PathDir>, p2: Partial<PathDir>): { types: string[]; events: WireEvent[]; memory: PathMemory } {
  const paths = [mkPath(1, p1), mkPath(2, p2)];
  pathStates(paths);
  const ev = (type: string, by: 0 | 1, value: number, extra: Partial<WireEvent>) => ({ type, by, value, ...extra }) as WireEvent;
  const r = pathEvents({ paths } as unknown as Association, m, ev);
  return { ...r, types: r.events.map((e) => e.type) };
}

test('path events in one look are told in the order they happened: a move away from a path that came back goes before its path-up', (t) => {
  // DATA on path 1, the home
  let r = pathLook(undefined, { dataChunks: 5, lastDataAgoMs: 10 }, {});
  t.deepEqual(r.types, []);
  // path 1's heartbeats unanswered: down; DATA not elsewhere yet
  r = pathLook(r.memory, { dataChunks: 9, lastDataAgoMs: 60, hbUnanswered: 3 }, {});
  t.deepEqual(r.types, ['path-down']);
  // by the next look DATA moved to path 2 (4 retransmissions) and the peer answered on path 1 again:
  // the move came first (it is why path 1's DATA stopped), and the count that failed it is still the reason
  r = pathLook(r.memory, { dataChunks: 9, lastDataAgoMs: 160 }, { dataChunks: 10, retransChunks: 4, lastDataAgoMs: 5 });
  t.deepEqual(r.types, ['path-switch', 'path-up']);
  t.deepEqual(r.events[0]!.reasons, ['4 retransmissions on the new path', '3 heartbeats unanswered on the old']);
  // path 2 fails and DATA goes back to path 1 in the same look: down, then the move
  r = pathLook(r.memory, { dataChunks: 12, lastDataAgoMs: 5 }, { dataChunks: 10, retransChunks: 4, lastDataAgoMs: 90, hbUnanswered: 3 });
  t.deepEqual(r.types, ['path-down', 'path-switch']);
  t.regex(r.events[1]!.path ?? '', /^10\.78\.1\.1:3869/);
  // a path that comes back and takes the DATA in the same look: up, then the move to it
  r = pathLook(r.memory, { dataChunks: 12, lastDataAgoMs: 40, hbUnanswered: 3 }, { dataChunks: 11, retransChunks: 4, lastDataAgoMs: 90, hbUnanswered: 3 });
  t.deepEqual(r.types, ['path-down'], 'both down: no path carries DATA, path 1 stays the reference');
  r = pathLook(r.memory, { dataChunks: 12, lastDataAgoMs: 140, hbUnanswered: 3 }, { dataChunks: 14, lastDataAgoMs: 5 });
  t.deepEqual(r.types, ['path-up', 'path-switch'], 'path 2 answers again and takes the DATA');
  t.regex(r.events[1]!.path ?? '', /^10\.78\.2\.1:3869/);
});
