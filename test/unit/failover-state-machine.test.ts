// The failover state machine against a simulated kernel, with an injected clock. The simulated
// kernel applies the machine's actions one by one and reports the result back the way rtnetlink
// events would, so every invariant is checked on what the kernel would hold, after every action.
import test from 'ava';
import {
  FailoverMachine, addressKey, type Action, type Decision, type LinkObservation, type MachineConfig, type Placement,
} from '../../src/failover/state-machine.js';

const V4 = { address: '192.0.2.10', prefixlen: 24, family: 4 as const };
const V6 = { address: '2001:db8::10', prefixlen: 64, family: 6 as const };

function config(over: Partial<MachineConfig> = {}): MachineConfig {
  return {
    candidates: ['eth0', 'eth1', 'eth2'],
    addresses: [V4, V6],
    routeFamilies: [4],
    holdDownMs: 1000,
    preemptDelayMs: 3000,
    probe: null,
    announce: { count: 3, intervalMs: 100, refreshMs: 0 },
    ...over,
  };
}

const UP: LinkObservation = { exists: true, admin: true, carrier: true, operUp: true };
const NOCARRIER: LinkObservation = { exists: true, admin: true, carrier: false, operUp: false };

/** A fake kernel: which interface holds which address, and the default route. */
class Kernel {
  links = new Map<string, LinkObservation>();
  addrs = new Map<string, Placement[]>();
  route: string | null = null;
  log: Action[] = [];

  constructor(names: string[]) {
    for (const n of names) this.links.set(n, { ...UP });
  }

  /** The most interfaces any one address is on. */
  maxPerAddress(): number {
    let m = 0;
    for (const l of this.addrs.values()) m = Math.max(m, l.length);
    return m;
  }

  holders(): Set<string> {
    const s = new Set<string>();
    for (const l of this.addrs.values()) for (const p of l) s.add(p.ifname);
    return s;
  }

  /** Applies actions in order; calls check after each one (the invariant at every instant). */
  apply(m: FailoverMachine, decisions: Decision[], check?: () => void): void {
    for (const d of decisions) {
      for (const a of d.actions) {
        this.log.push(a);
        if (a.kind === 'del-addr') {
          const k = addressKey(a);
          this.addrs.set(k, (this.addrs.get(k) ?? []).filter((p) => p.ifname !== a.ifname));
          m.observeAddr('del', k, { ifname: a.ifname, prefixlen: a.prefixlen });
        } else if (a.kind === 'add-addr') {
          const k = addressKey(a);
          this.addrs.set(k, [...(this.addrs.get(k) ?? []).filter((p) => p.ifname !== a.ifname), { ifname: a.ifname, prefixlen: a.prefixlen }]);
          m.observeAddr('new', k, { ifname: a.ifname, prefixlen: a.prefixlen });
        } else if (a.kind === 'route') {
          this.route = a.ifname;
          m.observeRoute('new', 4, a.ifname);
        }
        check?.();
      }
    }
  }

  snapshot() {
    return { links: new Map(this.links), placements: new Map([...this.addrs].map(([k, v]) => [k, [...v]])), routes: new Map([[4 as const, this.route]]) };
  }
}

function setup(over: Partial<MachineConfig> = {}, t0 = 0) {
  const cfg = config(over);
  const k = new Kernel(cfg.candidates);
  const m = new FailoverMachine(cfg);
  return { cfg, k, m, t0 };
}

function step(m: FailoverMachine, k: Kernel, now: number, check?: () => void) {
  const r = m.decide(now);
  k.apply(m, r.decisions, check);
  return r;
}

function setLink(m: FailoverMachine, k: Kernel, now: number, name: string, obs: LinkObservation) {
  k.links.set(name, { ...obs });
  m.observeLink(now, name, obs);
}

function holderOf(k: Kernel): string | null {
  const h = [...k.holders()];
  return h.length === 1 ? h[0]! : h.length === 0 ? null : `TWO:${h.join(',')}`;
}

