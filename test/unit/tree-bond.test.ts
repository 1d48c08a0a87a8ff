// link tree's bond line on the decode's names (issue 23): the active slave comes by name from the
// decode (kindData.activeSlave, filled by toViews from the same dump), not from a lookup of the
// tree's own. Crafted RTM_NEWLINK bytes: this host's kernel has no bonding, so this is not run
// against a real bond here, nor anywhere yet (the VM's bond case in test/netns/link.test.ts makes
// a bond but does not build a tree).
import test from 'ava';
import { toViews } from '../../src/interfaces/model.js';
import { renderTreeText } from '../../src/interfaces/render.js';
import { buildTree, walkTree } from '../../src/interfaces/tree.js';
import { AttrWriter } from '../../src/netlink/attr.js';
import { decodeLink } from '../../src/netlink/link.js';

/** An RTM_NEWLINK payload: ifinfomsg (ether, UP|LOWER_UP|RUNNING) then what attrs writes. */
function msg(index: number, attrs: (w: AttrWriter) => void): Buffer {
  const w = new AttrWriter(256);
  const head = Buffer.alloc(16);
  head.writeUInt16LE(1, 2);
  head.writeInt32LE(index, 4);
  head.writeUInt32LE(0x10043, 8);
  w.raw(head);
  w.u8(16, 6); // IFLA_OPERSTATE up
  attrs(w);
  return Buffer.from(w.finish());
}

// IFLA_IFNAME 3, IFLA_MASTER 10, IFLA_LINKINFO 18 { KIND 1, DATA 2, SLAVE_KIND 4, SLAVE_DATA 5 };
// IFLA_BOND_MODE 1 (1: active-backup), ACTIVE_SLAVE 2, MIIMON 3; IFLA_BOND_SLAVE_STATE 1, MII_STATUS 2
const bond = (): Buffer => msg(9, (w) => w.str(3, 'bond0').nest(18, (li) => li.bytes(1, Buffer.from('bond\0')).nest(2, (d) => d.u8(1, 1).u32(2, 11).u32(3, 100))));
const slave = (index: number, name: string, state: number): Buffer => msg(index, (w) => w.str(3, name).u32(10, 9).nest(18, (li) => {
  li.bytes(1, Buffer.from('veth\0')).bytes(4, Buffer.from('bond\0')).nest(5, (d) => d.u8(1, state).u8(2, 0));
}));

test('link tree: a bond names its active slave as the decode does, its slaves under it', (t) => {
  const views = toViews([bond(), slave(10, 'eth1', 1), slave(11, 'eth2', 0)].map((m) => decodeLink(m)));
  t.like(views[0]!.kindData, { kind: 'bond', mode: 'active-backup', activeSlaveIndex: 11, activeSlave: 'eth2' });
  const roots = buildTree(views);
  const b = [...walkTree(roots)].find((w) => w.node.name === 'bond0')!.node;
  t.is(b.detail, 'bond active-backup, miimon 100, active eth2');
  t.deepEqual(b.children.map((c) => [c.name, c.role]), [['eth1', 'port'], ['eth2', 'port']]);
  t.regex(renderTreeText(roots), /^bond0 +UP +bond active-backup, miimon 100, active eth2\n├── eth1 +UP +veth, slave backup mii up\n└── eth2 +UP +veth, slave active mii up$/m);
});

test('link tree: the active slave is the decode\'s name, not one the tree looks up by index', (t) => {
  const views = toViews([bond(), slave(10, 'eth1', 1), slave(11, 'eth2', 0)].map((m) => decodeLink(m)));
  // the one source: whatever name the decode gave, even with the slave's own entry left out of
  // the tree's input (the tree has no index of its own to look it up in)
  const onlyBond = views.filter((v) => v.name === 'bond0');
  t.is(buildTree(onlyBond)[0]!.detail, 'bond active-backup, miimon 100, active eth2');
  // no active slave (IFLA_BOND_ACTIVE_SLAVE not sent, or no link of the dump has it): none shown
  const none = toViews([msg(9, (w) => w.str(3, 'bond0').nest(18, (li) => li.bytes(1, Buffer.from('bond\0')).nest(2, (d) => d.u8(1, 1))))].map((m) => decodeLink(m)));
  t.is(buildTree(none)[0]!.detail, 'bond active-backup');
  const orphan = toViews([msg(9, (w) => w.str(3, 'bond0').nest(18, (li) => li.bytes(1, Buffer.from('bond\0')).nest(2, (d) => d.u8(1, 1).u32(2, 77))))].map((m) => decodeLink(m)));
  t.like(orphan[0]!.kindData, { activeSlaveIndex: 77, activeSlave: null });
  t.is(buildTree(orphan)[0]!.detail, 'bond active-backup');
});
