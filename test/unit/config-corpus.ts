// Config texts for the tests that compare the quick reader with the full loader: every config
// text written in this repository (docs' yaml blocks, tests' literal files), edge cases, and
// deterministic near-misses of them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir))) {
    const p = join(dir, e);
    if (statSync(join(root, p)).isDirectory()) out.push(...files(p, ext));
    else if (ext.test(e)) out.push(p);
  }
  return out;
}

/** Config texts written in this repository: docs' yaml blocks and tests' literal files. */
export function corpus(): string[] {
  const texts: string[] = [];
  for (const f of [...files('docs', /\.md$/), 'README.md']) {
    for (const m of readFileSync(join(root, f), 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)) texts.push(m[1]!);
  }
  for (const f of [...files('test', /\.ts$/), ...files('src', /\.ts$/)]) {
    const src = readFileSync(join(root, f), 'utf8');
    // string and template literals that hold a file; interpolations become a plain word
    for (const m of src.matchAll(/`((?:interfaces|mgmt):[^`]*)`/g)) texts.push(m[1]!.replace(/\$\{[^}]*\}/g, 'v1').replace(/\\n/g, '\n'));
    for (const m of src.matchAll(/'((?:interfaces|mgmt):(?:[^'\\\n]|\\.)*)'/g)) texts.push(m[1]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1'));
  }
  return texts;
}

// what `config export` and other tools write: the yaml package's own block style
const WRITTEN = {
  interfaces: [
    { name: 'eth0', kind: 'device', mtu: 9000, addresses: ['192.0.2.1/24', { address: '192.0.2.2/24', label: 'eth0:1' }, { address: '2001:db8::1/64', nodad: true }] },
    { name: 'br0', kind: 'bridge', ports: ['eth0'], bridge: { stp: false, vlan_filtering: true }, arp: { arp_ignore: 1 } },
    { name: 'mv0', kind: 'macvlan', link: 'eth0', macvlan: { mode: 'bridge' }, mac: '02:00:00:00:00:01', alias: 'uplink: primary # 1', up: false },
  ],
};
export const written = stringify(WRITTEN);

const MGMT = { addresses: ['192.0.2.10/24', '2001:db8::10/64'], candidates: ['eth0', 'eth1'], gateway: { ipv4: '192.0.2.1', ipv6: '2001:db8::1', default_route: true }, health: { arp_probe: { interval_ms: 100, allowed_misses: 3 } }, announce: { count: 3, interval_ms: 50, refresh_ms: 0 } };

// JSON files (YAML 1.2 reads JSON): as tools write them, and the cases where YAML and
// JSON.parse could part ways (the quick reader must give up on each or read it as the package)
export const JSON_TEXTS = [
  JSON.stringify(WRITTEN, null, 2), JSON.stringify(WRITTEN), `${JSON.stringify(WRITTEN, null, '    ')}\n`,
  JSON.stringify({ mgmt: MGMT }, null, 2), JSON.stringify({ $schema: 'x', mgmt: MGMT }),
  `${JSON.stringify({ interfaces: [{ name: 'eth0', kind: 'device' }, { name: 'eth1', kind: 'device' }], mgmt: MGMT }, null, 2)}\n`,
  '{"a": 1, "a": 2}', '{"a": {"b": 1, "b": 2}}', '{"a": [{"b": 1, "b": 2}]}', '{"__proto__": 1}', '{"a": {"__proto__": {"b": 1}}}',
  '{"a": -0}', '{"a": 1.5}', '{"a": 1.0}', '{"a": 1e2}', '{"a": 1e400}', '{"a": 12345678901234567890}', '{"a": 9007199254740993}',
  '{"a": "x\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\t\\"\\\\"}', '{"a": "\\ud800"}', '{"a": "😀é"}', '{"a": "\u0085"}', '{"a": "\u00a0"}', '{"a": "\u2028"}',
  '{"a":\t1}', '{"a": 1}\r\n', '{\r\n"a": 1\r\n}', '\ufeff{"a": 1}', '{"a"\n: 1}', '{"a":\n1}', '{\n"a": [\n1,\n2\n]\n}', '{\n  "a": {\n"b": 1}\n}',
  '{"a": "#b", "c": "d: e", "f": "- g", "h": "&i *j !k %l @m `n", "o": "x #y"}', '{"a": "---", "b": "..."}', '{\n"a":\n"---"\n}',
  `{"${'k'.repeat(1100)}": 1}`, `{"a": "${'v'.repeat(1100)}"}`, '{"a": 1} ', '{"a": 1}\n\n', '{}', '{"a": []}', '{"a": [{}, [], null, true, false]}',
  '{ "a" : 1 }', '{"a": 1}x', '{"a": 1, }', '{"a": 1}\n# c\n', '{"a": "b"} # c', '{"": 1}', '{"a b": "c"}', '{"interfaces": [], "mgmt": null}',
];

export const EDGE = [
  written,
  ...JSON_TEXTS,
  'interfaces:\n  - {name: eth0, kind: device}\n',
  'interfaces:\n- name: eth0\n  kind: device\nmgmt: {}\n',
  'interfaces:\n  - name: br0\n    kind: bridge\n    ports:\n    - eth0\n    mtu: 9000\n  - {name: eth0, kind: device, master: br0}\n',
  'interfaces:\n  - name: v\n    addresses: [10.0.0.1/24, "fe80::1/64", {address: 2001:db8::1/64, nodad: true}]\n',
  'interfaces:\n  - name: v\n    mac: 02:00:00:00:00:01\n    alias: "a # b"\n    x: \'it\'\'s\'\n',
  'a: 1\nb: -2\nc: +3\nd: 0100\ne: 1.5\nf: 0x10\ng: 0o7\nh: .inf\ni: ~\nj: null\nk: True\nl: yes\nm: no\nn: 1e3\no:\n',
  'a: [1, -2, +3, 1.5, 0x10, ~, true, "x", \'y\', [], {}]\n',
  'a: {b: 1, c: {d: [e, f]}}\n',
  'a: b: c\n', 'a: b\n  c\n', 'a:\n  - x\n  y: 1\n', 'a: [1, 2,]\n', 'a: [1, 2\n', 'a: {b}\n', 'a: {b:1}\n',
  'a: 1\na: 2\n', 'a: {b: 1, b: 2}\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: >\n  text\n',
  '---\na: 1\n', 'a: 1\n---\nb: 2\n', '%YAML 1.2\n---\na: 1\n', 'a:\tb\n', 'a: "x\\ny"\n', 'a: b #c\n', 'a: b#c\n',
  'a: [b #c]\n', 'a: {b: c#d}\n', '- a\n- b\n', '- a\nb: 1\n', '  a: 1\n', 'a:\n    b: 1\n   c: 2\n', 'a:\n  b: 1\n c: 2\n',
  '"a": 1\n', 'a b: 1\n', 'true: 1\n', '1: 2\n', '__proto__: 1\n', 'a: 12345678901234567890\n', 'a: -\n', 'a: - b\n',
  '- - a\n', '-\n  a: 1\n', 'a: ? b\n', 'a: @b\n', 'a: `b`\n', 'a: %b\n', 'a: "b" c\n', "a: 'b\n", 'a: [a: b]\n',
  'a: [-1]\n', 'a: b\u00a0\n', 'a: \u00a0b\n', 'a:\u00a0b\n', '\u00a0a: 1\n', 'a: [b\u00a0, c]\n', 'a: {b: \u00a0}\n', 'a: b\u2028c\n', 'a: http://x/y\n', 'a: x:y\n', 'a: x:\n', 'a:  spaced  \n', '# only\n', '', '\n\n', 'a: 1 # one\n# two\nb: 2\n',
  'interfaces:\n  - name: e\n    arp: {arp_ignore: 1, arp_announce: 2}\n    vlan:\n      id: 100\n      protocol: 802.1ad\n',
];


/** Near-misses of every text: a character removed, added or replaced by one that means something in YAML. */
export function mutations(perText = 30): string[] {
  let seed = 7;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const specials = [':', ' ', '-', '#', ',', '[', ']', '{', '}', '"', "'", '\n', '  ', 'x', '0', '~', '&', '*', '!', '?', '\u00a0', '\u2028', '\ufeff', '\t', '.', 'e'];
  const out: string[] = [];
  for (const base of [...corpus(), ...EDGE]) {
    if (!base) continue;
    for (let k = 0; k < perText; k++) {
      const at = rand(base.length);
      const what = rand(3);
      if (what === 0) out.push(base.slice(0, at) + base.slice(at + 1));
      else if (what === 1) out.push(base.slice(0, at) + specials[rand(specials.length)] + base.slice(at));
      else out.push(base.slice(0, at) + specials[rand(specials.length)] + base.slice(at + 1));
    }
  }
  return out;
}

/**
 * Files the kernel, `config apply` or `mgmt run` would refuse, each with where and why
 * `config validate` must refuse it first (issue 18). Every one is also a config text of the
 * corpus above, so the quick reader is checked against the full loader on them too.
 */
export const REFUSED: { what: string; text: string; path: string; reason: RegExp }[] = [
  { what: 'MTU 65536', text: 'interfaces:\n  - {name: br0, kind: bridge, mtu: 65536}\n', path: '/interfaces/0/mtu', reason: /65536 is out of range \(68-65535\)/ },
  { what: 'MTU 67', text: 'interfaces:\n  - {name: br0, kind: bridge, mtu: 67}\n', path: '/interfaces/0/mtu', reason: /out of range \(68-65535\)/ },
  { what: 'macvlan MTU above its lower device', text: 'interfaces:\n  - {name: eth0, kind: device, mtu: 1500}\n  - {name: mv0, kind: macvlan, link: eth0, mtu: 9000}\n', path: '/interfaces/1/mtu', reason: /mtu 9000 is above the mtu 1500 of its lower device eth0/ },
  { what: 'vlan MTU above a lower macvlan bounded by its own lower', text: 'interfaces:\n  - {name: eth0, kind: device, mtu: 1500}\n  - {name: mv0, kind: macvlan, link: eth0}\n  - {name: v5, kind: vlan, link: mv0, vlan: {id: 5}, mtu: 1600}\n', path: '/interfaces/2/mtu', reason: /above the mtu 1500 of its lower device mv0/ },
  { what: 'bridge MTU above a port', text: 'interfaces:\n  - {name: eth0, kind: device, mtu: 1500}\n  - {name: br0, kind: bridge, mtu: 9000, ports: [eth0]}\n', path: '/interfaces/1/mtu', reason: /bridge br0 mtu 9000 is above the mtu 1500 of its port eth0/ },
  { what: 'bond port MTU other than the bond', text: 'interfaces:\n  - {name: eth0, kind: device, mtu: 1500, master: bo0}\n  - {name: bo0, kind: bond, mtu: 9000}\n', path: '/interfaces/0/master', reason: /a bond sets the MTU of its ports/ },
  { what: 'bridge as a port of a bridge (ports:)', text: 'interfaces:\n  - {name: br0, kind: bridge, ports: [br1]}\n  - {name: br1, kind: bridge}\n', path: '/interfaces/0/ports/0', reason: /bridge br1 cannot be a port of bridge br0.*ELOOP/ },
  { what: 'bridge as a port of a bridge (master:)', text: 'interfaces:\n  - {name: br0, kind: bridge}\n  - {name: br1, kind: bridge, master: br0}\n', path: '/interfaces/1/master', reason: /bridge br1 cannot be a port of bridge br0/ },
  { what: 'vlan on a bridge as a port of that bridge', text: 'interfaces:\n  - {name: br0, kind: bridge, ports: [v7]}\n  - {name: v7, kind: vlan, link: br0, vlan: {id: 7}}\n', path: '/interfaces/0/ports/0', reason: /loop of upper and lower devices: v7 → br0 → v7.*ELOOP/ },
  { what: 'macvlan on a bridge port', text: 'interfaces:\n  - {name: eth0, kind: device, master: br0}\n  - {name: br0, kind: bridge}\n  - {name: mv0, kind: macvlan, link: eth0}\n', path: '/interfaces/2/link', reason: /a macvlan cannot sit on eth0, a port of bridge br0/ },
  { what: 'macvlan on lo', text: 'interfaces:\n  - {name: lo, kind: device}\n  - {name: mv0, kind: macvlan, link: lo}\n', path: '/interfaces/1/link', reason: /cannot sit on the loopback device lo/ },
  { what: 'macvlan on an undeclared lo', text: 'interfaces:\n  - {name: mv0, kind: macvlan, link: lo}\n', path: '/interfaces/0/link', reason: /cannot sit on the loopback device lo/ },
  { what: 'lo as a bridge port', text: 'interfaces:\n  - {name: lo, kind: device}\n  - {name: br0, kind: bridge, ports: [lo]}\n', path: '/interfaces/1/ports/0', reason: /loopback device lo cannot be a port/ },
  { what: 'lo of another kind', text: 'interfaces:\n  - {name: lo, kind: bridge}\n', path: '/interfaces/0/kind', reason: /declare it as kind: device/ },
  { what: 'label over 15 bytes', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [{address: 10.0.0.1/24, label: "d0:ééééééé"}]}\n', path: '/interfaces/0/addresses/0/label', reason: /is 17 bytes in UTF-8: the kernel's limit is 15/ },
  { what: 'label with NUL', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [{address: 10.0.0.1/24, label: "d0:\\0"}]}\n', path: '/interfaces/0/addresses/0/label', reason: /NUL/ },
  { what: 'alias over 255 bytes', text: `interfaces:\n  - {name: d0, kind: dummy, alias: "${'é'.repeat(128)}"}\n`, path: '/interfaces/0/alias', reason: /256 bytes in UTF-8: the kernel's limit is 255/ },
  // ASCII: over the schema's maxLength in characters too (TypeBox's "Expected string length …" used to read "must be a string, not string …")
  { what: 'label over 15 bytes, ASCII', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [{address: 10.0.0.1/24, label: "d0:abcdefghijklm"}]}\n', path: '/interfaces/0/addresses/0/label', reason: /^label "d0:abcdefghijklm" is 16 bytes in UTF-8: the kernel's limit is 15$/ },
  { what: 'alias over 255 bytes, ASCII', text: `interfaces:\n  - {name: d0, kind: dummy, alias: "${'a'.repeat(256)}"}\n`, path: '/interfaces/0/alias', reason: /^the alias is 256 bytes in UTF-8: the kernel's limit is 255$/ },
  { what: 'alias with NUL', text: 'interfaces:\n  - {name: d0, kind: dummy, alias: "a\\0b"}\n', path: '/interfaces/0/alias', reason: /NUL/ },
  // names the kernel refuses (dev_valid_name), from issue 18's list
  { what: 'name "."', text: 'interfaces:\n  - {name: ".", kind: bridge}\n', path: '/interfaces/0/name', reason: /"\." is not a valid interface name \(the kernel refuses "\." and "\.\."\)/ },
  { what: 'name ".."', text: 'interfaces:\n  - {name: "..", kind: bridge}\n', path: '/interfaces/0/name', reason: /"\.\." is not a valid interface name/ },
  { what: 'name with NUL', text: 'interfaces:\n  - {name: "br\\0x", kind: bridge}\n', path: '/interfaces/0/name', reason: /contains a NUL byte/ },
  { what: 'name over 15 bytes (multi-byte)', text: 'interfaces:\n  - {name: "ééééééééx", kind: bridge}\n', path: '/interfaces/0/name', reason: /is 17 bytes long in UTF-8; the kernel allows at most 15/ },
  { what: '::/0', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["::/0"]}\n', path: '/interfaces/0/addresses/0', reason: /:: is the unspecified address/ },
  { what: '::/64', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["::/64"]}\n', path: '/interfaces/0/addresses/0', reason: /unspecified/ },
  { what: '::1/128 on a non-lo device', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["::1/128"]}\n', path: '/interfaces/0/addresses/0', reason: /::1 is the loopback address: it belongs on lo, not on d0/ },
  { what: '127.0.0.5/8 on a bridge', text: 'interfaces:\n  - {name: br0, kind: bridge, addresses: [127.0.0.5/8]}\n', path: '/interfaces/0/addresses/0', reason: /127\.0\.0\.5 is a loopback address/ },
  { what: 'ff02::1/64', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["ff02::1/64"]}\n', path: '/interfaces/0/addresses/0', reason: /multicast/ },
  { what: '224.0.0.5/24', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [224.0.0.5/24]}\n', path: '/interfaces/0/addresses/0', reason: /multicast/ },
  { what: '0.0.0.0/32', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [0.0.0.0/32]}\n', path: '/interfaces/0/addresses/0', reason: /0\.0\.0\.0 is the unspecified address/ },
  { what: '10.9.7.7/0', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: [10.9.7.7/0]}\n', path: '/interfaces/0/addresses/0', reason: /prefix length \/0 makes every IPv4 address on-link/ },
  { what: '2001:db8::1/0', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["2001:db8::1/0"]}\n', path: '/interfaces/0/addresses/0', reason: /prefix length \/0/ },
  { what: 'fe80::1%e0 (zone)', text: 'interfaces:\n  - {name: d0, kind: dummy, addresses: ["fe80::1%e0/64"]}\n', path: '/interfaces/0/addresses/0', reason: /has a zone index \(%e0\)/ },
  { what: 'unknown tag', text: 'interfaces:\n  - {name: d0, kind: !foo dummy}\n', path: '', reason: /unknown tag !foo/ },
  { what: 'unknown tag on a key', text: 'interfaces:\n  - name: d0\n    kind: dummy\n    !foo alias: x\n', path: '', reason: /unknown tag !foo/ },
  { what: 'mgmt: network address', text: 'interfaces: []\nmgmt: {addresses: [192.0.2.0/24], candidates: [eth0]}\n', path: '/mgmt/addresses/0', reason: /network address/ },
  { what: 'mgmt: repeated candidate', text: 'interfaces: []\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth0, eth0]}\n', path: '/mgmt/candidates/1', reason: /listed twice/ },
  { what: 'mgmt: gateway outside every prefix', text: 'interfaces: []\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth0], gateway: {ipv4: 198.51.100.1}}\n', path: '/mgmt/gateway/ipv4', reason: /outside every IPv4 management prefix/ },
  { what: 'mgmt: 9 addresses', text: `interfaces: []\nmgmt: {addresses: [${Array.from({ length: 9 }, (_, k) => `192.0.2.${k + 1}/24`).join(', ')}], candidates: [eth0]}\n`, path: '/mgmt/addresses', reason: /9 addresses: at most 8/ },
  { what: 'mgmt: 199 addresses', text: `interfaces: []\nmgmt: {addresses: [${Array.from({ length: 199 }, (_, k) => `10.0.${k >> 8}.${(k & 255) + 1}/16`).join(', ')}], candidates: [eth0]}\n`, path: '/mgmt/addresses', reason: /199 addresses: at most 8/ },
  { what: 'mgmt: multicast address', text: 'interfaces: []\nmgmt: {addresses: [224.0.0.5/24], candidates: [eth0]}\n', path: '/mgmt/addresses/0', reason: /multicast/ },
  { what: 'mgmt: IPv6 gateway with a zone', text: 'interfaces: []\nmgmt: {addresses: ["2001:db8::10/64"], candidates: [eth0], gateway: {ipv6: "fe80::1%eth0"}}\n', path: '/mgmt/gateway/ipv6', reason: /zone index/ },
  { what: 'an address under an interface and under mgmt:', text: 'interfaces:\n  - {name: eth0, kind: device, addresses: [192.0.2.10/24]}\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth0]}\n', path: '/interfaces/0/addresses/0', reason: /192\.0\.2\.10 is also a management address \(mgmt: at line 3\)/ },
  { what: 'nesting 20,000 deep (flow)', text: `interfaces: ${'['.repeat(20000)}\n`, path: '', reason: /nesting deeper than 64 levels/ },
  { what: 'nesting 20,000 deep (block)', text: `interfaces:\n  ${'- '.repeat(20000)}x\n`, path: '', reason: /nesting deeper than 64 levels/ },
  { what: 'veth peer: mtu of a peer in another namespace', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0, netns: blue, mtu: 1400}}}\n', path: '/interfaces/0/veth/peer/mtu', reason: /mtu cannot be declared for a peer put in another namespace \(netns blue\)/ },
  { what: 'veth peer: unknown key', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0, link: eth0}}}\n', path: '/interfaces/0/veth/peer/link', reason: /unknown key "link" \(expected one of: name, mtu, state, alias, master, addresses, arp, routes, netns\)/ },
  { what: 'veth peer: name taken by another interface', text: 'interfaces:\n  - {name: vq0, kind: bridge}\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0}}}\n', path: '/interfaces/1/veth/peer/name', reason: /duplicate interface name "vq0"/ },
  { what: 'veth peer: master not declared', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0, master: br9}}}\n', path: '/interfaces/0/veth/peer/master', reason: /unknown master "br9"/ },
  { what: 'veth peer: multicast address', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0, addresses: [224.0.0.5/24]}}}\n', path: '/interfaces/0/veth/peer/addresses/0', reason: /multicast/ },
  { what: 'veth peer: bad interface name', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: "a b"}}\n', path: '/interfaces/0/veth/peer', reason: /"a b" is not a valid interface name/ },
  { what: 'veth peer: namespace given twice', text: 'interfaces:\n  - {name: ve0, kind: veth, veth: {peer: {name: vq0, netns: blue}, peer_netns: red}}\n', path: '/interfaces/0/veth/peer_netns', reason: /given twice/ },
  { what: 'route: destination with host bits set', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.1.0/16, via: 10.1.0.254}\n', path: '/interfaces/0/routes/0/to', reason: /10\.9\.1\.0\/16 has host bits set: the route's destination is 10\.9\.0\.0\/16/ },
  { what: 'route: gateway not on-link', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.2.0.254}\n', path: '/interfaces/0/routes/0/via', reason: /gateway 10\.2\.0\.254 is not on-link through eth0.*ENETUNREACH/ },
  { what: 'route: IPv6 gateway not on-link', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: "2001:db9::/48", via: "2001:db7::1"}\n', path: '/interfaces/0/routes/0/via', reason: /gateway 2001:db7::1 is not on-link through eth0/ },
  { what: 'route: IPv6 gateway is our own address', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: "2001:db9::/48", via: "2001:db8::1"}\n', path: '/interfaces/0/routes/0/via', reason: /is an address of eth0 itself/ },
  { what: 'route: gateway of the other family', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: "2001:db8::fe"}\n', path: '/interfaces/0/routes/0/via', reason: /is IPv6 but 10\.9\.0\.0\/16 is IPv4/ },
  { what: 'route: table 255 (local)', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254, table: 255}\n', path: '/interfaces/0/routes/0/table', reason: /table 255 is not a table routes can be added to/ },
  { what: 'route: table 0', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254, table: 0}\n', path: '/interfaces/0/routes/0/table', reason: /0 is out of range \(1-4294967295\)/ },
  { what: 'route: metric 2^32', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254, metric: 4294967296}\n', path: '/interfaces/0/routes/0/metric', reason: /4294967296 is out of range \(0-4294967295\)/ },
  { what: 'route: scope link with a gateway', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254, scope: link}\n', path: '/interfaces/0/routes/0/scope', reason: /cannot have scope link/ },
  { what: 'route: scope on IPv6', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: "2001:db9::/48", scope: link}\n', path: '/interfaces/0/routes/0/scope', reason: /scope applies only to IPv4 routes/ },
  { what: 'route: IPv4 onlink without a gateway', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, onlink: true}\n', path: '/interfaces/0/routes/0/onlink', reason: /needs via/ },
  { what: 'route: default without a gateway', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: default}\n', path: '/interfaces/0/routes/0/to', reason: /does not say IPv4 or IPv6/ },
  { what: 'route: unknown key', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, dev: eth1}\n', path: '/interfaces/0/routes/0/dev', reason: /unknown key "dev"/ },
  { what: 'route: the same route twice', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254}\n      - {to: 10.9.0.0/16, via: 10.1.0.253}\n', path: '/interfaces/0/routes/1/to', reason: /duplicate route 10\.9\.0\.0\/16 table 254 metric 0 \(also at line 6\)/ },
  { what: 'route: the same IPv6 route twice (metric 0 is 1024)', text: 'interfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24, "2001:db8::1/64"]\n    routes:\n      - {to: "2001:db9::/48", metric: 0}\n      - {to: "2001:db9::/48", via: "fe80::1"}\n', path: '/interfaces/0/routes/1/to', reason: /duplicate route 2001:db9::\/48 table 254 metric 1024/ },
  { what: 'route: through a down interface', text: 'interfaces:\n  - name: eth0\n    kind: device\n    state: down\n    addresses: [10.1.0.1/24]\n    routes:\n      - {to: 10.9.0.0/16, via: 10.1.0.254}\n', path: '/interfaces/0/routes/0', reason: /eth0 is declared down: the kernel refuses a route through a down interface/ },
  { what: "route: the failover daemon's default route", text: 'mgmt: {addresses: [10.1.0.10/24], candidates: [eth0], gateway: {ipv4: 10.1.0.254, metric: 100}}\ninterfaces:\n  - name: eth0\n    kind: device\n    addresses: [10.1.0.1/24]\n    routes:\n      - {to: default, via: 10.1.0.254, metric: 100}\n', path: '/interfaces/0/routes/0/to', reason: /the failover daemon's default route/ },
];
