// test/helpers/require.ts: which tests are registered as run, skipped or failing, from given
// answers, kernels and NODECTL_REQUIRE_FEATURES values (a fake `test` records the registrations).
import test, { type TestFn } from 'ava';
import { type Answer, type Need, minKernelOf, strictNeeds, testIfWith, verdict } from '../helpers/require.js';

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
