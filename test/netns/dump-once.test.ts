// The one-shot dump (src/netlink/dump-once.ts, native netlinkDumpOpen/Read) that `link list` uses instead
// of a Handle: same links as the Handle path and iproute2, same errors, and no namespace left behind.
import native from '../../native/index.js';
import { NetlinkError, NotFoundError } from '../../src/errors.js';
import { RTM, withHandle } from '../../src/netlink/handle.js';
import { dumpEach } from '../../src/netlink/dump-once.js';
import { decodeLink, type Link, listLinks, listLinksOnce } from '../../src/netlink/link.js';
import { bridgeTopology, netnsFor, rootTitle } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

testIf('root')(rootTitle('listLinksOnce returns what listLinks over a Handle returns, in ifindex order'), async (t) => {
  const ns = netnsFor(t);
  bridgeTopology(ns);
  // Nothing may move between the two dumps: no counters (IPv6 solicitations on up links), no
  // state changes (a bridge port still settling), so every link goes down again.
  for (const l of ['lo', 'br0', 'p1a', 'p1b', 'p2a', 'mv0']) ns.ip('link', 'set', l, 'down');
  for (let i = 0; i < 150; i++) ns.ip('link', 'add', `x${i}a`, 'type', 'veth', 'peer', 'name', `x${i}b`);
  const before = native.netnsCurrentInode();
  const once = listLinksOnce(ns.name);
  t.is(native.netnsCurrentInode(), before, 'the main thread is back in its own namespace');
  const viaHandle = await withHandle({ netns: ns.name }, listLinks);
  t.true(once.length > 300, `a dump spanning many receives (${once.length} links)`);
  t.deepEqual(once, viaHandle);
  const streamed: Link[] = [];
  dumpEach(ns.name, RTM.GETLINK, Buffer.alloc(16), {}, (buf, type, s, e) => {
    if (type === RTM.NEWLINK) streamed.push(decodeLink(buf, s, e));
  });
  t.deepEqual(streamed, viaHandle, 'the unindexed form, decoded from the reused receive buffer, holds the same links');
  t.deepEqual(once.map((l) => l.name), ns.ipJson<{ ifname: string }[]>('link', 'show').map((l) => l.ifname));
});

testIf('root')(rootTitle('dumpEach: a refusal is a NetlinkError with errno and op; a missing namespace is NotFound'), (t) => {
  const ns = netnsFor(t);
  // RTM_GETMULTICAST (58) has a dump only for AF_INET6: for AF_UNSPEC the kernel refuses it.
  const err = t.throws(() => dumpEach(ns.name, 58, Buffer.alloc(4), { action: 'list multicast groups' }, () => undefined));
  t.true(err instanceof NetlinkError, String(err));
  t.is((err as NetlinkError).errno, 'EOPNOTSUPP');
  t.is(err!.message, 'cannot list multicast groups: RTM_58 EOPNOTSUPP: operation not supported');
  t.throws(() => listLinksOnce('nctl-no-such-namespace'), { instanceOf: NotFoundError });
});
