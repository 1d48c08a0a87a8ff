// The event watcher (watch.ts) on records built byte for byte in the layout of
// bpf/sctp_wire.h, looked at with an injected clock: each change of a row's condition is one
// event, once, with what ended a stall.
import test from 'ava';
import { assocRows } from '../../src/sctp/rows.js';
import { AssocTable } from '../../src/sctp/table.js';
import { EventWatcher } from '../../src/sctp/watch.js';
import { SwAssoc, SwKey } from '../../src/sctp/generated/sctp-wire.js';
import { SW_F } from '../../src/sctp/wire-consts.js';
import { encodeStruct } from '../helpers/sctp-records.js';

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
