// The effective-value rules and the IFLA_INET_CONF codec, without privileges.
import test from 'ava';
import { ARP_KEYS, checkArpValue, effectiveSetting, parseArpAssignments } from '../../src/arp/policy.js';
import { UsageError } from '../../src/errors.js';
import { decodeInetConf, decodeLinkInetConf, encodeSetInetConf, IPV4_DEVCONF } from '../../src/netlink/inetconf.js';

test('max keys: the larger of all and the interface wins, and says which', (t) => {
  t.deepEqual(effectiveSetting('arp_ignore', 1, 0), { value: 1, effective: 1, source: 'interface' });
  t.deepEqual(effectiveSetting('arp_ignore', 1, 8), { value: 1, effective: 8, source: 'all' });
  t.deepEqual(effectiveSetting('arp_announce', 2, 2), { value: 2, effective: 2, source: 'both' });
  t.deepEqual(effectiveSetting('arp_accept', 2, 1), { value: 2, effective: 2, source: 'interface' });
  t.deepEqual(effectiveSetting('arp_notify', 0, 1), { value: 0, effective: 1, source: 'all' });
});

test('or keys: on when either row is on', (t) => {
  t.deepEqual(effectiveSetting('arp_filter', 0, 0), { value: 0, effective: 0, source: 'both' });
  t.deepEqual(effectiveSetting('arp_filter', 1, 0), { value: 1, effective: 1, source: 'interface' });
  t.deepEqual(effectiveSetting('proxy_arp', 0, 1), { value: 0, effective: 1, source: 'all' });
  t.deepEqual(effectiveSetting('drop_gratuitous_arp', 1, 1), { value: 1, effective: 1, source: 'both' });
});

test('ranges: arp_ignore 4-7 are reserved, the others are contiguous', (t) => {
  for (const v of [0, 1, 2, 3, 8]) t.is(checkArpValue('arp_ignore', v), null);
  for (const v of [4, 5, 6, 7, 9, -1]) t.regex(checkArpValue('arp_ignore', v)!, /out of range \(valid: 0, 1, 2, 3, 8\)/);
  t.regex(checkArpValue('arp_announce', 3)!, /valid: 0-2/);
  t.regex(checkArpValue('proxy_arp', 2)!, /valid: 0-1/);
  t.regex(checkArpValue('arp_filter', 1.5)!, /must be an integer/);
  t.regex(checkArpValue('rp_filter', 1)!, /unknown ARP key "rp_filter"/);
  t.deepEqual(Object.keys(ARP_KEYS).sort(), ['arp_accept', 'arp_announce', 'arp_filter', 'arp_ignore', 'arp_notify', 'drop_gratuitous_arp', 'proxy_arp']);
});

test('key=value words: all checked, first bad one reported', (t) => {
  t.deepEqual(parseArpAssignments(['arp_ignore=1', 'arp_announce=2']), { arp_ignore: 1, arp_announce: 2 });
  t.throws(() => parseArpAssignments([]), { instanceOf: UsageError, message: /nothing to set/ });
  t.throws(() => parseArpAssignments(['arp_ignore']), { message: /"arp_ignore" is not key=value/ });
  t.throws(() => parseArpAssignments(['arp_ignore=x']), { message: /must be an integer, not "x"/ });
  t.throws(() => parseArpAssignments(['arp_ignore=1', 'arp_ignore=2']), { message: /given twice/ });
});

test('devconf ids match include/uapi/linux/ip.h', (t) => {
  t.is(IPV4_DEVCONF.proxy_arp, 3);
  t.is(IPV4_DEVCONF.arp_filter, 13);
  t.is(IPV4_DEVCONF.arp_announce, 18);
  t.is(IPV4_DEVCONF.arp_ignore, 19);
  t.is(IPV4_DEVCONF.arp_accept, 21);
  t.is(IPV4_DEVCONF.arp_notify, 22);
  t.is(IPV4_DEVCONF.drop_gratuitous_arp, 31);
  t.is(IPV4_DEVCONF.arp_evict_nocarrier, 33);
});

test('RTM_SETLINK payload: ifinfomsg then AF_SPEC/AF_INET/INET_CONF with one u32 per key in id order', (t) => {
  const b = encodeSetInetConf(7, { arp_ignore: 1, proxy_arp: 1 });
  const hex = b.toString('hex');
  // ifinfomsg: family 0, pad, type 0, index 7, flags 0, change 0
  t.is(hex.slice(0, 32), '00000000' + '07000000' + '00000000' + '00000000');
  // IFLA_AF_SPEC (26|NESTED) len 4+4+4+8+8 = 28 → AF_INET (2|NESTED) len 24 → IFLA_INET_CONF (1|NESTED) len 20
  t.is(hex.slice(32), '1c001a80' + '18000280' + '14000180' + '08000300' + '01000000' + '08001300' + '01000000');
});

test('GETLINK answer: the packed devconf array decodes by id and the nest is found among other attributes', (t) => {
  const arr = Buffer.alloc(33 * 4);
  arr.writeInt32LE(1, (IPV4_DEVCONF.arp_ignore - 1) * 4);
  arr.writeInt32LE(2, (IPV4_DEVCONF.arp_announce - 1) * 4);
  arr.writeInt32LE(1000, (IPV4_DEVCONF.igmpv2_unsolicited_report_interval - 1) * 4);
  const conf = decodeInetConf(arr);
  t.is(conf.arp_ignore, 1);
  t.is(conf.arp_announce, 2);
  t.is(conf.igmpv2_unsolicited_report_interval, 1000);
  t.is(conf.proxy_arp, 0);
  const tlv = (type: number, v: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(4 + v.length);
    h.writeUInt16LE(type, 2);
    const pad = Buffer.alloc((4 - (v.length % 4)) % 4);
    return Buffer.concat([h, v, pad]);
  };
  // AF_INET6 (10) block first, as the kernel orders them, then AF_INET (2)
  const afspec = tlv(26, Buffer.concat([tlv(10, tlv(1, Buffer.alloc(8))), tlv(2, tlv(1, arr))]));
  const msg = Buffer.concat([Buffer.alloc(16), tlv(3, Buffer.from('va\0')), afspec]);
  t.deepEqual(decodeLinkInetConf(msg), conf);
  t.is(decodeLinkInetConf(Buffer.concat([Buffer.alloc(16), tlv(3, Buffer.from('va\0'))])), null);
});
