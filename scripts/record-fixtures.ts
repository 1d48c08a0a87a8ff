// Records real rtnetlink dumps of a throwaway namespace into test/fixtures/netlink/, next to
// iproute2's JSON of the same namespace (the independent oracle the unit tests compare with).
// Run as root: scripts/record-fixtures. Never touches the host's own interfaces.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Handle, RTM } from '../src/netlink/handle.js';
import type { NetlinkMessage } from 'netlink';

const out = new URL('../test/fixtures/netlink/', import.meta.url);
const ns = `nctl-rec-${randomBytes(3).toString('hex')}`;
const other = `${ns}-b`;

function sh(...args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const ip = (...a: string[]): string => sh('ip', '-n', ns, ...a);

/** nlmsghdr-framed messages, as the kernel sent them (seq and port zeroed: they are per-run). */
function frame(msgs: NetlinkMessage[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of msgs) {
    const len = 16 + m.data.length;
    const b = Buffer.alloc((len + 3) & ~3);
    b.writeUInt32LE(len, 0);
    b.writeUInt16LE(m.type, 4);
    b.writeUInt16LE(m.flags, 6);
    m.data.copy(b, 16);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function buildTopology(): void {
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'netns', 'add', other);
  ip('link', 'set', 'lo', 'up');
  // bridge over two veths, a macvlan on the far end of one of them
  ip('link', 'add', 'br0', 'type', 'bridge', 'stp_state', '1', 'forward_delay', '400');
  ip('link', 'add', 'v1a', 'type', 'veth', 'peer', 'name', 'v1b');
  ip('link', 'add', 'v2a', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'v2b');
  ip('link', 'set', 'v1a', 'master', 'br0');
  ip('link', 'set', 'v2a', 'master', 'br0');
  ip('link', 'add', 'link', 'v1b', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge');
  ip('link', 'add', 'link', 'v2b', 'name', 'mvp', 'type', 'macvlan', 'mode', 'private');
  // a veth whose other end lives in another namespace (IFLA_LINK_NETNSID)
  ip('link', 'add', 'xa', 'type', 'veth', 'peer', 'name', 'xb', 'netns', other);
  ip('link', 'set', 'v1a', 'alias', 'uplink to v1b');
  ip('link', 'set', 'v2b', 'group', '7');
  ip('link', 'property', 'add', 'dev', 'v2a', 'altname', 'second-port-long-name');
  ip('link', 'set', 'dev', 'v1b', 'address', '02:00:00:00:01:0b');
  for (const l of ['br0', 'v1a', 'v1b', 'v2a', 'mv0', 'xa']) ip('link', 'set', l, 'up');
  ip('addr', 'add', '192.0.2.1/24', 'brd', '+', 'dev', 'br0');
  ip('addr', 'add', '192.0.2.2/24', 'dev', 'br0', 'label', 'br0:sec');
  ip('addr', 'add', '2001:db8::1/64', 'dev', 'br0', 'nodad');
  ip('addr', 'add', '198.51.100.1', 'peer', '198.51.100.2/32', 'dev', 'mv0');
  ip('addr', 'add', 'fd00:0:0:1::10/64', 'dev', 'mv0', 'nodad');
  ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br0', 'nud', 'permanent');
  ip('neigh', 'add', '192.0.2.10', 'lladdr', '02:00:00:00:00:0a', 'dev', 'br0', 'nud', 'stale');
  ip('neigh', 'add', '2001:db8::9', 'lladdr', '02:00:00:00:00:19', 'dev', 'br0', 'nud', 'permanent');
  ip('neigh', 'add', '198.51.100.2', 'lladdr', '02:00:00:00:00:22', 'dev', 'mv0', 'nud', 'noarp');
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  try {
    buildTopology();
    const h = Handle.open({ netns: ns });
    try {
      const dumps: [string, number, Uint8Array, string[]][] = [
        ['links', RTM.GETLINK, Buffer.alloc(16), ['-d', 'link', 'show']],
        ['addrs', RTM.GETADDR, Buffer.alloc(8), ['addr', 'show']],
        ['neighs', RTM.GETNEIGH, Buffer.alloc(12), ['neigh', 'show', 'nud', 'all']],
      ];
      for (const [name, type, req, ipArgs] of dumps) {
        const msgs = await h.dump(type, req);
        writeFileSync(new URL(`${name}.bin`, out), frame(msgs));
        writeFileSync(new URL(`${name}.ip.json`, out), JSON.stringify(JSON.parse(ip('-j', ...ipArgs)), null, 1) + '\n');
        console.log(`${name}: ${msgs.length} messages`);
      }
    } finally {
      h.close();
    }
    writeFileSync(new URL('README.md', out), `Recorded by scripts/record-fixtures on Linux ${sh('uname', '-r').trim()} (iproute2 ${sh('ip', '-V').trim()}).
*.bin: the kernel's RTM_NEWLINK/NEWADDR/NEWNEIGH dump messages, nlmsghdr-framed (seq/port zeroed).
*.ip.json: \`ip -j\` output for the same namespace right after (the oracle). Regenerate, never hand-edit.
`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['netns', 'del', other]);
  }
}

await main();
