// test/helpers/require.ts: which tests are registered as run, skipped or failing, from given
// answers, kernels and NODECTL_REQUIRE_FEATURES values (a fake `test` records the registrations).
import test, { type ExecutionContext, type TestFn } from 'ava';
import { type Answer, type Need, minKernelOf, skipInside, strictNeeds, testIfWith, testWhen, verdict } from '../helpers/require.js';

interface Reg { how: 'run' | 'skip' | 'serial' | 'serial.skip'; title: string; impl: unknown }

function fakeTest(): { t: TestFn; regs: Reg[] } {
  const regs: Reg[] = [];
  const reg = (how: Reg['how']) => (title: string, impl: unknown) => void regs.push({ how, title, impl });
  const serial = Object.assign(reg('serial'), { skip: reg('serial.skip') });
  const t = Object.assign(reg('run'), { skip: reg('skip'), serial });
  return { t: t as unknown as TestFn, regs };
}

const absent = (need: Need, why = `kernel lacks ${need}: refused`): Answer => ({ need, has: false, conclusive: true, why, minKernel: minKernelOf(need) });
const present = (need: Need): Answer => ({ need, has: true, conclusive: true, why: 'there', minKernel: minKernelOf(need) });

test('every need met: ava\'s own test, nothing noted', (t) => {
  const { t: base, regs } = fakeTest();
  const notes: string[] = [];
  const got = testIfWith(base, ['root', 'vlan'], { ask: present, env: undefined, file: 'f', note: (_f, r) => notes.push(r) });
  t.is(got, base);
  got('a', () => {});
  t.deepEqual(regs.map((r) => r.how), ['run']);
  t.deepEqual(notes, []);
});

test('a missing need: tests and serial tests are registered as skipped, each noted with the reason', (t) => {
  const { t: base, regs } = fakeTest();
  const notes: string[] = [];
  const got = testIfWith(base, ['root', 'vlan', 'bond'], {
    ask: (n) => (n === 'vlan' ? absent('vlan', 'kernel lacks vlan: kernel refused "ip link add": Error: Unknown device type.') : present(n)),
    env: undefined, file: 'link', note: (f, r) => notes.push(`${f}: ${r}`),
  });
  got('one', () => {});
  got.serial('two', () => {});
  t.deepEqual(regs.map((r) => `${r.how} ${r.title}`), ['skip one', 'serial.skip two']);
  t.deepEqual(notes, Array(2).fill('link: kernel lacks vlan: kernel refused "ip link add": Error: Unknown device type.'));
});

test('the first missing need decides (root before a kernel probe that needs root)', (t) => {
  const { t: base } = fakeTest();
  const notes: string[] = [];
  const asked: Need[] = [];
  testIfWith(base, ['root', 'vlan'], { ask: (n) => (asked.push(n), absent(n, `no ${n}`)), env: undefined, file: 'f', note: (_f, r) => notes.push(r) })('x', () => {});
  t.deepEqual(asked, ['root']);
  t.deepEqual(notes, ['no root']);
});

