// scripts/skip-summary.mjs on recorded ava output: tests skipped at load (ava's `- [skip]`, with
// the `SKIP <file>: <n> tests: <reason>` lines of test/helpers/require.ts) are counted by reason,
// and passed tests that logged SKIP once per reason group, in the host's Unicode marks and the
// guest console's ASCII-safe ones alike.
import test from 'ava';
// @ts-expect-error: a plain .mjs script without type declarations
import { report, summarize } from '../../scripts/skip-summary.mjs';

type Summary = {
  passed: number; failed: number; skippedTests: number;
  skipped: Map<string, { tests: number; files: Set<string>; example: string }>;
  logged: Map<string, { tests: Set<string>; example: string }>;
};
const sum = summarize as (s: string) => Summary;
const rep = report as (s: Summary) => string[];

// from a host run (Unicode) and the 5.10 guest's console (√ and i), abridged
const HOST = `
  - [skip] vm › guest-kernel › vlan on a bond of dummies, inside a namespace
  - [skip] vm › guest-kernel › an SCTP association between two namespaces (iperf3 --sctp)
SKIP guest-kernel: 2 tests: not in the VM (run npm run test:vm)
  - [skip] netns › link › a vlan on a veth
SKIP link: 1 test: kernel lacks vlan: kernel refused "ip link add link lowprobe name probe0 type vlan id 5": Error: Unknown device type.
  ✔ netns › link › counters (1.2s)
  ✔ netns › ebpf-tc › tcx and clsact (1.2s)
    ℹ SKIP: kernel lacks tcx: bpf_link_create refused tcx_ingress: EINVAL
    ℹ SKIP: kernel lacks tcx: bpf_link_create refused tcx_egress: EINVAL
  ✔ netns › ebpf-features › the bpf_loop feature and the helper probe agree
    ℹ bpf_loop: yes — helper bpf_loop accepted in sched_cls
  ✘ [fail]: netns › link › setLink renames a running link
  ─

  3 tests passed
  1 test failed
  3 tests skipped
`;
const GUEST = `
  \u221a netns \u203a sctp-slots \u203a the tracer program fills slots (190ms)
    i SKIP: kernel lacks bpf_loop (5.17), so the tracer has no slot table here: the verifier does not know helper bpf_loop (sched_cls)
  \u221a netns \u203a sctp-wire-parse \u203a the compact object counts exactly the same (350ms)
    i SKIP: kernel lacks bpf_loop (5.17): the verifier does not know helper bpf_loop (sched_cls)
  \u221a vm \u203a guest-kernel \u203a kprobes are available (1.9s)
  - [skip] vm \u203a guest-kernel \u203a module BTF: the sctp module carries BTF (the host kernel has no modules)
SKIP guest-kernel: 1 test: kernel lacks module_btf: loaded modules carry no BTF (none in /sys/kernel/btf: CONFIG_DEBUG_INFO_BTF_MODULES)
  30 tests passed
`;

test('host output: skipped tests by reason and file; a test with two SKIP lines of one reason counts once; info lines and failures are not skips', (t) => {
  const s = sum(HOST);
  t.is(s.passed, 3);
  t.is(s.failed, 1);
  t.is(s.skippedTests, 3);
  t.deepEqual([...s.skipped.keys()], ['not in the VM', 'kernel lacks vlan']);
  t.deepEqual([...s.logged.keys()], ['kernel lacks tcx']);
  t.is(s.logged.get('kernel lacks tcx')!.tests.size, 1);
  t.deepEqual(rep(s), [
    '3 skipped, 3 passed (1 of them logged SKIP: did not run all their checks), 1 failed',
    '  skipped, by reason:',
    '     2  not in the VM  [guest-kernel]  (e.g. not in the VM (run npm run test:vm))',
    '     1  kernel lacks vlan  [link]  (e.g. kernel lacks vlan: kernel refused "ip link add link lowprobe name probe0 type vlan id 5": Error: Unknown device type.)',
    '  passed, but logged SKIP for part of their checks:',
    '     1  kernel lacks tcx  (e.g. kernel lacks tcx: bpf_link_create refused tcx_ingress: EINVAL)',
  ]);
});

test('guest console output (ASCII-safe marks): one reason group for two phrasings of the same missing feature', (t) => {
  const s = sum(GUEST);
  t.is(s.passed, 3);
  t.is(s.skippedTests, 1);
  t.deepEqual([...s.logged.keys()], ['kernel lacks bpf_loop']);
  t.is(s.logged.get('kernel lacks bpf_loop')!.tests.size, 2);
  t.deepEqual([...s.skipped.keys()], ['kernel lacks module_btf']);
  t.is(rep(s)[0], '1 skipped, 3 passed (2 of them logged SKIP: did not run all their checks)');
});

test('a skipped test without a printed reason is counted as such', (t) => {
  t.deepEqual(rep(sum('  - [skip] a › b\n  ✔ a › c\n')), ['1 skipped, 1 passed', '     1  (no reason printed)']);
});

test('no SKIP line: nothing skipped', (t) => {
  t.deepEqual(rep(sum('  ✔ a › b\n  1 test passed\n')), ['0 skipped, 1 passed']);
});
