// The wire tracer's slot table read in place: BpfMap.mmap() of a BPF_F_MMAPABLE array shows what
// the kernel holds (checked against bpftool's lookup) and follows later writes without another
// read; the program run through our own loader (BPF_PROG_TEST_RUN) places associations in
// slots that the mapping shows, and every one is read back exactly once with its counts.
import { execFileSync } from 'node:child_process';
import { BpfMap, MapFlag, MapType } from 'ebpf-ts';
import { chunk, sctpFrame, type Endpoint } from '../../src/sctp/packet.js';
import { assocRows } from '../../src/sctp/rows.js';
import { decodeRows, loadWireObject } from '../../src/sctp/tracer.js';
import { SwSlot } from '../../src/sctp/generated/sctp-wire.js';
import { testIf } from '../helpers/require.js';

testIf('root', 'cmd:bpftool')('mmap of an mmapable array: the kernel\'s values in place, later writes seen without another read', (t) => {
  const m = BpfMap.create({ type: MapType.ARRAY, name: 'nctl_t_mmap', keySize: 4, valueSize: 12, maxEntries: 1000, flags: MapFlag.MMAPABLE });
  t.teardown(() => m.close());
  const key = (i: number) => Buffer.from(new Uint32Array([i]).buffer);
  m.update(key(7), Buffer.from('abcdefghijkl'));
  const mem = m.mmap();
  t.is(mem.length, 1000 * 16, 'values are 8-byte aligned: 16 bytes apart');
  t.is(mem.toString('latin1', 7 * 16, 7 * 16 + 12), 'abcdefghijkl');
  const bt = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'lookup', 'id', String(m.info().id), 'key', '7', '0', '0', '0'], { encoding: 'utf8' })) as { value: string[] };
  t.deepEqual(Buffer.from(bt.value.map((h) => parseInt(h, 16))), mem.subarray(7 * 16, 7 * 16 + 12), 'bpftool reads the same bytes');
  m.update(key(999), Buffer.from('zzzzzzzzzzzz'));
  t.is(mem.toString('latin1', 999 * 16, 999 * 16 + 12), 'zzzzzzzzzzzz', 'the mapping follows the map');

  const plain = BpfMap.create({ type: MapType.ARRAY, name: 'nctl_t_nommap', keySize: 4, valueSize: 8, maxEntries: 4 });
  t.teardown(() => plain.close());
  t.throws(() => plain.mmap(), { message: /not a BPF_F_MMAPABLE array/ });
});

// without bpf_loop the tracer loads the object with no slot table (its claim needs
// compare-and-swap): a counted skip, failing under the strict switch where the kernel should have it
testIf('root', 'cmd:bpftool', 'bpf_loop')('the tracer program fills slots that the mapping shows; every association read once, counted exactly', (t) => {
  // 300 associations in 256 slots: some collide into the fallback map (LRU, 256 entries)
  const obj = loadWireObject({ maxAssociations: 256 });
  t.teardown(() => obj.close());
  const slots = obj.map('sctp_slots');
  t.is(slots.maxEntries, 256);
  t.truthy(slots.flags & MapFlag.MMAPABLE);
  const mem = slots.mmap();
  const prog = obj.program('sctp_wire_ingress');
  const peer: Endpoint = { mac: '02:00:00:00:00:0b', ip: '10.255.0.1', port: 3868 };
  const N = 300;
  for (let i = 0; i < N; i++) {
    const me: Endpoint = { mac: '02:00:00:00:00:0a', ip: `10.1.${i >> 8}.${i & 255}`, port: 2905 };
    for (let k = 0; k <= i % 3; k++) t.is(prog.testRun(sctpFrame(me, peer, 7, [chunk.data({ tsn: 10 + k, size: 20 + i })])).retval, -1);
  }
  const rows = assocRows(mem, obj.map('sctp_assocs').dumpRaw());
  t.true(rows.inSlots > 128 && rows.inSlots < N, `${rows.inSlots} in slots, ${N - rows.inSlots} in the fallback`);
  t.is(rows.count, N);
  const assocs = decodeRows(rows, Number(process.hrtime.bigint()));
  t.is(new Set(assocs.map((a) => a.id)).size, N, 'no association twice');
  for (const a of assocs) {
    const i = Number(a.endpoints[0].address.split('.')[2]) * 256 + Number(a.endpoints[0].address.split('.')[3]);
    t.is(a.dir[0].packets, 1 + (i % 3), a.id);
    t.is(a.dir[0].dataChunks, 1 + (i % 3), a.id);
    t.is(a.dir[0].dataBytes, (1 + (i % 3)) * (20 + i), a.id);
  }
  t.is(mem.length, 256 * SwSlot.size);
});
