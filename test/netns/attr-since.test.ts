// A bridge port option newer than the kernel is refused before the request (the kernel would
// acknowledge it and drop it): checked against a 5.10 release given as input, on this host's
// real kernel, where IFLA_BRPORT_LOCKED (5.18) exists and is applied.
import { Handle } from '../../src/netlink/handle.js';
import { dumpLinksRaw, setBridgePortOptions } from '../../src/netlink/link.js';
import { bridgePortOptions } from '../../src/netlink/linkinfo.js';
import { UnsupportedError } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, netnsFor } from '../helpers/netns.js';
import { skipInside, testIf } from '../helpers/require.js';

async function portOptions(h: Handle, index: number): Promise<Buffer | null> {
  const raw = (await dumpLinksRaw(h)).find((b) => b.readInt32LE(4) === index);
  return raw ? bridgePortOptions(raw) : null;
}

const locked = (ns: Netns): unknown => ns.ipJson<{ linkinfo?: { info_slave_data?: { locked?: boolean } } }[]>('-d', 'link', 'show', 'p0')[0]!.linkinfo?.info_slave_data?.locked;

testIf('root')('bridge port options from a newer kernel: refused before sending on an older one (UNSUPPORTED, the attribute and kernel named), applied on this one', async (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
  ns.ip('link', 'set', 'p0', 'master', 'br0');
  ns.ip('link', 'set', 'p0', 'type', 'bridge_slave', 'locked', 'on');
  if (locked(ns) === undefined) {
    skipInside(t, 'kernel:IFLA_BRPORT_LOCKED', 'kernel lacks IFLA_BRPORT_LOCKED: ip -d shows no locked flag on a bridge port', '5.18');
    return;
  }
  const h = Handle.open({ netns: ns.name });
  t.teardown(() => h.close());
  const index = Number(ns.ipJson<{ ifindex: number }[]>('link', 'show', 'p0')[0]!.ifindex);
  const want = await portOptions(h, index);
  t.truthy(want);
  ns.ip('link', 'set', 'p0', 'type', 'bridge_slave', 'locked', 'off');
  const cur = await portOptions(h, index);
  t.is(locked(ns), false);

  const before = await ipSnapshot(ns.name);
  const err = await t.throwsAsync(setBridgePortOptions(h, index, want!, cur, { kernel: '5.10.0-46-amd64' }), { instanceOf: UnsupportedError });
  t.is(err!.code, 'UNSUPPORTED');
  t.is(err!.feature, 'IFLA_BRPORT_LOCKED');
  t.is(err!.minKernel, '5.18');
  t.regex(err!.message, /Linux 5\.10\.0-46-amd64 does not know IFLA_BRPORT_LOCKED \(Linux 5\.18\)/);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused request changed the namespace');
  t.is(locked(ns), false, 'nothing sent: the port is still unlocked');

  // this kernel knows it: given back, and iproute2 sees it
  await setBridgePortOptions(h, index, want!, cur);
  t.is(locked(ns), true);
});
