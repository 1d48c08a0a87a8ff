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
export const written = stringify({
  interfaces: [
    { name: 'eth0', kind: 'device', mtu: 9000, addresses: ['192.0.2.1/24', { address: '192.0.2.2/24', label: 'eth0:1' }, { address: '2001:db8::1/64', nodad: true }] },
    { name: 'br0', kind: 'bridge', ports: ['eth0'], bridge: { stp: false, vlan_filtering: true }, arp: { arp_ignore: 1 } },
    { name: 'mv0', kind: 'macvlan', link: 'eth0', macvlan: { mode: 'bridge' }, mac: '02:00:00:00:00:01', alias: 'uplink: primary # 1', up: false },
  ],
});

export const EDGE = [
  written,
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