test('start with nothing placed: addresses go to the first healthy candidate, route follows, burst announced', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  const r = step(m, k, 0);
  t.is(holderOf(k), 'eth0');
  t.is(k.route, 'eth0');
  t.is(r.decisions[0]!.kind, 'place');
  const kinds = r.decisions[0]!.actions.map((a) => a.kind);
  t.deepEqual(kinds, ['add-addr', 'add-addr', 'route', 'announce']);
  const ann = r.decisions[0]!.actions.at(-1) as Extract<Action, { kind: 'announce' }>;
  t.is(ann.count, 3);
  t.is(ann.why, 'burst');
  t.deepEqual(ann.addresses.map((a) => a.address), ['192.0.2.10', '2001:db8::10']);
});

test('restart: addresses already on a healthy holder stay put with no action', (t) => {
  const { k, m } = setup();
  k.addrs.set(addressKey(V4), [{ ifname: 'eth1', prefixlen: 24 }]);
  k.addrs.set(addressKey(V6), [{ ifname: 'eth1', prefixlen: 64 }]);
  k.route = 'eth1';
  m.sync(0, k.snapshot());
  const r = step(m, k, 0);
  t.deepEqual(r.decisions, []);
  t.is(m.currentHolder, 'eth1');
  // eth0 is preferred and was trusted at start: preemption waits only for the preempt delay.
  t.is(r.nextWakeAt, 3000);
  t.deepEqual(step(m, k, 2999).decisions, []);
  const back = step(m, k, 3000);
  t.is(back.decisions[0]!.kind, 'move');
  t.is(holderOf(k), 'eth0');
});

test('restart after a crash mid-move: address on two interfaces, the best keeps it', (t) => {
  const { k, m } = setup();
  setLink(m, k, 0, 'eth0', NOCARRIER);
  k.addrs.set(addressKey(V4), [{ ifname: 'eth0', prefixlen: 24 }, { ifname: 'eth1', prefixlen: 24 }]);
  k.addrs.set(addressKey(V6), [{ ifname: 'eth0', prefixlen: 64 }]);
  m.sync(0, k.snapshot());
  const r = step(m, k, 0);
  t.is(holderOf(k), 'eth1');
  // The first action must be deletes: never two holders, and never a gap on the survivor.
  const acts = r.decisions.flatMap((d) => d.actions);
  t.deepEqual(acts.filter((a) => a.kind === 'del-addr').map((a) => a.ifname), ['eth0', 'eth0']);
  t.deepEqual(acts.filter((a) => a.kind === 'add-addr').map((a) => `${a.ifname} ${a.address}`), ['eth1 2001:db8::10']);
});

test('restart after a crash mid-move: address on none, placed with no hold-down', (t) => {
  const { k, m } = setup();
  setLink(m, k, 0, 'eth0', NOCARRIER);
  m.sync(5, k.snapshot());
  step(m, k, 5);
  t.is(holderOf(k), 'eth1');
});

test('carrier loss on the holder moves everything to the next healthy candidate at once', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  setLink(m, k, 100, 'eth0', NOCARRIER);
  const r = step(m, k, 100);
  t.is(holderOf(k), 'eth1');
  t.is(k.route, 'eth1');
  t.is(r.decisions.length, 1);
  const d = r.decisions[0]!;
  t.is(d.kind, 'move');
  t.is(d.from, 'eth0');
  t.is(d.to, 'eth1');
  t.regex(d.reason, /no carrier/);
  // Per address: delete, then add; the IPv4 address is missing only between two adjacent requests.
  t.deepEqual(d.actions.map((a) => `${a.kind} ${a.ifname}`), ['del-addr eth0', 'add-addr eth1', 'del-addr eth0', 'add-addr eth1', 'route eth1', 'announce eth1']);
  t.is(m.counters.moves, 1);
});

test('admin down and operstate down also count as unhealthy', (t) => {
  for (const obs of [{ ...UP, admin: false }, { ...UP, operUp: false }, { ...UP, exists: false }]) {
    const { k, m } = setup();
    m.sync(0, k.snapshot());
    step(m, k, 0);
    setLink(m, k, 1, 'eth0', obs);
    step(m, k, 1);
    t.is(holderOf(k), 'eth1', JSON.stringify(obs));
  }
});

