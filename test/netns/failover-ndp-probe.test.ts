// The IPv6 gateway probe (health.ndp_probe, issue 19) against the real kernel: the far end of
// the holder's veth holds the IPv6 gateway and answers our Neighbor Solicitations; when the
// gateway address goes away, or when all that comes back is a forged advertisement for another
// target, the probes miss and the addresses move. Only NDP is probed here (no arp_probe), so
// nothing but the NDP verdicts can move them.
import { buildUnsolicitedNa, icmpv6Checksum } from '../../src/arp/frames.js';
import { parseIPv6 } from '../../src/netlink/attr.js';
import { ETH_P, PacketSocket } from '../../src/netlink/packet.js';
import { isRoot } from '../helpers/netns.js';
import { cli, defaultRouteDev, holder, makeLab, startDaemon, waitHolder, writeConfig, START_MS, type Lab } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);
const GW6 = '2001:db8::1';
const NDP = '  health: { ndp_probe: { interval_ms: 200, allowed_misses: 2 } }';

/**
 * eth0's gateway on p0 itself, not through the bridge: p0 leaves br0 and gets its own copy of
 * 2001:db8::1 (the kernel answers an NS only for an address of the interface it came in on,
 * so without the copy nothing answers on eth0's path).
 */
function ownGateway(lab: Lab): void {
  lab.sw.ip('link', 'set', 'p0', 'nomaster');
  lab.sw.ip('addr', 'add', `${GW6}/64`, 'dev', 'p0', 'nodad');
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in\n${text}`);
  return Number(m[1]);
}

testIf('root')(title('NDP probe: the IPv6 gateway answers -> healthy; its address removed -> misses -> move; back -> healthy'), async (t) => {
  const lab = makeLab(t, 2);
  ownGateway(lab);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 300, preemptDelayMs: 300, extra: NDP }), ['--metrics', '127.0.0.1:0']);
  const url = String((await d.waitLog((e) => e.event === 'metrics', START_MS, 'metrics endpoint')).url);
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  t.is(await holder(lab), 'eth0');
  // answers are what keep eth0 healthy: the daemon saw one through eth0 (its status), and the
  // rtt histogram counts only validated answers
  let lastOk: number | null = null;
  for (let i = 0; i < 600 && lastOk === null; i++) {
    const st = await cli(['mgmt', 'status', '--json', '--socket', d.socketPath, '--state-file', d.statePath]);
    const s = JSON.parse(st.stdout) as { candidates: { name: string; ndpProbe?: { lastOkAt: number | null } }[] };
    lastOk = s.candidates.find((c) => c.name === 'eth0')?.ndpProbe?.lastOkAt ?? null;
  }
  t.not(lastOk, null, 'eth0\'s gateway answered an NDP probe');
  let text = await scrape(url);
  t.true(sample(text, 'nodectl_mgmt_probe_rtt_seconds_count') >= 1, 'answered probes are in the rtt histogram');
  t.is(d.logs.filter((e) => e.event === 'move').length, 0);

  lab.sw.ip('addr', 'del', `${GW6}/64`, 'dev', 'p0');
  const move = await d.waitLog((e) => e.event === 'move', 15_000, 'move on NDP probe failure');
  t.is(move.to, 'eth1');
  t.regex(String(move.reason), /eth0 unhealthy \(IPv6 gateway not answering NDP \(3 consecutive misses\)\)/);
  const warn = d.logs.find((e) => e.event === 'probe' && e.probe === 'ndp' && e.iface === 'eth0' && e.ok === false && e.misses === 3);
  t.is(warn?.level, 'warning', 'the miss that marks the path down is a warning line');
  const link = lab.node.ipJson<{ flags: string[] }[]>('link', 'show', 'eth0')[0]!;
  t.true(link.flags.includes('LOWER_UP'), 'carrier stayed up on eth0: only the probe saw the gateway go');
  await waitHolder(lab, 'eth1');
  t.deepEqual(defaultRouteDev(lab, 6), ['eth1']);
  text = await scrape(url);
  t.true(sample(text, 'nodectl_mgmt_probe_misses_total{interface="eth0"}') >= 3, 'misses counted per interface');

  lab.sw.ip('addr', 'add', `${GW6}/64`, 'dev', 'p0', 'nodad');
  const healthy = await d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'healthy', 15_000, 'eth0 healthy again');
  t.regex(String(healthy.why), /IPv6 gateway answers NDP/);
  await waitHolder(lab, 'eth0');
});

testIf('root')(title('NDP probe: a forged advertisement for another target does not count: misses -> move'), async (t) => {
  const lab = makeLab(t, 2);
  ownGateway(lab);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 300, preemptDelayMs: 300, extra: NDP }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  t.is(await holder(lab), 'eth0');

  // The real gateway goes; a forger on p0 answers every solicitation for it at once, from the
  // gateway's address, Solicited set, hop limit 255, unicast back, checksum right: all that
  // is wrong is the target. Counted as an answer, it would keep eth0 healthy for ever.
  const gw = parseIPv6(GW6)!;
  const other = parseIPv6('2001:db8::99')!;
  const mac = Buffer.from(lab.sw.ipJson<{ address: string }[]>('link', 'show', 'p0')[0]!.address.replace(/:/g, ''), 'hex');
  const forger = PacketSocket.open({ netns: lab.sw.name, ifname: 'p0', protocol: ETH_P.IPV6, ignoreOutgoing: true });
  t.teardown(() => forger.close());
  let forged = 0;
  forger.on('frame', (f) => {
    if (f.length < 78 || f[20] !== 58 || f[54] !== 135 || !f.subarray(62, 78).equals(gw)) return;
    const asker = Buffer.from(f.subarray(22, 38));
    const na = buildUnsolicitedNa(mac, other, { dstMac: Buffer.from(f.subarray(6, 12)), dstIp: asker });
    gw.copy(na, 22); // from the gateway's address
    na[58] = 0x60; // Solicited, Override
    na.writeUInt16BE(0, 56);
    na.writeUInt16BE(icmpv6Checksum(gw, asker, na.subarray(54)), 56);
    forger.send(na);
    forged++;
  });
  lab.sw.ip('addr', 'del', `${GW6}/64`, 'dev', 'p0');
  const move = await d.waitLog((e) => e.event === 'move', 15_000, 'move despite forged advertisements');
  t.is(move.to, 'eth1');
  t.regex(String(move.reason), /IPv6 gateway not answering NDP \(3 consecutive misses\)/);
  t.true(forged >= 3, `the forger answered the probes (${forged} forged advertisements)`);
  await waitHolder(lab, 'eth1');
});
