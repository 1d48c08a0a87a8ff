// The compact association table `sctp top` orders and flags from: on many records built byte
// for byte in the layout of bpf/sctp_wire.h (a seeded pseudo-random mix of stalled, throttled,
// lossy, closed and quiet associations), its flags must be exactly assess()'s, loss judged
// against the previous refresh the same way, and its row order the documented one.
import test from 'ava';
import { assess } from '../../src/sctp/detect.js';
import { decodeGroup, words } from '../../src/sctp/model.js';
import { assocRows, frozen, SLOT_ASSOC, SLOT_KEY, SLOT_STATE } from '../../src/sctp/rows.js';
import { decodeRows } from '../../src/sctp/tracer.js';
import { AssocTable, type TopSort } from '../../src/sctp/table.js';
import { SwAssoc, SwKey, SwSlot } from '../../src/sctp/generated/sctp-wire.js';
import { SW_F, SW_SLOT_STATE } from '../../src/sctp/wire-consts.js';
import { encodeStruct } from '../helpers/sctp-records.js';

const S = 1_000_000_000;
const NOW = 5000 * S;
const DETECT = { stallAfterMs: 2000, lossyRatio: 0.05, lossyMinChunks: 20 };

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

function dump(n: number, seed: number, scale = 1): { count: number; keys: Buffer; values: Buffer } {
  const r = rng(seed);
  const keys = Buffer.alloc(n * SwKey.size);
  const values = Buffer.alloc(n * SwAssoc.size);
  const pick = (k: number) => Math.floor(r() * k);
  for (let i = 0; i < n; i++) {
    // addresses that differ where string order and numeric order disagree (10.9 vs 10.10)
    encodeStruct(SwKey, { addr: [Buffer.from([10, 1 + pick(12), pick(3), 1]), Buffer.from([10, 200, 0, 1 + pick(2)])], port: [1000 + pick(3), 3868], ifindex: 2 + pick(2), family: 4 }, keys, i * SwKey.size);
    // every association distinct: make the lower port unique on collision
    keys.writeUInt16LE(10000 + i, SwKey.offsets.port + i * SwKey.size);
    const dir = () => {
      const data = Math.round(pick(200) * scale);
      const flags = (r() < 0.5 ? SW_F.HAVE_SACK : 0) | (r() < 0.3 ? SW_F.OUTSTANDING | SW_F.HAVE_TSN : 0) | (r() < 0.1 ? SW_F.ZERO_WINDOW : 0);
      return {
        packets: pick(1000), data_chunks: data, data_bytes: data * 100, retrans_chunks: Math.min(data, Math.round(pick(12) * scale)),
        flags, a_rwnd_last: pick(3) * 1000, progress_ns: r() < 0.9 ? NOW - pick(4000) * 1_000_000 : 0,
      };
    };
    encodeStruct(SwAssoc, { dir: [dir(), dir()], state: [3, 3, 3, 5, 6][pick(5)], first_ns: S, last_ns: NOW }, values, i * SwAssoc.size);
  }
  return { count: n, keys, values };
}

test('flags equal assess() on every row, loss over the lifetime as stats judges it, a previous refresh or not', (t) => {
  const before = dump(400, 7);
  const after = dump(400, 7, 2); // same keys, counters doubled
  const prevTable = new AssocTable(assocRows(null, before), NOW, { detect: DETECT });
  const table = new AssocTable(assocRows(null, after), NOW, { detect: DETECT, previous: prevTable });
  let flagged = 0;
  for (let i = 0; i < table.count; i++) {
    const alone = assess(prevTable.association(i), DETECT);
    t.is(prevTable.flagged[i], alone.conditions.length, `row ${i} without previous`);
    const h = assess(table.association(i), DETECT);
    t.is(table.flagged[i], h.conditions.length, `row ${i} with a previous refresh: the same lifetime rule`);
    t.deepEqual(table.view(i, DETECT).health, h);
    t.is(table.previousRow(i), i, 'the same association found in the previous refresh');
    if (h.conditions.length) flagged++;
  }
  t.true(flagged > 20 && flagged < 380, `a mix of flagged and clean rows (${flagged})`);
});

