// Someone deletes the address (or moves it) by hand; bad configurations and missing privileges
// are refused at start with nothing changed.
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { isRoot } from '../helpers/netns.js';
import { cli, holder, type Lab, holders, makeLab, sleep, startDaemon, V4, V6, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();

/** Global addresses and routes: what the daemon could have changed (link-local DAD state moves on its own). */
function globalAddrs(lab: Lab): unknown {
  const links = lab.node.ipJson<{ ifname: string; addr_info?: { local: string; prefixlen: number; scope: string }[] }[]>('addr', 'show');
  return {
    addrs: links.map((l) => [l.ifname, (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`)]),
    routes4: lab.node.ipJson('-4', 'route', 'show'),
    routes6: lab.node.ipJson<{ dst: string }[]>('-6', 'route', 'show').filter((r) => !r.dst.startsWith('fe80')),
  };
}
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);

testIf('root')(title('an address deleted by hand is put back on the holder and the restore is logged'), async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  lab.node.ip('addr', 'del', `${V4}/24`, 'dev', 'eth0');
  const r = await d.waitLog((e) => e.event === 'restore', 10_000, 'restore');
  t.regex(String(r.reason), /192\.0\.2\.10\/24 missing on eth0 \(deleted by hand or by the kernel\); put back/);
  await waitHolder(lab, 'eth0');
  // The kernel flushed the default route with the last IPv4 address; it must be back too.
  t.deepEqual(lab.node.ipJson<{ dev: string }[]>('-4', 'route', 'show', 'default').map((x) => x.dev), ['eth0']);

  lab.node.ip('addr', 'del', `${V6}/64`, 'dev', 'eth0');
  await d.waitLog((e) => e.event === 'restore' && String(e.reason).includes('2001:db8::10/64'), 10_000, 'IPv6 restore');
  await waitHolder(lab, 'eth0');

  // Someone adds it on the backup too: removed there, the holder keeps it.
  lab.node.ip('addr', 'add', `${V4}/24`, 'dev', 'eth1');
  const dd = await d.waitLog((e) => e.event === 'dedupe', 10_000, 'dedupe');
  t.regex(String(dd.reason), /also found on eth1; removed there/);
  await waitHolder(lab, 'eth0');
  t.deepEqual(await holders(lab), { v4: ['eth0'], v6: ['eth0'] });
});

testIf('root')(title('bad input: absent interface, gateway outside every prefix, empty candidates, no mgmt section: clear errors, nothing changed'), async (t) => {
  const lab = makeLab(t, 2);
  const before = globalAddrs(lab);
  const run = (cfg: string) => cli(['mgmt', 'run', '-n', lab.node.name, '--config', cfg, '--state-file', `${lab.dir}/s.json`, '--socket', `${lab.dir}/s.sock`]);

  const absent = await run(writeConfig(lab, { candidates: ['eth0', 'eth9'] }, 'absent.yaml'));
  t.is(absent.code, 4, absent.stderr);
  t.regex(absent.stderr, /nodectl: candidate interface "eth9" does not exist in network namespace nctl-t-/);

  const gw = `${lab.dir}/gw.yaml`;
  writeFileSync(gw, 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0]\n  gateway: { ipv4: 198.51.100.1 }\n');
  const g = await run(gw);
  t.is(g.code, 3, g.stderr);
  t.regex(g.stderr, /gw\.yaml:4:\d+: \/mgmt\/gateway\/ipv4: gateway 198\.51\.100\.1 is outside every IPv4 management prefix \(192\.0\.2\.10\/24\)/);

  const empty = `${lab.dir}/empty.yaml`;
  writeFileSync(empty, 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: []\n');
  const e = await run(empty);
  t.is(e.code, 3, e.stderr);
  t.regex(e.stderr, /empty\.yaml:3:\d+: \/mgmt\/candidates: the candidate list is empty: name at least one interface/);

  const net = `${lab.dir}/net.yaml`;
  writeFileSync(net, 'mgmt:\n  addresses: [192.0.2.0/24, 2001:db8::10]\n  candidates: [eth0, eth0]\n');
  const n = await run(net);
  t.is(n.code, 3, n.stderr);
  t.regex(n.stderr, /192\.0\.2\.0 is the network address/);
  t.regex(n.stderr, /invalid configuration \(3 problems\); nothing was changed/);

  const nomgmt = `${lab.dir}/nomgmt.yaml`;
  writeFileSync(nomgmt, 'interfaces: []\n');
  const nm = await run(nomgmt);
  t.is(nm.code, 3, nm.stderr);
  t.regex(nm.stderr, /no `mgmt:` section/);

  t.deepEqual(globalAddrs(lab), before, 'nothing changed in the namespace');
});

testIf('root')(title('without CAP_NET_ADMIN: a plain message, exit 5, nothing changed'), async (t) => {
  const lab = makeLab(t, 2);
  const before = globalAddrs(lab);
  const cfg = writeConfig(lab);
  chmodSync(lab.dir, 0o755);
  chmodSync(cfg, 0o644);
  const r = await cli(['mgmt', 'run', '--config', cfg, '--state-file', `${lab.dir}/s.json`, '--socket', `${lab.dir}/s.sock`], { uid: 65534 });
  t.is(r.code, 5, r.stderr);
  t.regex(r.stderr, /^nodectl: the management-IP failover daemon .* needs CAP_NET_ADMIN: run as root/m);
  t.deepEqual(globalAddrs(lab), before);
  t.is(await holder(lab), 'v4 on [] v6 on []');
});

testIf('root')(title('a candidate whose MAC changed announces with the new MAC after a move'), async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  const macOf = (ifname: string) => lab.node.ipJson<{ address: string }[]>('link', 'show', ifname)[0]!.address;
  // eth0's own announcements (the first placement's burst may still be on the wire) reach p1
  // through the switch's bridge: only frames sent by eth1 are about the move.
  const eth0Mac = macOf('eth0');
  const oldMac = macOf('eth1');
  lab.node.ip('link', 'set', 'eth1', 'address', '02:00:5e:00:53:99');
  const cap = spawn('ip', ['netns', 'exec', lab.sw.name, 'tcpdump', '-i', 'p1', '-nn', '-l', '-e', 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => cap.kill());
  let captured = '';
  cap.stdout.setEncoding('utf8').on('data', (s: string) => (captured += s));
  await new Promise<void>((r) => cap.stderr.setEncoding('utf8').on('data', (s: string) => s.includes('listening on') && r()));
  lab.sw.ip('link', 'set', 'p0', 'down');
  await waitHolder(lab, 'eth1');
  const t0 = Date.now();
  const garps = () => captured.split('\n')
    .filter((l) => /Request who-has 192\.0\.2\.10 tell 192\.0\.2\.10/.test(l) && !l.includes(` ${eth0Mac} > `));
  while (Date.now() - t0 < 10_000 && garps().length === 0) await sleep(20);
  const garp = garps()[0];
  t.truthy(garp, captured);
  t.regex(garp!, /^\S+ 02:00:5e:00:53:99 > ff:ff:ff:ff:ff:ff/);
  t.false(captured.includes(` ${oldMac} > `), `a frame with eth1's old MAC ${oldMac}:\n${captured}`);
});