test('fail-back waits for hold-down plus preempt delay, then moves back once', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  setLink(m, k, 100, 'eth0', NOCARRIER);
  step(m, k, 100);
  setLink(m, k, 200, 'eth0', UP);
  let r = step(m, k, 200);
  t.deepEqual(r.decisions, []);
  t.is(r.nextWakeAt, 1200); // hold-down ends
  const st = m.status(500).candidates[0]!;
  t.false(st.healthy);
  t.regex(st.why, /hold-down: 700 ms left/);
  r = step(m, k, 1200);
  t.deepEqual(r.decisions, []);
  t.is(r.nextWakeAt, 4200); // preempt delay ends
  t.deepEqual(step(m, k, 4199).decisions, []);
  t.is(holderOf(k), 'eth1');
  r = step(m, k, 4200);
  t.is(r.decisions[0]!.kind, 'move');
  t.regex(r.decisions[0]!.reason, /preferred/);
  t.is(holderOf(k), 'eth0');
  t.is(m.counters.moves, 2);
});

test('a preferred interface that flaps during the preempt delay restarts its clock', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  setLink(m, k, 0, 'eth0', NOCARRIER);
  step(m, k, 0);
  setLink(m, k, 10, 'eth0', UP);
  step(m, k, 3000);
  setLink(m, k, 3500, 'eth0', NOCARRIER);
  step(m, k, 3500);
  setLink(m, k, 3600, 'eth0', UP);
  step(m, k, 4010); // the first episode's deadline: must not preempt
  t.is(holderOf(k), 'eth1');
  step(m, k, 3600 + 1000 + 3000);
  t.is(holderOf(k), 'eth0');
});

test('no preemption while preemptDelayMs is huge; failover still immediate', (t) => {
  const { k, m } = setup({ preemptDelayMs: 1e12 });
  m.sync(0, k.snapshot());
  step(m, k, 0);
  setLink(m, k, 1, 'eth0', NOCARRIER);
  step(m, k, 1);
  setLink(m, k, 2, 'eth0', UP);
  step(m, k, 1e6);
  t.is(holderOf(k), 'eth1');
  setLink(m, k, 1e6, 'eth1', NOCARRIER);
  step(m, k, 1e6);
  t.is(holderOf(k), 'eth0');
});

test('preempt: false: a recovered preferred interface never takes the addresses back; the holder\'s failure does', (t) => {
  const { k, m } = setup({ preempt: false });
  m.sync(0, k.snapshot());
  step(m, k, 0);
  t.is(holderOf(k), 'eth0');
  setLink(m, k, 100, 'eth0', NOCARRIER);
  step(m, k, 100);
  t.is(holderOf(k), 'eth1', 'failover is as immediate as ever');
  setLink(m, k, 200, 'eth0', UP);
  let r = step(m, k, 200);
  t.is(r.nextWakeAt, 1200, 'wakes for the end of the hold-down only');
  r = step(m, k, 1200);
  t.true(m.status(1200).candidates[0]!.healthy);
  t.is(r.nextWakeAt, null, 'no preemption deadline to wake for');
  t.is(m.dueMove(1200), null, 'mgmt move --auto: no move is due');
  t.deepEqual(step(m, k, 1e9).decisions, []);
  t.is(holderOf(k), 'eth1');
  // Only the holder's failure moves the addresses:
  setLink(m, k, 1e9, 'eth1', NOCARRIER);
  r = step(m, k, 1e9);
  t.is(r.decisions[0]!.kind, 'move');
  t.is(holderOf(k), 'eth0', 'on failure the best healthy candidate, by priority');
  // The operator still moves it, and --auto then leaves it where it is.
  t.is(m.pin(1e9 + 1, 'eth2'), null);
  step(m, k, 1e9 + 1);
  t.is(holderOf(k), 'eth2');
  t.is(m.pin(1e9 + 2, null), null);
  t.deepEqual(step(m, k, 1e9 + 2).decisions, []);
  t.deepEqual(step(m, k, 2e9).decisions, []);
  t.is(holderOf(k), 'eth2');
  t.is(m.counters.moves, 3);
});