test('strict switch: a kernel feature absent on a kernel new enough registers a failing test naming both', async (t) => {
  const { t: base, regs } = fakeTest();
  const got = testIfWith(base, ['sctp'], { ask: (n) => absent(n, 'kernel lacks sctp: no /proc/net/sctp'), kernel: '6.1.0-57-amd64', env: 'all', file: 'f', note: () => t.fail('noted as a skip') });
  got('assoc', () => {});
  got.serial('assoc 2', () => {});
  t.deepEqual(regs.map((r) => `${r.how} ${r.title}`), ['run assoc', 'serial assoc 2']);
  // the registered implementation fails with the message
  const failures: string[] = [];
  (regs[0]!.impl as (x: unknown) => void)({ fail: (m: string) => failures.push(m) });
  t.is(failures.length, 1);
  t.regex(failures[0]!, /sctp isn't supported even though kernel 6\.1\.0-57-amd64 should have it.*no \/proc\/net\/sctp/);
  t.regex(failures[0]!, /NODECTL_REQUIRE_FEATURES=all/);
});

test('strict switch: a feature newer than the kernel still skips (module BTF on 5.10), and fails from its first kernel on', (t) => {
  const a = absent('module_btf');
  t.is(minKernelOf('module_btf'), '5.11');
  t.deepEqual(verdict(a, '5.10.0-46-amd64', 'all'), { skip: true });
  const v = verdict(a, '5.11.0', 'all');
  t.true('fail' in v && /module_btf isn't supported even though kernel 5\.11\.0 should have it, which mainline has had since 5\.11/.test(v.fail));
  t.true('fail' in verdict(absent('bpf_loop'), '6.1.0-57-amd64', 'all'));
  t.deepEqual(verdict(absent('bpf_loop'), '5.10.0-46-amd64', 'all'), { skip: true });
});

test('strict switch: a list names features; needs that are not the kernel\'s are strict only when named', (t) => {
  t.deepEqual(verdict(absent('vlan'), '6.12.1', undefined), { skip: true });
  t.deepEqual(verdict(absent('vlan'), '6.12.1', ''), { skip: true });
  t.deepEqual(verdict(absent('vlan'), '6.12.1', 'sctp,bond'), { skip: true });
  t.true('fail' in verdict(absent('vlan'), '6.12.1', 'sctp, vlan'));
  t.deepEqual(verdict(absent('root', 'not root'), '6.12.1', 'all'), { skip: true });
  t.deepEqual(verdict(absent('vm', 'not in the VM'), '6.12.1', 'all'), { skip: true });
  t.true('fail' in verdict(absent('vm', 'not in the VM'), '6.12.1', 'all,vm'));
  t.deepEqual(strictNeeds('all,vm'), { all: true, named: new Set(['vm']) });
});

test('strict switch: a probe that could not tell fails (it is not "absent"), without it it skips', (t) => {
  const a: Answer = { need: 'fentry', has: false, conclusive: false, why: 'kernel lacks fentry: refused: EPERM', minKernel: '5.5' };
  const v = verdict(a, '6.18.44', 'all');
  t.true('fail' in v && /could not tell whether kernel 6\.18\.44 has fentry/.test(v.fail));
  t.deepEqual(verdict(a, '6.18.44', undefined), { skip: true });
});

test('testWhen: a condition of the file skips with its reason, after the needs (the first missing one decides)', (t) => {
  const notes: string[] = [];
  const o = { env: undefined, file: 'package-deb', note: (f: string, r: string) => notes.push(`${f}: ${r}`) };
  let f = fakeTest();
  testWhen(false, 'no dist-deb/nodectl_*.deb', { ...o, base: f.t, ask: present, needs: ['root'] })('a', () => {});
  t.deepEqual(f.regs.map((r) => `${r.how} ${r.title}`), ['skip a']);
  t.deepEqual(notes.splice(0), ['package-deb: no dist-deb/nodectl_*.deb']);
  f = fakeTest();
  testWhen(false, 'no dist-deb/nodectl_*.deb', { ...o, base: f.t, ask: (n) => ({ need: n, has: false, conclusive: true, why: 'not root' }), needs: ['root'] }).serial('b', () => {});
  t.deepEqual(f.regs.map((r) => `${r.how} ${r.title}`), ['serial.skip b']);
  t.deepEqual(notes.splice(0), ['package-deb: not root']);
  f = fakeTest();
  const got = testWhen(true, 'unused', { ...o, base: f.t, ask: present, needs: ['root'] });
  t.is(got, f.t);
  t.deepEqual(notes, []);
});

test('testWhen with orFail: the tests are registered failing with that message, whatever the needs', async (t) => {
  const f = fakeTest();
  testWhen(false, 'no .deb', { base: f.t, orFail: 'no dist-deb/nodectl_*.deb: .ci/run runs npm run package before npm test', needs: ['root'], ask: () => ({ need: 'root', has: false, conclusive: true, why: 'not root' }), env: undefined, file: 'x', note: () => {} })('c', () => {});
  t.deepEqual(f.regs.map((r) => `${r.how} ${r.title}`), ['run c']);
  const failed: string[] = [];
  await (f.regs[0]!.impl as (tt: unknown) => unknown)({ fail: (m: string) => failed.push(m) });
  t.deepEqual(failed, ['no dist-deb/nodectl_*.deb: .ci/run runs npm run package before npm test']);
});

test('skipInside: a kernel:X need fails under `all` on a kernel from its first one on; another name only when named', (t) => {
  const saved = process.env.NODECTL_REQUIRE_FEATURES;
  const fake = () => { const r = { fails: [] as string[], logs: [] as string[], passes: 0 }; return { r, t: { fail: (m: string) => r.fails.push(m), log: (m: string) => r.logs.push(m), pass: () => { r.passes++; } } as unknown as ExecutionContext }; };
  try {
    process.env.NODECTL_REQUIRE_FEATURES = 'all';
    let x = fake();
    t.true(skipInside(x.t, 'kernel:IFLA_BRPORT_LOCKED', 'kernel lacks IFLA_BRPORT_LOCKED', '2.6'));
    t.is(x.r.fails.length, 1);
    t.regex(x.r.fails[0]!, /kernel:IFLA_BRPORT_LOCKED isn't supported even though kernel .* should have it, which mainline has had since 2\.6/);
    x = fake();
    skipInside(x.t, 'kernel:FUTURE', 'kernel lacks FUTURE', '99.0');
    t.deepEqual([x.r.fails, x.r.logs, x.r.passes], [[], ['SKIP: kernel lacks FUTURE'], 1], 'newer than the kernel: still a skip');
    x = fake();
    skipInside(x.t, 'dump_intr', 'none of 100 dumps was marked');
    t.deepEqual([x.r.fails, x.r.logs], [[], ['SKIP: none of 100 dumps was marked']], 'not the kernel\'s: not covered by all');
    process.env.NODECTL_REQUIRE_FEATURES = 'dump_intr';
    x = fake();
    skipInside(x.t, 'dump_intr', 'none of 100 dumps was marked');
    t.is(x.r.fails.length, 1, 'named: strict');
  } finally {
    if (saved === undefined) delete process.env.NODECTL_REQUIRE_FEATURES;
    else process.env.NODECTL_REQUIRE_FEATURES = saved;
  }
});
