// One errno table (ebpf-ts's errno.ts, re-exported by src/errors.ts): netlink refusals, packet
// sockets and bpf(2) failures name and explain an errno the same way. Before, netlink named 11
// EWOULDBLOCK and 524 "E524" while the eBPF layer said EAGAIN-less "errno 11" and ENOTSUPP.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeErrno, errnoName, NetlinkError } from '../../src/errors.js';
import { _nativeErrnoName as nativeErrnoName, type NativeFailure } from 'ebpf-ts';
import { parseAck } from '../../src/netlink/ack.js';

test('names: the C library\'s, the kernel-internal ones that leak, libbpf\'s; the usual name of a doubly-named value', (t) => {
  t.is(errnoName(17), 'EEXIST');
  t.is(errnoName(-19), 'ENODEV');
  t.is(errnoName(11), 'EAGAIN');
  t.is(errnoName(35), 'EDEADLK');
  t.is(errnoName(95), 'EOPNOTSUPP');
  t.is(errnoName(524), 'ENOTSUPP');
  t.is(errnoName(4007), 'LIBBPF_VERIFY');
  t.is(errnoName(9999), 'E9999');
});

test('a netlink ACK and a bpf(2) failure with the same errno are named and explained alike', (t) => {
  for (const errno of [11, 17, 22, 95, 524]) {
    const ack = Buffer.alloc(20);
    ack.writeInt32LE(-errno, 0);
    const name = parseAck(ack, 0).errnoName;
    t.is(name, nativeErrnoName({ errno, code: 'EUNKNOWN' } as NativeFailure), `errno ${errno}`);
    t.is(name, errnoName(errno));
  }
  t.is(describeErrno('ENOTSUPP'), 'operation not supported by the kernel');
  t.is(new NetlinkError({ op: 'RTM_NEWLINK', errno: errnoName(524), errnoValue: 524 }).message, 'RTM_NEWLINK ENOTSUPP: operation not supported by the kernel');
  t.is(new NetlinkError({ op: 'RTM_NEWLINK', errno: 'EEXIST', errnoValue: 17, extack: 'device already exists', action: 'create vlan eth0.100' }).message,
    'cannot create vlan eth0.100: RTM_NEWLINK EEXIST: device already exists');
});

test('the table exists once: no other module spells errno texts', (t) => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
  const spelled = ['src', 'packages/ebpf-ts/src'].flatMap((d) => walk(join(root, d))).filter((f) => /^\s*EEXIST: '/m.test(readFileSync(f, 'utf8'))).map((f) => f.slice(root.length));
  t.deepEqual(spelled, ['packages/ebpf-ts/src/errno.ts']);
});