test('all candidates down: addresses stay parked on the last holder; the first back takes them after hold-down', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  for (const n of ['eth0', 'eth1', 'eth2']) setLink(m, k, 10, n, NOCARRIER);
  let r = step(m, k, 10);
  t.is(holderOf(k), 'eth0', 'parked, not removed');
  t.deepEqual(r.decisions, []);
  setLink(m, k, 20, 'eth2', UP);
  r = step(m, k, 20);
  t.is(holderOf(k), 'eth0', 'eth2 is in hold-down');
  t.is(r.nextWakeAt, 1020);
  r = step(m, k, 1020);
  t.is(holderOf(k), 'eth2');
  t.is(k.route, 'eth2');
});

test('manual deletion on the holder is put back and reported as a restore', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  k.addrs.set(addressKey(V4), []);
  m.observeAddr('del', addressKey(V4), { ifname: 'eth0', prefixlen: 24 });
  const r = step(m, k, 50);
  t.is(r.decisions[0]!.kind, 'restore');
  t.regex(r.decisions[0]!.reason, /192\.0\.2\.10\/24 missing on eth0/);
  t.deepEqual(r.decisions[0]!.actions.map((a) => a.kind), ['add-addr', 'route', 'announce']);
  t.is(holderOf(k), 'eth0');
  t.is(m.counters.restores, 1);
});

test('address added by hand elsewhere is removed from there (dedupe), holder untouched', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  k.addrs.set(addressKey(V4), [...k.addrs.get(addressKey(V4))!, { ifname: 'other9', prefixlen: 24 }]);
  m.observeAddr('new', addressKey(V4), { ifname: 'other9', prefixlen: 24 });
  const r = step(m, k, 50);
  t.is(r.decisions[0]!.kind, 'dedupe');
  t.deepEqual(r.decisions[0]!.actions.map((a) => `${a.kind} ${a.ifname}`), ['del-addr other9']);
  t.is(holderOf(k), 'eth0');
});

test('a wrong prefix length on the holder is replaced by the configured one', (t) => {
  const { k, m } = setup({ addresses: [V4] });
  k.addrs.set(addressKey(V4), [{ ifname: 'eth0', prefixlen: 32 }]);
  m.sync(0, k.snapshot());
  const r = step(m, k, 0);
  t.deepEqual(r.decisions[0]!.actions.slice(0, 2).map((a) => a.kind === 'del-addr' || a.kind === 'add-addr' ? `${a.kind}/${a.prefixlen}` : a.kind), ['del-addr/32', 'add-addr/24']);
});

test('default route moved away by someone is put back via the holder', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  m.observeRoute('del', 4, 'eth0');
  const r = step(m, k, 10);
  t.is(r.decisions[0]!.kind, 'route');
  t.is(k.route, 'eth0');
});

test('ARP probe: allowed misses tolerated, one more moves, recovery needs a hold-down', (t) => {
  const { k, m } = setup({ probe: { allowedMisses: 2 } });
  m.sync(0, k.snapshot());
  step(m, k, 0);
  m.observeProbe(100, 'eth0', false);
  m.observeProbe(200, 'eth0', false);
  step(m, k, 200);
  t.is(holderOf(k), 'eth0');
  m.observeProbe(300, 'eth0', false);
  const r = step(m, k, 300);
  t.is(holderOf(k), 'eth1');
  t.regex(r.decisions[0]!.reason, /gateway not answering ARP \(3 consecutive misses\)/);
  m.observeProbe(400, 'eth0', true);
  t.false(m.isHealthyNow(400, 'eth0'));
  t.true(m.isHealthyNow(1400, 'eth0'));
  t.is(m.counters.probeMisses, 3);
});