test('a steady 20 % loss is lossy on every refresh, not only on one with 20 new chunks', (t) => {
  const keys = encodeStruct(SwKey, { addr: [Buffer.from([10, 0, 0, 1]), Buffer.from([10, 0, 0, 2])], port: [1, 2], ifindex: 2, family: 4 });
  const rec = (data: number) => ({ count: 1, keys, values: encodeStruct(SwAssoc, { dir: [{ packets: data, data_chunks: data, retrans_chunks: data / 5 }, {}], state: 3, first_ns: S, last_ns: NOW }) });
  let prev = new AssocTable(assocRows(null, rec(100)), NOW, { detect: DETECT });
  t.is(prev.flagged[0], 1);
  // 5 more chunks a refresh, 1 of them again: 20 %, never 20 chunks within one refresh
  for (const n of [105, 110, 115]) {
    const tbl = new AssocTable(assocRows(null, rec(n)), NOW, { detect: DETECT, previous: prev });
    t.is(tbl.flagged[0], 1, `${n} chunks sent: still lossy`);
    t.deepEqual(tbl.view(0, DETECT).health.conditions, ['lossy']);
    prev = tbl;
  }
});

test('order: flagged rows first, then the sort key, then the endpoints numerically; a screenful is the head of the full order', (t) => {
  const table = new AssocTable(assocRows(null, dump(600, 11)), NOW, { detect: DETECT });
  const name = (i: number) => {
    const a = table.association(i);
    const ip = (s: string) => s.split('.').map(Number).reduce((x, y) => x * 256 + y, 0);
    return [ip(a.endpoints[0].address), a.endpoints[0].port, ip(a.endpoints[1].address), a.endpoints[1].port, a.ifindex];
  };
  const cmpName = (x: number, y: number) => {
    const nx = name(x), ny = name(y);
    for (let k = 0; k < nx.length; k++) if (nx[k] !== ny[k]) return nx[k]! - ny[k]!;
    return 0;
  };
  for (const sort of ['activity', 'data', 'retrans', 'rwnd', 'name'] as TopSort[]) {
    const all = table.top(sort);
    t.is(all.length, table.count);
    t.is(new Set(all).size, table.count);
    for (let k = 1; k < all.length; k++) {
      const [x, y] = [all[k - 1]!, all[k]!];
      const ax = table.association(x), ay = table.association(y);
      const fx = assess(ax, DETECT).conditions.length, fy = assess(ay, DETECT).conditions.length;
      t.true(fx >= fy, `${sort}: flagged first at ${k}`);
      if (fx !== fy) continue;
      const key = (a: typeof ax) => sort === 'data' ? -(a.dir[0].dataBytes + a.dir[1].dataBytes)
        : sort === 'retrans' ? -(a.dir[0].retransChunks + a.dir[1].retransChunks)
          : sort === 'rwnd' ? Math.min(a.dir[0].aRwnd?.last ?? Infinity, a.dir[1].aRwnd?.last ?? Infinity)
            : sort === 'activity' ? -(a.dir[0].packets + a.dir[1].packets) : 0;
      const kx = key(ax), ky = key(ay);
      t.true(kx <= ky, `${sort}: key order at ${k}`);
      if (kx === ky) t.true(cmpName(x, y) < 0, `${sort}: name order at ${k}`);
    }
    t.deepEqual(table.top(sort, 25), all.slice(0, 25), `${sort}: the screenful`);
  }
});

/** A slot table (as the mapping shows it) holding records i of d at the given slots; other slots free or mid-claim. */
function slotTable(d: ReturnType<typeof dump>, n: number, place: Array<[number, number]>, claiming: number[] = []): Buffer {
  const b = Buffer.alloc(n * SwSlot.size);
  for (const [slot, i] of place) {
    const o = slot * SwSlot.size;
    d.keys.copy(b, o + SLOT_KEY, i * SwKey.size, (i + 1) * SwKey.size);
    d.values.copy(b, o + SLOT_ASSOC, i * SwAssoc.size, (i + 1) * SwAssoc.size);
    b.writeUInt32LE(SW_SLOT_STATE.USED, o + SLOT_STATE);
  }
  for (const slot of claiming) {
    b.fill(0xee, slot * SwSlot.size, (slot + 1) * SwSlot.size); // half-written garbage
    b.writeBigUInt64LE(BigInt(SW_SLOT_STATE.CLAIMING), slot * SwSlot.size + SLOT_STATE);
  }
  return b;
}

