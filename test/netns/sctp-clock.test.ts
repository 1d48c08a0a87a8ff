// The wire tracer's coarse timestamps are CLOCK_MONOTONIC, as user space's hrtime reads it, on
// both of the tracer's clocks: jiffies x the tick (what nodectl loads when the kernel's config
// gives CONFIG_HZ) and the bpf_ktime_get_coarse_ns() helper (when it does not). A wrong tick or
// a wrong offset puts them seconds or years away; the coarse clock itself may lag by a tick,
// the jiffies one by one more (its offset is taken from the coarse clock once, less a tick),
// and neither may run ahead.
import { jiffyNs } from 'ebpf-ts';
import { chunk, sctpFrame, type Endpoint } from '../../src/sctp/packet.js';
import { assocRows, SLOT_ASSOC } from '../../src/sctp/rows.js';
import { loadWireObject } from '../../src/sctp/tracer.js';
import { SwAssoc, SwDir } from '../../src/sctp/generated/sctp-wire.js';
import { testIf, testWhen } from '../helpers/require.js';

const A: Endpoint = { mac: '02:00:00:00:00:0a', ip: '10.9.0.1', port: 3868 };
const B: Endpoint = { mac: '02:00:00:00:00:0b', ip: '10.9.0.2', port: 3868 };
const at = (name: keyof typeof SwAssoc.offsets): number => SwAssoc.offsets[name];
const dirAt = (name: keyof typeof SwDir.offsets): number => SwDir.offsets[name];

interface Stamps { before1: bigint; after1: bigint; before2: bigint; after2: bigint; first: bigint; last: bigint; lastData: bigint }

function stamps(jiffy: number): Stamps {
  // the object nodectl picks for this kernel (without bpf_loop, the one that walks without it)
  const obj = loadWireObject({ maxAssociations: 256, jiffyNs: jiffy });
  try {
    const prog = obj.program('sctp_wire_ingress');
    const before1 = process.hrtime.bigint();
    prog.testRun(sctpFrame(A, B, 7, [chunk.data({ tsn: 1, size: 100 })]));
    const after1 = process.hrtime.bigint();
    // a second packet later: the clock must move with hrtime, not stand still at its offset
    while (process.hrtime.bigint() < after1 + 30_000_000n);
    const before2 = process.hrtime.bigint();
    prog.testRun(sctpFrame(A, B, 7, [chunk.data({ tsn: 2, size: 100 })]));
    const after2 = process.hrtime.bigint();
    const rows = assocRows(obj.map('sctp_slots').mmap(), obj.map('sctp_assocs').dumpRaw());
    if (rows.count !== 1) throw new Error(`expected one association, got ${rows.count}`);
    const buf = rows.inSlots ? rows.slots : rows.fallback;
    const o = rows.at[0]! + SLOT_ASSOC;
    return { before1, after1, before2, after2, first: buf.readBigUInt64LE(o + at('first_ns')), last: buf.readBigUInt64LE(o + at('last_ns')), lastData: buf.readBigUInt64LE(o + at('dir') + dirAt('last_data_ns')) };
  } finally {
    obj.close();
  }
}

function check(t: import('ava').ExecutionContext, jiffy: number, what: string) {
  const s = stamps(jiffy);
  // The coarse clock lags by up to a tick, the jiffies one (an offset a tick low) by up to
  // two, and a VM's ticks come late: three ticks (10 ms each where the config does not say).
  // A wrong tick length is off by a tick per tick elapsed: seven or more here.
  const slack = 3n * BigInt(jiffy || 10_000_000) + 1_000_000n;
  const us = (x: bigint) => `${(x - s.before1) / 1000n} µs`;
  t.log(`${what}: packets stamped at ${us(s.first)} and ${us(s.last)}, sent in [0, ${us(s.after1)}] and [${us(s.before2)}, ${us(s.after2)}] (hrtime, from the first send)`);
  // each stamp within its packet's BPF_PROG_TEST_RUN call, less the clock's lag
  t.true(s.first >= s.before1 - slack && s.first <= s.after1, `${what}: first packet stamped ${s.first}, sent in [${s.before1}, ${s.after1}]`);
  t.true(s.last >= s.before2 - slack && s.last <= s.after2, `${what}: second packet stamped ${s.last}, sent in [${s.before2}, ${s.after2}]`);
  t.is(s.lastData, s.last, `${what}: one clock read per packet`);
}

// the jiffy's length comes from the kernel's config (CONFIG_HZ): without it the tracer keeps the helper clock
const jiffy = jiffyNs();
testWhen(jiffy !== null, 'this kernel\'s config is not readable (/boot/config-<release>, /proc/config.gz): CONFIG_HZ unknown, the tracer keeps the helper clock here', { needs: ['root'] })('timestamps on the jiffies clock are CLOCK_MONOTONIC', (t) => {
  check(t, jiffy!, `jiffies x ${jiffy} ns`);
});

testIf('root')('timestamps on the helper clock (CONFIG_HZ unknown) are CLOCK_MONOTONIC', (t) => {
  check(t, 0, 'bpf_ktime_get_coarse_ns');
});
