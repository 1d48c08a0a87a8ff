// ARP policy against the real kernel; /proc/sys/net/ipv4/conf/*/ read with `ip netns exec`
// is the oracle for every value nodectl reads or writes.
import { readFileSync } from 'node:fs';
import { ARP_KEY_NAMES, setArpPolicy, showArpPolicy } from '../../src/arp/policy.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { withHandle } from '../../src/netlink/handle.js';
import { getNetconf } from '../../src/netlink/inetconf.js';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const t0 = testIf('root');

function withVeth(t: Parameters<typeof netnsFor>[0]): Netns {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  return ns;
}

function sysctls(ns: Netns, row: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ARP_KEY_NAMES) out[k] = Number(ns.sysctl(`net/ipv4/conf/${row}/${k}`));
  return out;
}

t0('show reads every key of every row as /proc/sys has it', async (t) => {
  const ns = withVeth(t);
  ns.exec('sysctl', '-q', '-w', 'net.ipv4.conf.va.arp_ignore=2', 'net.ipv4.conf.va.arp_announce=1', 'net.ipv4.conf.all.arp_announce=2',
    'net.ipv4.conf.all.proxy_arp=1', 'net.ipv4.conf.default.arp_notify=1', 'net.ipv4.conf.vb.arp_filter=1', 'net.ipv4.conf.vb.drop_gratuitous_arp=1');
  const p = await showArpPolicy({ netns: ns.name });
  t.deepEqual(p.all, sysctls(ns, 'all'));
  t.deepEqual(p.default, sysctls(ns, 'default'));
  t.deepEqual(p.interfaces.map((r) => r.ifname).sort(), ['lo', 'va', 'vb']);
  for (const row of p.interfaces) {
    const own: Record<string, number> = {};
    for (const k of ARP_KEY_NAMES) own[k] = row.settings[k].value;
    t.deepEqual(own, sysctls(ns, row.ifname), row.ifname);
  }
  const va = p.interfaces.find((r) => r.ifname === 'va')!.settings;
  t.deepEqual(va.arp_ignore, { value: 2, effective: 2, source: 'interface' });
  t.deepEqual(va.arp_announce, { value: 1, effective: 2, source: 'all' });
  t.deepEqual(va.proxy_arp, { value: 0, effective: 1, source: 'all' });
  const one = await showArpPolicy({ netns: ns.name }, 'vb');
  t.deepEqual(one.interfaces.map((r) => r.ifname), ['vb']);
  t.deepEqual(one.interfaces[0]!.settings.arp_filter, { value: 1, effective: 1, source: 'interface' });
  const rows = await showArpPolicy({ netns: ns.name }, 'all');
  t.deepEqual(rows.interfaces, []);
  t.deepEqual(rows.all, sysctls(ns, 'all'));
});

t0('set changes several keys in one message and reads them back; sysctl agrees', async (t) => {
  const ns = withVeth(t);
  const vbBefore = sysctls(ns, 'vb');
  const r = await setArpPolicy({ netns: ns.name }, 'va', { arp_ignore: 1, arp_announce: 2, arp_accept: 2, proxy_arp: 1, drop_gratuitous_arp: 1 });
  t.is(r.via, 'rtnetlink');
  t.deepEqual(r.after, { arp_ignore: 1, arp_announce: 2, arp_accept: 2, proxy_arp: 1, drop_gratuitous_arp: 1 });
  t.deepEqual(r.changed.sort(), ['arp_accept', 'arp_announce', 'arp_ignore', 'drop_gratuitous_arp', 'proxy_arp']);
  const s = sysctls(ns, 'va');
  t.is(s.arp_ignore, 1);
  t.is(s.arp_announce, 2);
  t.is(s.arp_accept, 2);
  t.is(s.proxy_arp, 1);
  t.is(s.drop_gratuitous_arp, 1);
  t.deepEqual(sysctls(ns, 'vb'), vbBefore, 'the other interface is untouched');
  // setting the same again changes nothing
  const again = await setArpPolicy({ netns: ns.name }, 'va', { arp_ignore: 1 });
  t.deepEqual(again.changed, []);
});

t0('the all and default rows are set through /proc/sys and read back', async (t) => {
  const ns = withVeth(t);
  const hostAll = readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8');
  const r = await setArpPolicy({ netns: ns.name }, 'all', { arp_ignore: 8, arp_filter: 1 });
  t.is(r.via, 'sysctl');
  t.is(ns.sysctl('net/ipv4/conf/all/arp_ignore'), '8');
  t.is(ns.sysctl('net/ipv4/conf/all/arp_filter'), '1');
  const d = await setArpPolicy({ netns: ns.name }, 'default', { arp_announce: 2 });
  t.deepEqual(d.after, { arp_announce: 2 });
  t.is(ns.sysctl('net/ipv4/conf/default/arp_announce'), '2');
  // an interface created after the default changed inherits it
  ns.ip('link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd');
  t.is(ns.sysctl('net/ipv4/conf/vc/arp_announce'), '2');
  const p = await showArpPolicy({ netns: ns.name }, 'va');
  t.deepEqual(p.interfaces[0]!.settings.arp_ignore, { value: 0, effective: 8, source: 'all' });
  t.is(p.all.arp_ignore, 8);
  // the host's own rows were not touched (this runs in a namespace)
  t.is(readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8'), hostAll);
});

t0('netconf reports the all row\'s proxy_arp as /proc/sys does', async (t) => {
  const ns = withVeth(t);
  ns.exec('sysctl', '-q', '-w', 'net.ipv4.conf.all.proxy_arp=1');
  await withHandle({ netns: ns.name }, async (h) => {
    const all = await getNetconf(h, 'all');
    t.is(all.proxy_arp, 1);
    const dflt = await getNetconf(h, 'default');
    t.is(dflt.proxy_arp, 0);
  });
});

t0('bad input: unknown interface, key or value is one error and nothing changes', async (t) => {
  const ns = withVeth(t);
  const before = { va: sysctls(ns, 'va'), all: sysctls(ns, 'all'), default: sysctls(ns, 'default') };
  const e1 = await t.throwsAsync(setArpPolicy({ netns: ns.name }, 'nope0', { arp_ignore: 1 }));
  t.true(e1 instanceof NotFoundError);
  t.regex(e1!.message, /interface "nope0" does not exist/);
  const e2 = await t.throwsAsync(setArpPolicy({ netns: ns.name }, 'va', { arp_ignore: 1, arp_bogus: 1 }));
  t.true(e2 instanceof UsageError);
  t.regex(e2!.message, /unknown ARP key "arp_bogus"/);
  const e3 = await t.throwsAsync(setArpPolicy({ netns: ns.name }, 'va', { arp_announce: 1, arp_ignore: 5 }));
  t.regex(e3!.message, /arp_ignore=5 is out of range \(valid: 0, 1, 2, 3, 8\)/);
  const e4 = await t.throwsAsync(setArpPolicy({ netns: ns.name }, 'all', { arp_notify: 1, arp_announce: 3 }));
  t.regex(e4!.message, /arp_announce=3 is out of range \(valid: 0-2\)/);
  t.deepEqual({ va: sysctls(ns, 'va'), all: sysctls(ns, 'all'), default: sysctls(ns, 'default') }, before);
});