test('NDP probe: its own misses, apart from the ARP probe\'s; either one past its allowance moves', (t) => {
  const { k, m } = setup({ probe: { allowedMisses: 2 }, ndpProbe: { allowedMisses: 1 } });
  m.sync(0, k.snapshot());
  step(m, k, 0);
  // ARP answers between the NDP misses: they must not reset the NDP count
  m.observeProbe(100, 'eth0', false, 'ndp');
  m.observeProbe(150, 'eth0', true, 'arp');
  step(m, k, 150);
  t.is(holderOf(k), 'eth0');
  m.observeProbe(200, 'eth0', false, 'ndp');
  const r = step(m, k, 200);
  t.is(holderOf(k), 'eth1');
  t.regex(r.decisions[0]!.reason, /IPv6 gateway not answering NDP \(2 consecutive misses\)/);
  const st = m.status(200).candidates.find((c) => c.name === 'eth0')!;
  t.deepEqual(st.ndpProbe, { misses: 2, lastOkAt: null });
  t.deepEqual(st.probe, { misses: 0, lastOkAt: 150 });
  m.observeProbe(300, 'eth0', true, 'ndp');
  t.true(m.isHealthyNow(1300, 'eth0'));
  t.regex(m.status(1300).candidates[0]!.why, /gateway answers ARP, IPv6 gateway answers NDP/);
  t.is(m.counters.probeMisses, 2);
});

test('periodic refresh announces once per period on the holder', (t) => {
  const { k, m } = setup({ announce: { count: 3, intervalMs: 100, refreshMs: 5000 } });
  m.sync(0, k.snapshot());
  let r = step(m, k, 0);
  t.is(r.nextWakeAt, 5000, 'only the refresh is pending: the holder is the preferred candidate');
  r = step(m, k, 4999);
  t.deepEqual(r.decisions, []);
  r = step(m, k, 5000);
  t.is(r.decisions.length, 1);
  t.is(r.decisions[0]!.kind, 'refresh');
  const a = r.decisions[0]!.actions[0] as Extract<Action, { kind: 'announce' }>;
  t.is(a.count, 1);
  t.is(a.ifname, 'eth0');
  t.is(r.nextWakeAt, 10000);
});

test('operator pin: moves now, no preemption back, released when the pinned interface fails', (t) => {
  const { k, m } = setup();
  m.sync(0, k.snapshot());
  step(m, k, 0);
  t.is(m.pin(10, 'eth9'), 'eth9 is not a candidate (candidates: eth0, eth1, eth2)');
  setLink(m, k, 10, 'eth2', NOCARRIER);
  t.regex(m.pin(10, 'eth2')!, /eth2 is not usable: no carrier/);
  t.is(m.pin(10, 'eth1'), null);
  let r = step(m, k, 10);
  t.is(holderOf(k), 'eth1');
  t.regex(r.decisions[0]!.reason, /operator/);
  step(m, k, 1e6);
  t.is(holderOf(k), 'eth1', 'no preemption while pinned');
  setLink(m, k, 1e6 + 1, 'eth1', NOCARRIER);
  r = step(m, k, 1e6 + 1);
  t.is(r.decisions[0]!.kind, 'pin-released');
  t.is(holderOf(k), 'eth0');
  t.is(m.pinnedTo, null);
});

test('bad configurations are refused', (t) => {
  t.throws(() => new FailoverMachine(config({ candidates: [] })), { message: /at least one candidate/ });
  t.throws(() => new FailoverMachine(config({ addresses: [] })), { message: /at least one address/ });
  t.throws(() => new FailoverMachine(config({ candidates: ['a', 'a'] })), { message: /distinct/ });
});