test('rows: used slots and the fallback\'s entries, each once, decoded exactly; free and mid-claim slots are skipped', (t) => {
  const d = dump(10, 3);
  const slots = slotTable(d, 16, [[2, 0], [3, 1], [9, 2], [15, 3]], [5]);
  const fb = { count: 6, keys: d.keys.subarray(4 * SwKey.size), values: d.values.subarray(4 * SwAssoc.size) };
  const r = assocRows(slots, fb);
  t.is(r.count, 10);
  // each record is its own association (none is linked): one path, the home
  const want = Array.from({ length: 10 }, (_, i) => decodeGroup({ key: d.keys, value: d.values, ko: i * SwKey.size, vo: i * SwAssoc.size, vw: words(d.values) }, [], NOW));
  t.deepEqual(decodeRows(r, NOW), want, 'slots in table order, then the fallback in dump order');
  t.is(r.inSlots, 4);
  t.is(r.slots, slots, 'slots are read in place, not copied');
  const f = frozen(r);
  t.not(f.slots.buffer, slots.buffer);
  slots.fill(0);
  t.deepEqual(decodeRows(f, NOW), want, 'a frozen copy does not follow the table');
});

test('records that change under a table: each row finds itself in the previous refresh, flags follow the live counts, and freeze() stops the screen', (t) => {
  const before = dump(50, 9);
  const after = dump(50, 9, 3);
  const live = slotTable(before, 64, Array.from({ length: 50 }, (_, i) => [i + 7, i]));
  const first = new AssocTable(assocRows(live, null), NOW, { detect: DETECT });
  // the program goes on counting: the same slots now hold the later counters
  for (let i = 0; i < 50; i++) after.values.copy(live, (i + 7) * SwSlot.size + SLOT_ASSOC, i * SwAssoc.size, (i + 1) * SwAssoc.size);
  const second = new AssocTable(assocRows(live, null), NOW, { detect: DETECT, previous: first });
  let lossy = 0;
  for (let i = 0; i < 50; i++) {
    const h = assess(second.association(i), DETECT);
    t.is(second.flagged[i], h.conditions.length, `row ${i}`);
    t.deepEqual(second.view(i, DETECT).health, h, `row ${i} view`);
    t.is(second.previousRow(i), i, `row ${i} in the previous refresh`);
    if (h.conditions.includes('lossy')) lossy++;
  }
  t.true(lossy > 0, `some rows lossy (${lossy})`);
  second.freeze();
  const shown = second.association(3);
  live.fill(0, 0, live.length);
  t.deepEqual(second.association(3), shown, 'a frozen table shows its refresh');
});

test('a table over slots and fallback finds each row in the previous refresh even when rows moved', (t) => {
  const before = dump(8, 5);
  const after = dump(8, 5, 2);
  // before: 0..3 in slots, 4..7 in the fallback; after: the fallback dump walks in another order
  const prev = new AssocTable(assocRows(slotTable(before, 8, [[1, 0], [2, 1], [4, 2], [7, 3]]), { count: 4, keys: before.keys.subarray(4 * SwKey.size), values: before.values.subarray(4 * SwAssoc.size) }), NOW, { detect: DETECT });
  const order = [7, 6, 5, 4];
  const fk = Buffer.concat(order.map((i) => after.keys.subarray(i * SwKey.size, (i + 1) * SwKey.size)));
  const fv = Buffer.concat(order.map((i) => after.values.subarray(i * SwAssoc.size, (i + 1) * SwAssoc.size)));
  const table = new AssocTable(assocRows(slotTable(after, 8, [[1, 0], [2, 1], [4, 2], [7, 3]]), { count: 4, keys: fk, values: fv }), NOW, { detect: DETECT, previous: prev });
  t.is(table.count, 8);
  for (let i = 0; i < 8; i++) {
    const a = table.association(i);
    const j = [...Array(8).keys()].find((x) => prev.association(x).id === a.id)!;
    t.is(table.previousRow(i), j, `row ${i}`);
    t.deepEqual(table.view(i, DETECT).health, assess(a, DETECT), `row ${i}`);
  }
});
