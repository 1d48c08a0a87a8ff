// scripts/skip-summary.mjs on recorded ava output: tests that logged SKIP are counted once per
// reason group, in the host's Unicode marks and the guest console's ASCII-safe ones alike.
import test from 'ava';
// @ts-expect-error: a plain .mjs script without type declarations
import { report, summarize } from '../../scripts/skip-summary.mjs';

type Summary = { passed: number; failed: number; skipped: Map<string, { tests: Set<string>; example: string }> };
const sum = summarize as (s: string) => Summary;
const rep = report as (s: Summary) => string[];

// from a host run (Unicode) and the 5.10 guest's console (√ and i), abridged
const HOST = `
  ✔ vm › guest-kernel › vlan on a bond of dummies, inside a namespace
    ℹ SKIP: not in the VM (run npm run test:vm)
  ✔ netns › ebpf-tc › tcx and clsact (1.2s)
    ℹ SKIP: kernel lacks tcx: bpf_link_create refused tcx_ingress: EINVAL
    ℹ SKIP: kernel lacks tcx: bpf_link_create refused tcx_egress: EINVAL
  ✔ netns › ebpf-features › the bpf_loop feature and the helper probe agree
    ℹ bpf_loop: yes — helper bpf_loop accepted in sched_cls
  ✘ [fail]: netns › link › setLink renames a running link
  ─

  3 tests passed
  1 test failed
`;
const GUEST = `
  \u221a netns \u203a sctp-slots \u203a the tracer program fills slots (190ms)
    i SKIP: kernel lacks bpf_loop (5.17), so the tracer has no slot table here: the verifier does not know helper bpf_loop (sched_cls)
  \u221a netns \u203a sctp-wire-parse \u203a the compact object counts exactly the same (350ms)
    i SKIP: kernel lacks bpf_loop (5.17): the verifier does not know helper bpf_loop (sched_cls)
  \u221a vm \u203a guest-kernel \u203a kprobes and module BTF are available (1.9s)
  30 tests passed
`;

test('host output: a test with two SKIP lines of one reason counts once; info lines and failures are not skips', (t) => {
  const s = sum(HOST);
  t.is(s.passed, 3);
  t.is(s.failed, 1);
  t.deepEqual([...s.skipped.keys()], ['not in the VM', 'kernel lacks tcx']);
  t.is(s.skipped.get('kernel lacks tcx')!.tests.size, 1);
  t.deepEqual(rep(s), [
    '2 of 3 passed tests logged SKIP (did not run all their checks); 1 failed:',
    '     1  not in the VM  (e.g. not in the VM (run npm run test:vm))',
    '     1  kernel lacks tcx  (e.g. kernel lacks tcx: bpf_link_create refused tcx_ingress: EINVAL)',
  ]);
});

test('guest console output (ASCII-safe marks): one reason group for two phrasings of the same missing feature', (t) => {
  const s = sum(GUEST);
  t.is(s.passed, 3);
  t.deepEqual([...s.skipped.keys()], ['kernel lacks bpf_loop']);
  t.is(s.skipped.get('kernel lacks bpf_loop')!.tests.size, 2);
  t.is(rep(s)[0], '2 of 3 passed tests logged SKIP (did not run all their checks):');
});

test('no SKIP line: nothing skipped', (t) => {
  t.deepEqual(rep(sum('  ✔ a › b\n  1 test passed\n')), ['0 of 1 passed tests logged SKIP (did not run all their checks)']);
});
