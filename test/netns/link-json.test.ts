// `nodectl link list --json` on the fast path is written natively (native/src/link_json.cc):
// on live namespaces it must print exactly what the oclif command prints (the TypeScript decoder
// + JSON.stringify), every link kind the decoder knows included, and fall back to the TypeScript
// path for links it cannot render exactly. Kinds this host's kernel lacks (vlan, bond, dummy)
// run in the VM (scripts/vm); here they say which kernel answer made them skip.
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, netnsFor, rootTitle } from '../helpers/netns.js';
import { writeLinkListJson } from '../../src/netlink/link-json.js';
import { sinceKernel, testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** Counters must not move between the reads compared: no IPv6 (no DAD, no router solicitations). */
function quietNetns(t: ExecutionContext): Netns {
  const ns = netnsFor(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.lo.disable_ipv6=1');
  return ns;
}

function cli(ns: Netns, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'link', 'list', '--json', '-n', ns.name], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What writeLinkListJson wrote (or null when it declined), in-process, to a file. */
function nativeOnly(ns: Netns, indent: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-linkjson-'));
  try {
    const file = join(dir, 'out.json');
    const fd = openSync(file, 'w');
    let wrote: boolean;
    try {
      wrote = writeLinkListJson(ns.name, indent, fd);
    } finally {
      closeSync(fd);
    }
    const text = readFileSync(file, 'utf8');
    if (!wrote) return text === '' ? null : `declined but wrote ${text.length} bytes`;
    return text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The native writer took these links (no fallback) and every path prints the same bytes. The
 * links' counters move on their own (IPv6 DAD, MLD reports), so the five readings count only
 * when oclif's reading after them is the one before them; otherwise they are taken again.
 */
function assertSame(t: ExecutionContext, ns: Netns, what: string): void {
  for (let i = 0; ; i++) {
    const oclif = cli(ns, { NODECTL_NO_FAST: '1' });
    t.is(oclif.status, 0, `${what}: oclif ran (${oclif.stderr})`);
    const fast = cli(ns);
    const tsFast = cli(ns, { NODECTL_NO_NATIVE_JSON: '1' });
    const native = nativeOnly(ns, 0);
    const indented = nativeOnly(ns, 2);
    if (cli(ns, { NODECTL_NO_FAST: '1' }).stdout !== oclif.stdout && i < 20) continue;
    t.is(native, oclif.stdout, `${what}: the native writer, not a fallback, prints oclif's bytes`);
    t.is(fast.stdout, oclif.stdout, `${what}: nodectl link list --json (fast path)`);
    t.is(fast.status, 0);
    t.is(fast.stderr, '');
    t.is(tsFast.stdout, oclif.stdout, `${what}: the fast path's TypeScript fallback`);
    // Indented as writeJson indents for a terminal.
    t.is(indented, JSON.stringify(JSON.parse(oclif.stdout), null, 2) + '\n', `${what}: indented`);
    return;
  }
}


testIf('root')(rootTitle('link list --json: native writer = oclif on bridge, veth, macvlan, loopback, down and no-carrier links'), (t) => {
  const ns = quietNetns(t);
  // a querier itself: the kernel reports the elected querier (IFLA_BR_MCAST_QUERIER_STATE, a nest)
  ns.ip('link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '500', 'ageing_time', '10000', 'priority', '4096', 'mcast_querier', '1');
  ns.ip('link', 'add', 'p1a', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'add', 'p2a', 'type', 'veth', 'peer', 'name', 'p2b');
  ns.ip('link', 'set', 'p1a', 'master', 'br0');
  ns.ip('link', 'set', 'p2a', 'master', 'br0');
  ns.ip('link', 'set', 'dev', 'p2a', 'type', 'bridge_slave', 'cost', '7', 'priority', '9', 'learning', 'off');
  // a link named inside slaveData: the native writer fills it in after the whole dump
  ns.ip('link', 'set', 'dev', 'p1a', 'type', 'bridge_slave', 'backup_port', 'p2a');
  for (const mode of ['bridge', 'private', 'vepa', 'source']) {
    ns.ip('link', 'add', 'link', 'p1b', 'name', `mv-${mode}`, 'type', 'macvlan', 'mode', mode);
  }
  ns.ip('link', 'add', 'link', 'p2b', 'name', 'mv-pt', 'type', 'macvlan', 'mode', 'passthru');
  // Up without carrier (its peer is down), down, odd MTU/txqlen/group, alias and altname.
  ns.ip('link', 'add', 'nc0', 'type', 'veth', 'peer', 'name', 'nc1');
  ns.ip('link', 'set', 'nc0', 'up');
  ns.ip('link', 'set', 'dev', 'nc1', 'mtu', '9000', 'txqueuelen', '5000', 'group', '5', 'address', '02:00:00:00:00:99');
  ns.ip('link', 'set', 'dev', 'nc1', 'alias', 'uplink "A"\\\t\u00e9 \u20ac\n2');
  ns.ip('link', 'property', 'add', 'dev', 'p1a', 'altname', 'a-very-long-alternative-name-0', 'altname', 'alt1');
  for (const l of ['lo', 'br0', 'p1a', 'p1b', 'p2a', 'mv-bridge']) ns.ip('link', 'set', l, 'up');
  // Counters that are not zero: a few datagrams over loopback (no neighbour, no probe), then silence.
  ns.exec(process.execPath, '-e', `const s = require('node:dgram').createSocket('udp4');
    let n = 0; const send = () => s.send('x', 9, '127.0.0.1', () => (++n < 3 ? setTimeout(send, 50) : s.close())); send();`);
  const links = JSON.parse(cli(ns).stdout) as { ifname: string; flags: string[]; stats64: { tx: { packets: number } }; linkinfo: { info_data: object; info_slave_data: object } }[];
  const by = new Map(links.map((l) => [l.ifname, l]));
  t.true(by.get('nc0')!.flags.includes('NO-CARRIER'), 'a no-carrier link is part of the set');
  t.like(by.get('p1a')!.linkinfo.info_slave_data, { backup_port: 'p2a' }, 'a backup port, by name');
  if (sinceKernel(t, 'IFLA_BR_MCAST_QUERIER_STATE', '5.15', 'no querier state to write')) {
    t.true('mcast_querier_state_ipv4' in by.get('br0')!.linkinfo.info_data, 'the querier state is part of the set');
  }
  t.true(by.get('lo')!.stats64.tx.packets > 0, 'counters are not all zero');
  assertSame(t, ns, 'host kinds');
});

testIf('root')(rootTitle('link list --json: a veth whose peer is in another namespace names both, through the TypeScript path'), (t) => {
  const ns = quietNetns(t);
  const other = quietNetns(t);
  ns.ip('link', 'add', 'far0', 'type', 'veth', 'peer', 'name', 'far1', 'netns', other.name);
  ns.ip('link', 'add', 'near0', 'type', 'veth', 'peer', 'name', 'near1');
  // The native writer cannot name another namespace from one dump: it declines, writing nothing.
  t.is(nativeOnly(ns, 0), null, 'the native writer declines');
  const oclif = cli(ns, { NODECTL_NO_FAST: '1' });
  const fast = cli(ns);
  t.is(oclif.status, 0, oclif.stderr);
  t.is(fast.status, 0, fast.stderr);
  t.is(fast.stdout, oclif.stdout, 'the fast path prints what oclif prints');
  const by = new Map((JSON.parse(fast.stdout) as { ifname: string; peer: string | null; link_netns?: string | null }[]).map((l) => [l.ifname, l]));
  const ipFar = ns.ipJson<{ link_index: number; link_netnsid: number }[]>('-d', 'link', 'show', 'far0')[0]!;
  const ipPeer = other.ipJson<{ ifindex: number }[]>('link', 'show', 'far1')[0]!;
  t.is(ipFar.link_index, ipPeer.ifindex, 'iproute2: far0 points at far1 over there');
  // ip's keys for the far end as ip has them (link_index, link_netnsid; no link: ip cannot name it here), nodectl's names besides
  t.like(by.get('far0'), { peer: 'far1', link_netns: other.name, link: null, link_index: ipPeer.ifindex, link_netnsid: ipFar.link_netnsid, linkinfo: { info_kind: 'veth', info_data: null } });
  // a link without a foreign end has no link_netns key
  t.false('link_netns' in by.get('near0')!, 'no link_netns on a local pair');
  t.like(by.get('near0'), { peer: 'near1', link: 'near1', link_netnsid: null });
  // and the far end, seen from its own namespace, names this one
  const back = new Map((JSON.parse(cli(other).stdout) as { ifname: string; peer: string | null; link_netns?: string | null }[]).map((l) => [l.ifname, l]));
  t.like(back.get('far1'), { peer: 'far0', link_netns: ns.name });
});

testIf('root', 'vlan')(rootTitle('link list --json: native writer = oclif on vlan (802.1Q, 802.1ad, flags)'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'low0', 'type', 'veth', 'peer', 'name', 'low1');
  ns.ip('link', 'add', 'link', 'low0', 'name', 'low0.100', 'type', 'vlan', 'id', '100');
  ns.ip('link', 'add', 'link', 'low0', 'name', 'qinq', 'type', 'vlan', 'protocol', '802.1ad', 'id', '200', 'gvrp', 'on', 'loose_binding', 'on', 'reorder_hdr', 'off');
  ns.ip('link', 'add', 'link', 'qinq', 'name', 'qinq.5', 'type', 'vlan', 'id', '5');
  assertSame(t, ns, 'vlan');
});

testIf('root', 'bond')(rootTitle('link list --json: native writer = oclif on bond and bond slaves'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'bond0', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100', 'updelay', '200', 'downdelay', '200');
  ns.ip('link', 'add', 'bond1', 'type', 'bond', 'mode', 'balance-xor', 'xmit_hash_policy', 'layer3+4', 'arp_interval', '1000', 'arp_ip_target', '192.0.2.1,192.0.2.2', 'arp_validate', 'all');
  ns.ip('link', 'add', 'bond2', 'type', 'bond', 'mode', '802.3ad', 'lacp_rate', 'fast', 'min_links', '1');
  for (const [port, bond] of [['s0', 'bond0'], ['s1', 'bond0'], ['s2', 'bond1']] as const) {
    ns.ip('link', 'add', port, 'type', 'veth', 'peer', 'name', `${port}p`);
    ns.ip('link', 'set', port, 'master', bond);
  }
  // named inside kindData (as ip's primary): the native writer fills it in after the whole dump
  ns.ip('link', 'set', 'bond0', 'type', 'bond', 'primary', 's1');
  const bond0 = (JSON.parse(cli(ns).stdout) as { ifname: string; linkinfo: { info_data: object } }[]).find((l) => l.ifname === 'bond0')!;
  t.like(bond0.linkinfo.info_data, { primary: 's1' });
  assertSame(t, ns, 'bond');
});

testIf('root', 'dummy')(rootTitle('link list --json: native writer = oclif on dummy'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'd0', 'type', 'dummy');
  ns.ip('link', 'add', 'd1', 'type', 'dummy');
  ns.ip('link', 'set', 'd1', 'up');
  assertSame(t, ns, 'dummy');
});

testIf('root', 'macvtap')(rootTitle('link list --json: native writer = oclif on macvtap'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'low0', 'type', 'veth', 'peer', 'name', 'low1');
  ns.ip('link', 'add', 'link', 'low0', 'name', 'tap0', 'type', 'macvtap', 'mode', 'bridge');
  assertSame(t, ns, 'macvtap');
});

testIf('root')(rootTitle('link list --json: a link the native writer cannot render exactly sends the whole list down the TypeScript path'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  t.not(nativeOnly(ns, 0), null, 'taken natively before');
  // An alias that is not UTF-8: the TypeScript decoder prints U+FFFD for the bad byte.
  ns.exec('sh', '-c', 'ip link set dev v1 alias "$(printf "bad\\377alias")"');
  t.is(nativeOnly(ns, 0), null, 'the native writer declines, writing nothing');
  const oclif = cli(ns, { NODECTL_NO_FAST: '1' });
  const fast = cli(ns);
  t.is(fast.status, 0);
  t.is(fast.stdout, oclif.stdout, 'the fast path prints what oclif prints');
  t.true(fast.stdout.includes('bad\ufffdalias'), 'the fallback is what printed the alias');
});

testIf('root')(rootTitle('link list --json: a failing stdout (ENOSPC) ends both writers with status 1 and one error report'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  for (const env of [{}, { NODECTL_NO_NATIVE_JSON: '1' }]) {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [bin, 'link', 'list', '--json', '-n', ns.name], { encoding: 'utf8', stdio: ['ignore', full, 'pipe'], env: { ...process.env, ...env } });
      t.is(r.status, 1, `${JSON.stringify(env)}: exit status`);
      t.regex(r.stderr, /ENOSPC/, `${JSON.stringify(env)}: the errno`);
      // One fatal error (Node ends each with its version line), not the native writer's and then a fallback's.
      t.is(r.stderr.match(/^Node\.js v/gm)?.length, 1, `${JSON.stringify(env)}: one error: ${r.stderr}`);
    } finally {
      closeSync(full);
    }
  }
});

// script(1) (util-linux) runs nodectl on a pseudo-terminal
testIf('root', 'cmd:script')(rootTitle('link list --json on a terminal: indented as oclif indents it'), (t) => {
  const ns = quietNetns(t);
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'p1a', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'set', 'p1a', 'master', 'br0');
  const onTty = (env: Record<string, string>): string => {
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${bin}" link list --json -n ${ns.name}`, '/dev/null'], {
      encoding: 'utf8', env: { ...process.env, ...env },
    });
    t.is(r.status, 0, `${JSON.stringify(env)}: ${r.stderr}`);
    return r.stdout;
  };
  const native = onTty({});
  t.is(native, onTty({ NODECTL_NO_FAST: '1' }), 'native writer = oclif on a terminal');
  t.is(native, onTty({ NODECTL_NO_NATIVE_JSON: '1' }), 'native writer = the TypeScript fast path on a terminal');
  t.regex(native, /^\[\r\n {2}\{\r\n {4}"ifindex": 1,/, 'indented by two');
});
