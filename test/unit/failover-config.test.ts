// The mgmt section: defaults, meaning checks with positions, both file shapes; and the exact
// flag parsing of the oclif-free `mgmt run` entry.
import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { parseMgmtConfig } from '../../src/config/mgmt-file.js';
import { routeFamilies } from '../../src/failover/config.js';

function problems(text: string): string[] {
  try {
    parseMgmtConfig(text, 'm.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.reason}`);
    throw err;
  }
  return [];
}

test('a minimal mgmt-only file gets the documented defaults', (t) => {
  const c = parseMgmtConfig('mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0, eth1]\n');
  t.deepEqual(c.addresses, [{ address: '192.0.2.10', prefixlen: 24, family: 4 }]);
  t.deepEqual(c.candidates, ['eth0', 'eth1']);
  t.deepEqual(c.gateway, { ipv4: null, ipv6: null, defaultRoute: true, metric: 0 });
  t.is(c.probe, null);
  t.is(c.holdDownMs, 2000);
  t.is(c.preemptDelayMs, 10000);
  t.deepEqual(c.announce, { count: 3, intervalMs: 100, refreshMs: 30000 });
  t.deepEqual(routeFamilies(c), []);
});

test('full section: canonical IPv6, probe target defaults to the gateway, timeout capped by the interval', (t) => {
  const c = parseMgmtConfig([
    'mgmt:',
    '  addresses: [192.0.2.10/24, "2001:DB8:0::10/64"]',
    '  candidates: [eth0]',
    '  gateway: { ipv4: 192.0.2.1, ipv6: "fe80::1", metric: 5 }',
    '  health: { arp_probe: { interval_ms: 200, timeout_ms: 900, allowed_misses: 0 } }',
    '  damping: { hold_down_ms: 0, preempt_delay_ms: 0 }',
    '  announce: { count: 5, interval_ms: 0, refresh_ms: 0 }',
  ].join('\n'));
  t.is(c.addresses[1]!.address, '2001:db8::10');
  t.deepEqual(c.gateway, { ipv4: '192.0.2.1', ipv6: 'fe80::1', defaultRoute: true, metric: 5 });
  t.deepEqual(c.probe, { target: '192.0.2.1', intervalMs: 200, timeoutMs: 200, allowedMisses: 0 });
  t.deepEqual(routeFamilies(c), [4, 6]);
});

test('a whole node config with interfaces: and mgmt: is accepted; without mgmt: it is refused', (t) => {
  const c = parseMgmtConfig('interfaces: []\nmgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0]\n');
  t.deepEqual(c.candidates, ['eth0']);
  t.deepEqual(problems('interfaces: []\n'), ['1:1 : no `mgmt:` section: nothing for the failover daemon to manage']);
});

test('meaning errors: every one, at its line and column', (t) => {
  t.deepEqual(problems([
    'mgmt:',
    '  addresses: [192.0.2.0/24, 192.0.2.255/24, 10.0.0.1, fe80::1/64, 192.0.2.0/24]',
    '  candidates: [eth0, eth0]',
    '  gateway: { ipv4: 198.51.100.1, ipv6: "2001:db9::1" }',
    '  health: { arp_probe: { target: 203.0.113.1 } }',
  ].join('\n')), [
    '2:15 /mgmt/addresses/0: 192.0.2.0 is the network address of 192.0.2.0/24, not a host address in it',
    '2:29 /mgmt/addresses/1: 192.0.2.255 is the broadcast address of 192.0.2.255/24, not a host address in it',
    '2:45 /mgmt/addresses/2: "10.0.0.1" has no prefix length: write ADDRESS/PREFIX, e.g. 192.0.2.10/24',
    '2:55 /mgmt/addresses/3: fe80::1 is link-local or loopback: a management address must be routable',
    '2:67 /mgmt/addresses/4: 192.0.2.0 is the network address of 192.0.2.0/24, not a host address in it',
    '3:22 /mgmt/candidates/1: eth0 is listed twice: each candidate has one priority',
    '4:20 /mgmt/gateway/ipv4: gateway 198.51.100.1 is outside every IPv4 management prefix (none configured): it would be unreachable',
    '4:40 /mgmt/gateway/ipv6: gateway 2001:db9::1 is neither link-local nor inside an IPv6 management prefix: it would be unreachable',
    '5:34 /mgmt/health/arp_probe/target: probe target 203.0.113.1 is outside every IPv4 management prefix: it cannot answer ARP on that link',
  ]);
});

test('damping.preempt: default true; false is kept; false with a preempt delay is refused at the delay', (t) => {
  const base = 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0, eth1]\n';
  t.true(parseMgmtConfig(base).preempt);
  t.false(parseMgmtConfig(`${base}  damping: { preempt: false, hold_down_ms: 100 }\n`).preempt);
  t.deepEqual(problems(`${base}  damping:\n    preempt: false\n    preempt_delay_ms: 5000\n`), [
    '6:23 /mgmt/damping/preempt_delay_ms: preempt_delay_ms has no effect with preempt: false (the addresses never move back by themselves); remove one of the two',
  ]);
  t.deepEqual(problems(`${base}  damping: { preempt: "no" }\n`).map((p) => p.replace(/:.*?: /, ': ')).length, 1, 'not a boolean: one problem');
});

