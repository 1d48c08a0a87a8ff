// The equality contract as a property, on real namespaces: random topologies (bridges, macvlans,
// veths, addresses, ARP settings, plus hand-made addresses with flags, routes and permanent
// neighbours nodectl does not manage) and random target files; the apply of the target fails
// at a random step k; afterwards the iproute2 snapshot must equal the one before. Every trial is
// reproducible from its seed: NODECTL_PROPERTY_SEED=S (and NODECTL_PROPERTY_TRIALS=N per chunk).
//
// npm test (and so CI) runs the 100 trials of one fixed seed, which passed whole; random seeds
// (NODECTL_PROPERTY_SEED=random, or a loop of them for a soak) look for new cases. They have
// found two defects a random CI run could draw, both fixed, and failing here again if they recur
// (config-rollback.test.ts has a regression test for each):
//   - 1033456143, trial 1034056166: a carrier-less bridge's ff00::/8 route was gone after
//     rollback (the replay used NLM_F_EXCL);
//   - 559773962, trial 560273979: a bridge kept the IPv6 link-local it got while a failed
//     apply had given it a port (and carrier).
// Random seeds may still find new ones, so `npm test` keeps one fixed seed.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError } from '../../src/errors.js';
import { diffSnapshots, ipSnapshot } from '../helpers/ip-snapshot.js';
import { isRoot, type Netns, netnsFor } from '../helpers/netns.js';

// 10 × 10 = 100 trials; chunks run one after another so that each finishes well inside ava's
// timeout and the trials are not slowed by each other
const CHUNKS = 10;
const TRIALS = Number(process.env.NODECTL_PROPERTY_TRIALS ?? 10);
const SEED_ENV = process.env.NODECTL_PROPERTY_SEED ?? '1323362591';
const BASE_SEED = SEED_ENV === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_ENV);

/** mulberry32: a small seeded PRNG, so that a seed replays a trial exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random config: eth0 (the stand-in NIC) plus some of br0-2, mv0-3, ve0-1, with addresses and ARP keys. */
function randomFile(rnd: () => number, tag: number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;
  let net = 0;
  const addr = (): string => (chance(0.7) ? `10.${tag}.${net++}.1/24` : `2001:db8:${tag}:${net++}::1/64`);
  const addrs = (): string => (chance(0.5) ? `, addresses: [${Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => JSON.stringify(addr())).join(', ')}]` : '');
  const arp = (): string => (chance(0.3) ? `, arp: {arp_ignore: ${pick([0, 1, 2])}}` : '');
  const state = (): string => (chance(0.2) ? ', state: down' : '');
  const lines = [`  - {name: eth0, kind: device${chance(0.3) ? `, mtu: ${pick([1400, 1450, 1500])}` : ''}${chance(0.3) ? addrs() : ''}}`];
  const bridges = ['br0', 'br1', 'br2'].filter(() => chance(0.5));
  // with a MAC: a bridge without one that never had a port has carrier, and once a port came
  // and went it never gets it back (docs/config.md, known limits)
  // no STP: its port states move on their own for 30 s (forward delay), nothing to compare
  for (const b of bridges) lines.push(`  - {name: ${b}, kind: bridge, mac: "02:00:00:00:0b:0${b.slice(2)}"${addrs()}${arp()}${state()}}`);
  for (const m of ['mv0', 'mv1', 'mv2', 'mv3']) {
    if (!chance(0.5)) continue;
    const lower = pick(['eth0', ...bridges]);
    lines.push(`  - {name: ${m}, kind: macvlan, link: ${lower}, macvlan: {mode: ${pick(['bridge', 'private', 'vepa'])}}${addrs()}${arp()}${state()}}`);
  }
  for (const v of ['ve0', 've1']) {
    if (!chance(0.5)) continue;
    const master = bridges.length && chance(0.5) ? `, master: ${pick(bridges)}` : '';
    lines.push(`  - {name: ${v}, kind: veth, veth: {peer: ${v}p}${master}${master ? '' : addrs()}${state()}}`);
  }
  return `interfaces:\n${lines.join('\n')}\n`;
}

/** Things nodectl does not manage but must leave exactly as they were: flagged addresses, routes, neighbours. */
function handMade(ns: Netns, rnd: () => number, trial: number): void {
  const n = 100 + (trial % 100);
  if (rnd() < 0.6) ns.ip('addr', 'add', `172.16.${n}.1/24`, 'dev', 'eth0', ...(rnd() < 0.5 ? ['noprefixroute'] : ['metric', String(1 + Math.floor(rnd() * 99))]));
  if (rnd() < 0.4) ns.ip('addr', 'add', `2001:db8:ff:${n}::1/64`, 'dev', 'eth0', 'nodad', ...(rnd() < 0.5 ? ['noprefixroute'] : []));
  if (rnd() < 0.5) {
    ns.ip('addr', 'replace', `172.17.${n}.1/24`, 'dev', 'eth0');
    ns.ip('route', 'replace', `172.30.${n}.0/24`, 'via', `172.17.${n}.9`, 'dev', 'eth0', 'metric', String(10 + Math.floor(rnd() * 50)));
  }
  if (rnd() < 0.5) ns.ip('neigh', 'replace', `172.17.${n}.7`, 'lladdr', '02:00:00:00:00:77', 'dev', 'eth0', 'nud', 'permanent');
}