// --- property test: random flap storms ---

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('flap storm: at every instant at most one holder, exactly one healthy holder when any is healthy, moves bounded', (t) => {
  let worst = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = prng(seed);
    const n = 2 + Math.floor(rnd() * 3);
    const names = ['eth0', 'eth1', 'eth2', 'eth3'].slice(0, n);
    const holdDownMs = 50 + Math.floor(rnd() * 500);
    const probe = rnd() < 0.3 ? { allowedMisses: Math.floor(rnd() * 3) } : null;
    const cfg = config({ candidates: names, holdDownMs, preemptDelayMs: Math.floor(rnd() * 1000), probe, announce: { count: 3, intervalMs: 10, refreshMs: rnd() < 0.5 ? 0 : 700 } });
    const k = new Kernel(names);
    const m = new FailoverMachine(cfg);
    // The oracle: the test's own record of when each interface last came up (independent of the machine).
    const upSince = new Map<string, number | null>();
    const misses = new Map<string, number>();
    for (const nm of names) {
      const up = rnd() < 0.7;
      k.links.set(nm, up ? { ...UP } : { ...NOCARRIER });
      upSince.set(nm, up ? -Infinity : null);
      misses.set(nm, 0);
    }
    const oracleUp = (nm: string) => {
      const l = k.links.get(nm)!;
      return l.exists && l.admin && l.carrier && l.operUp && (!probe || misses.get(nm)! <= probe.allowedMisses);
    };
    const setUpSince = (nm: string, before: boolean, now: number) => {
      const after = oracleUp(nm);
      if (after && !before) upSince.set(nm, now);
      if (!after) upSince.set(nm, null);
    };
    const oracleHealthy = (nm: string, now: number) => upSince.get(nm) !== null && upSince.get(nm)! + holdDownMs <= now;
    m.sync(0, k.snapshot());
    let now = 0;
    const check = () => t.true(k.maxPerAddress() <= 1, `seed ${seed}: an address on two interfaces at ${now}: ${[...k.holders()].join(',')}`);
    step(m, k, now, check);
    const T = 20_000;
    while (now < T) {
      // up to 100 Hz flapping: 1..10 ms between events, sometimes a quiet spell
      now += rnd() < 0.05 ? Math.floor(rnd() * 2000) : 1 + Math.floor(rnd() * 10);
      const nm = names[Math.floor(rnd() * n)]!;
      const before = oracleUp(nm);
      const r = rnd();
      if (r < 0.55) {
        const l = k.links.get(nm)!;
        const next = l.carrier ? { ...NOCARRIER } : { ...UP };
        setLink(m, k, now, nm, next);
        if (!next.carrier) misses.set(nm, 0);
      } else if (r < 0.65) {
        const admin = rnd() < 0.5;
        setLink(m, k, now, nm, { ...UP, admin });
        if (!admin) misses.set(nm, 0);
      } else if (r < 0.8 && probe) {
        const ok = rnd() < 0.5;
        if (k.links.get(nm)!.carrier) {
          misses.set(nm, ok ? 0 : misses.get(nm)! + 1);
          m.observeProbe(now, nm, ok);
        }
      } else if (r < 0.85) {
        // someone deletes an address by hand
        const key = rnd() < 0.5 ? addressKey(V4) : addressKey(V6);
        const list = k.addrs.get(key) ?? [];
        if (list.length) {
          const victim = list[0]!;
          k.addrs.set(key, list.slice(1));
          m.observeAddr('del', key, victim);
        }
      }
      setUpSince(nm, before, now);
      const res = step(m, k, now, check);
      if (res.nextWakeAt !== null) t.true(res.nextWakeAt > now, `seed ${seed}: wake-up in the past`);
      // After the step: if any is healthy (per the oracle) the addresses are on exactly one, healthy, interface.
      const healthy = names.filter((x) => oracleHealthy(x, now));
      const holders = [...k.holders()];
      if (healthy.length > 0) {
        t.is(holders.length, 1, `seed ${seed} t=${now}: healthy ${healthy} but holders ${holders}`);
        t.true(healthy.includes(holders[0]!), `seed ${seed} t=${now}: holder ${holders[0]} not healthy (healthy: ${healthy})`);
        for (const a of [V4, V6]) t.is((k.addrs.get(addressKey(a)) ?? []).length, 1, `seed ${seed}: ${a.address} not on exactly one`);
      }
    }
    const bound = 2 * n * (T / holdDownMs + 2);
    worst = Math.max(worst, m.counters.moves / bound);
    t.true(m.counters.moves <= bound, `seed ${seed}: ${m.counters.moves} moves > bound ${bound}`);
  }
  t.log(`worst moves/bound ratio over 200 storms: ${worst.toFixed(3)}`);
});