test('hooks: absolute paths kept, default timeout; a relative program refused at its position', (t) => {
  const base = 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0, eth1]\n';
  t.deepEqual(parseMgmtConfig(base).hooks, { onMove: null, onHealth: null, timeoutMs: 10000 });
  t.deepEqual(parseMgmtConfig(`${base}  hooks: { on_move: /usr/local/bin/m, timeout_ms: 500 }\n`).hooks, { onMove: '/usr/local/bin/m', onHealth: null, timeoutMs: 500 });
  t.deepEqual(problems(`${base}  hooks:\n    on_health: notify.sh\n`), [
    '5:16 /mgmt/hooks/on_health: "notify.sh" is not an absolute path: hooks run without a shell, give the program\'s full path',
  ]);
});

test('empty lists and shape errors say what is wrong', (t) => {
  t.deepEqual(problems('mgmt:\n  addresses: []\n  candidates: []\n'), [
    '2:14 /mgmt/addresses: no management address: give at least one ADDRESS/PREFIX',
    '3:15 /mgmt/candidates: the candidate list is empty: name at least one interface',
  ]);
  const p = problems('mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0]\n  dampin: {}\n  announce: { count: 0 }\n');
  t.true(p.some((x) => x.startsWith('4:3 /mgmt/dampin: unknown key "dampin"')), p.join('\n'));
  t.true(p.some((x) => x.startsWith('5:22 /mgmt/announce/count: 0 is out of range (1-100)')), p.join('\n'));
  t.deepEqual(problems('mgmt: 3\nfoo: 1\n').map((x) => x.split(': ')[0]), ['1:7 /mgmt', '2:1 /foo']);
});

test('mgmt run reads by the rules of config validate: tags, nesting, addresses no interface may have', (t) => {
  t.deepEqual(problems('mgmt:\n  addresses: [!foo 192.0.2.10/24]\n  candidates: [eth0]\n'), ['2:15 : unknown tag !foo: a node config uses plain YAML (only the core tags such as !!str are understood)']);
  t.regex(problems(`mgmt: ${'['.repeat(5000)}\n`)[0]!, /^1:\d+ : nesting deeper than 64 levels/);
  t.deepEqual(problems('mgmt:\n  addresses: [224.0.0.5/24, 127.0.0.5/8, 10.0.0.1/0]\n  candidates: [eth0]\n'), [
    '2:15 /mgmt/addresses/0: 224.0.0.5 is a multicast address: an interface address must be unicast',
    '2:29 /mgmt/addresses/1: 127.0.0.5 is a loopback address (127.0.0.0/8): it belongs on lo, not on a candidate',
    '2:42 /mgmt/addresses/2: prefix length /0 makes every IPv4 address on-link through a candidate (a default route): give the real prefix, e.g. /24',
  ]);
  // a whole node config: one address in both places is refused, as validate refuses it
  t.deepEqual(problems('interfaces:\n  - {name: eth0, kind: device, addresses: [192.0.2.10/24]}\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth0]}\n'), [
    '2:44 /interfaces/0/addresses/0: 192.0.2.10 is also a management address (mgmt: at line 3): the failover daemon moves it between candidates; declare it only under mgmt:',
  ]);
});

test('ndp_probe: target defaults to gateway.ipv6; an IPv4, foreign or missing target is refused at its place', (t) => {
  const base = 'mgmt:\n  addresses: [192.0.2.10/24, "2001:db8::10/64"]\n  candidates: [eth0, eth1]\n';
  const c = parseMgmtConfig(`${base}  gateway: { ipv6: "2001:DB8::1" }\n  health: { ndp_probe: { interval_ms: 200, timeout_ms: 900, allowed_misses: 1 } }\n`);
  t.deepEqual(c.ndpProbe, { target: '2001:db8::1', intervalMs: 200, timeoutMs: 200, allowedMisses: 1 });
  t.is(c.probe, null, 'the ARP probe stays off unless asked for');
  t.is(parseMgmtConfig(base).ndpProbe, null);
  t.is(parseMgmtConfig(`${base}  health: { ndp_probe: { target: "fe80::1" } }\n`).ndpProbe?.target, 'fe80::1');
  t.deepEqual(problems(`${base}  health: { ndp_probe: {} }\n`), [
    '4:24 /mgmt/health/ndp_probe: an NDP probe needs a target: set ndp_probe.target or gateway.ipv6',
  ]);
  t.deepEqual(problems(`${base}  health: { ndp_probe: { target: 192.0.2.1 } }\n`), [
    '4:34 /mgmt/health/ndp_probe/target: "192.0.2.1" is not an IPv6 address without a zone (NDP is IPv6 only)',
  ]);
  t.deepEqual(problems(`${base}  health: { ndp_probe: { target: "2001:db9::1" } }\n`), [
    '4:34 /mgmt/health/ndp_probe/target: probe target 2001:db9::1 is neither link-local nor inside an IPv6 management prefix: it cannot answer NDP on that link',
  ]);
});

test('an alias to a later anchor is a config problem at its place, not an internal error', (t) => {
  // toJS() used to throw a ReferenceError (exit 70) from the mgmt loader
  const p = problems('mgmt: *a\nother: &a 1\n');
  t.is(p.length, 1);
  t.regex(p[0]!, /^1:7 : Unresolved alias/);
});