const cfg = (text: string) => parseConfig(text, 'trial.yaml').config;

async function chunk(t: ExecutionContext, c: number): Promise<void> {
  const ns = netnsFor(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  ns.ip('link', 'set', 'eth0', 'up');
  ns.ip('link', 'set', 'eth0p', 'up');
  const sd = mkdtempSync(join(tmpdir(), 'nctl-prop-'));
  t.teardown(() => rmSync(sd, { recursive: true, force: true }));
  let checked = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const seed = (BASE_SEED + c * 100_003 + trial) >>> 0;
    const rnd = prng(seed);
    const where = `seed ${seed} (NODECTL_PROPERTY_SEED=${BASE_SEED}, chunk ${c}, trial ${trial})`;
    // the starting point: a random file applied, then hand-made state on top
    const a = randomFile(rnd, 1 + (trial % 50));
    try {
      await applyConfig(cfg(a), { netns: ns.name, stateDir: sd });
    } catch (err) {
      // Not the property under test (that one is the failed apply below), but logged: a known
      // planner gap — an existing link set down AFTER its IPv6 addresses were added loses them
      // (keep_addr_on_down=0), so verification fails; the rollback must still be exact.
      if (!(err instanceof ApplyError) || err.rollbackErrors.length || err.differences.length) { t.fail(`${where}: starting apply: ${(err as Error).message}`); return; }
      t.log(`${where}: starting apply failed and was rolled back exactly: ${err.message.slice(0, 200)}`);
      continue;
    }
    handMade(ns, rnd, trial);
    const b = randomFile(rnd, 51 + (trial % 50));
    let n: number;
    try {
      n = (await planConfig(cfg(b), { netns: ns.name, stateDir: sd })).steps.length;
    } catch (err) {
      t.log(`${where}: target not applicable here (${(err as Error).message.slice(0, 120)}); skipped`);
      continue;
    }
    if (n === 0) continue;
    const k = 1 + Math.floor(rnd() * n);
    const before = await ipSnapshot(ns.name);
    try {
      await applyConfig(cfg(b), { netns: ns.name, stateDir: sd, failAtStep: k });
      t.fail(`${where}: the injected failure at step ${k}/${n} did not happen`);
      return;
    } catch (err) {
      if (!(err instanceof ApplyError)) { t.fail(`${where}: ${(err as Error).message}`); return; }
      if (err.rollbackErrors.length) { t.fail(`${where}: step ${k}/${n}: ${err.message}`); return; }
    }
    const all = diffSnapshots(before, await ipSnapshot(ns.name));
    // Derived state netlink cannot set, listed in docs/config.md under known limits, is logged
    // and not failed: the TSO limits a macvlan inherits (IFLA_TSO_MAX_* are read-only), and a
    // port-less bridge's carrier (and the operstate that follows), which depends on which ports
    // it has had, and a carrier the kernel had not computed yet. Everything else must be identical.
    const known: string[] = [];
    const kept: string[] = [];
    let header = '';
    for (const l of all) {
      if (!l.startsWith('  ')) { header = l; kept.push(l); continue; }
      const bridge = / \(br\d\)| br\d /.test(header);
      // a link that was up with neither LOWER_UP nor NO-CARRIER had a carrier the kernel had not
      // computed yet (a fresh veth whose peer never came up, a fresh bridge): any later event
      // settles it, and nothing can unsettle it again
      const m = /^\s+\.flags: (\[.*?\]) →/.exec(l);
      const unsettled = m ? !(JSON.parse(m[1]!) as string[]).some((f) => f === 'LOWER_UP' || f === 'NO-CARRIER') : /^\s+\.operstate: "UNKNOWN" →/.test(l);
      // bridge port numbers are the lowest free at enslave time: not settable (docs/config.md)
      const portNo = /^\s+\.linkinfo\.info_slave_data\.(id|no|designated_port):/.test(l);
      if (portNo || /^\s+\.tso_max_(size|segs):/.test(l) || (/^\s+\.(flags|operstate):/.test(l) && (bridge || unsettled))) known.push(`${header.slice(2, 40)} ${l.trim()}`);
      else kept.push(l);
    }
    const d = kept.filter((l, i) => !(l.startsWith('~ ') && !kept[i + 1]?.startsWith('  ')));
    if (known.length) t.log(`${where}: known limits, not restorable: ${known.join('; ')}`);
    if (d.length) {
      t.fail(`${where}: failure at step ${k}/${n} left the namespace different:\n${d.join('\n')}\nstart:\n${a}target:\n${b}`);
      return;
    }
    checked++;
  }
  t.log(`chunk ${c}: ${checked} of ${TRIALS} trials checked (seeds ${(BASE_SEED + c * 100_003) >>> 0}…+${TRIALS - 1}, NODECTL_PROPERTY_SEED=${BASE_SEED})`);
  t.pass();
}

for (let c = 0; c < CHUNKS; c++) {
  test.serial(`property: a failure at a random step of a random apply leaves the namespace identical (chunk ${c + 1}/${CHUNKS})`, async (t) => {
    if (!isRoot()) { t.log('SKIP: needs root (network namespaces)'); t.pass(); return; }
    await chunk(t, c);
  });
}
