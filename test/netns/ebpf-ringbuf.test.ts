// Ring-buffer records arrive on the event loop: timers keep firing between records, a slow
// async iterator pauses polling instead of buffering without bound, and consume() drains
// synchronously.
import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfObject, layout as L, type LayoutValue } from 'ebpf-ts';
import { isRoot } from '../helpers/netns.js';
import { obj, sendUdp, vethPair } from '../helpers/ebpf.js';

const PktEvent = L.struct({
  tag: L.u32, ifindex: L.u32, len: L.u32, saddr: L.ipv4, daddr: L.ipv4, sport: L.u16be, dport: L.u16be, dir: L.u8, ipProto: L.u8, _pad: L.u16,
});
type PktEvent = LayoutValue<typeof PktEvent>;
const isOurs = (port: number) => (e: PktEvent) => e.ipProto === 17 && e.dir === 1 && e.dport === port;

function setup(t: ExecutionContext) {
  const pair = vethPair(t);
  const o = BpfObject.load(obj('test_counter'), { globals: { tag: 7 } });
  t.teardown(() => o.close());
  o.program('count_egress').attachTc({ ifindex: pair.ifA, direction: 'egress', netnsPath: `/run/netns/${pair.a.name}` });
  return { ...pair, o };
}

test.serial('events come through an async iterator while a timer keeps ticking (the loop is never blocked)', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const rb = o.ringBuffer('events', { decode: PktEvent });
  const marks: string[] = [];
  const timer = setInterval(() => marks.push('tick'), 2);
  t.teardown(() => clearInterval(timer));
  const N = 40;
  const sending = sendUdp(a, addrB, 5001, N, 10);
  let seen = 0;
  for await (const e of rb) {
    if (!isOurs(5001)(e)) continue;
    t.is(e.tag, 7);
    marks.push('event');
    if (++seen === N) break;
  }
  await sending;
  clearInterval(timer);
  t.is(seen, N);
  const first = marks.indexOf('event');
  const last = marks.lastIndexOf('event');
  const ticksBetween = marks.slice(first, last).filter((m) => m === 'tick').length;
  t.true(ticksBetween > 0, `timer ticks interleave with the events (${ticksBetween} between the first and last event)`);
});

test.serial('a slow consumer pauses polling (records wait in the kernel ring) and still gets every record', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const rb = o.ringBuffer('events', { decode: PktEvent, highWaterMark: 2 });
  const N = 20;
  const sending = sendUdp(a, addrB, 5002, N);
  let seen = 0;
  for await (const e of rb) {
    if (isOurs(5002)(e)) seen++;
    if (seen === N) break;
    await sleep(5);
  }
  await sending;
  t.is(seen, N);
});

test.serial("'data' events; consume() drains synchronously while paused; close ends iteration", async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const rb = o.ringBuffer('events', { decode: PktEvent });
  rb.pause();
  const got: PktEvent[] = [];
  rb.on('data', (e) => got.push(e));
  await sendUdp(a, addrB, 5003, 5);
  await sleep(50);
  t.is(got.length, 0, 'paused: nothing delivered by the loop');
  const n = rb.consume();
  t.true(n >= 5);
  t.is(got.filter(isOurs(5003)).length, 5, 'delivered during consume()');
  rb.resume();
  await sendUdp(a, addrB, 5004, 3);
  for (let i = 0; i < 50 && got.filter(isOurs(5004)).length < 3; i++) await sleep(20);
  t.is(got.filter(isOurs(5004)).length, 3, 'resumed: the loop delivers again');

  const rb2 = o.ringBuffer('events');
  const it = rb2[Symbol.asyncIterator]();
  const pending = it.next();
  rb2.close();
  t.deepEqual(await pending, { value: undefined, done: true });
  t.throws(() => o.ringBuffer('counts'), { instanceOf: TypeError, message: /not a ring buffer/ });
});

test.serial('a callback that closes the ring buffer stops the delivery of the records after it', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const rb = o.ringBuffer('events', { decode: PktEvent });
  rb.pause();
  let calls = 0;
  // what `sctp trace` does on its last event: the handler ends the session, closing the ring
  rb.on('data', () => { calls++; rb.close(); });
  await sendUdp(a, addrB, 5005, 4);
  await sleep(50);
  // several records wait; the first callback closes the ring: no error, and no further call
  t.notThrows(() => rb.consume());
  t.is(calls, 1);
  t.true(rb.closed);
});

test.serial('records shorter than the layout are an error event, not garbage', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const TooBig = L.struct({ body: L.bytes(64) });
  const rb = o.ringBuffer('events', { decode: TooBig });
  const errors: Error[] = [];
  rb.on('error', (e) => errors.push(e));
  rb.on('data', () => t.fail('no record should decode'));
  await sendUdp(a, addrB, 5005, 2);
  for (let i = 0; i < 50 && errors.length < 2; i++) await sleep(20);
  t.true(errors.length >= 2);
  t.regex(errors[0]!.message, /record of 28 bytes, layout needs 64/);
});

test.serial('a burst larger than one delivery slice (4096 records) arrives whole', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const { a, addrB, o } = setup(t);
  const rb = o.ringBuffer('events', { decode: PktEvent });
  rb.pause(); // let the burst pile up in the kernel ring (256 KiB holds ~6,500 of these records)
  let n = 0;
  rb.on('data', (e) => void (isOurs(5006)(e) && n++));
  const N = 4500;
  await sendUdp(a, addrB, 5006, N);
  const delivered = rb.consume();
  t.true(delivered >= N, `consume() delivered ${delivered}`);
  t.is(n, N);
});
