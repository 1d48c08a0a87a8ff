// Skips decided when a test file loads, from the kernel's own answer, so that ava counts a test
// that cannot run here as skipped rather than passed:
//
//   const test = testIf('root', 'vlan');      // ava's `test`, or one whose tests are skipped
//   test('vlan on a veth', (t) => { ... });
//
// A missing need is printed once per file and reason (`SKIP link: 3 tests: kernel lacks vlan:
// kernel refused "ip link add ..."`), which scripts/skip-summary.mjs tallies per run.
//
// The strict switch, NODECTL_REQUIRE_FEATURES=all (or a list such as `sctp,vlan,kprobe`), turns
// such a skip into a failing test when the kernel is at least as new as the feature's first
// kernel (cilium/ebpf: "isn't supported even though kernel is newer than"), so a skip cannot go
// stale where the kernel should have the feature: the VM runner and CI set it in the guest.
// `all` covers the kernel's features; needs that are not the kernel's (root, the VM, the
// built CLI, a command) are strict only when named.
//
// Probes run once per process; an answer is kept only when it is conclusive (a refusal for lack
// of permission, or a probe that could not run, says nothing about the kernel).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { FEATURE_MIN_KERNEL, type FeatureName, kernelAtLeast, probeFeature } from 'ebpf-ts';
import { isRoot, Netns, uniqueName } from './netns.js';

export type LinkKind = 'vlan' | 'bond' | 'dummy' | 'macvlan' | 'macvtap' | 'veth' | 'bridge' | 'ipvlan' | 'vxlan';
/** A kernel feature (probed) or a need of the test run (root, the VM, the built CLI, a command, a file). */
// `kernel:X`: a kernel behaviour a test finds only inside itself (skipInside, with its first kernel).
export type Need = FeatureName | LinkKind | 'sctp' | 'root' | 'vm' | 'cli' | `cmd:${string}` | `file:${string}` | `kernel:${string}`;

export interface Answer {
  need: Need;
  has: boolean;
  /** Why not, in the kernel's (or the system's) own words; how it was established when `has`. */
  why: string;
  /** false: the probe could not tell (no permission, a transient error): not cached, not "absent". */
  conclusive: boolean;
  /** A kernel feature: the first mainline kernel that has it. Undefined for needs that are not the kernel's. */
  minKernel?: string;
}

const LINK_KINDS = new Set<string>(['vlan', 'bond', 'dummy', 'macvlan', 'macvtap', 'veth', 'bridge', 'ipvlan', 'vxlan']);
// Kinds that have been in mainline for as long as nodectl can run (a kernel lacking one was built
// without it): any kernel is new enough, so under the strict switch their absence always fails.
const ALWAYS = '2.6';
const LINK_MIN: Record<LinkKind, string> = {
  vlan: ALWAYS, bond: ALWAYS, dummy: ALWAYS, bridge: ALWAYS, macvlan: '2.6.23', macvtap: '2.6.34', veth: '2.6.24', ipvlan: '3.19', vxlan: '3.7',
};

export function isKernelNeed(n: string): boolean {
  return n === 'sctp' || LINK_KINDS.has(n) || n in FEATURE_MIN_KERNEL || n.startsWith('kernel:');
}

/** A kernel feature's first mainline kernel (undefined for needs that are not the kernel's). */
export function minKernelOf(n: Need): string | undefined {
  if (n === 'sctp') return ALWAYS;
  if (LINK_KINDS.has(n)) return LINK_MIN[n as LinkKind];
  return (FEATURE_MIN_KERNEL as Record<string, string>)[n];
}

const cache = new Map<Need, Answer>();
const PROJECT = fileURLToPath(new URL('../../', import.meta.url));

// "ip link add" refusals that say the kernel does not know the kind (rather than "not allowed",
// or a clash with what is there).
const KIND_ABSENT = /Unknown device type|not supported|Operation not supported|No such file or directory/i;

function probeLinkKind(kind: LinkKind): Answer {
  const min = LINK_MIN[kind];
  if (!isRoot()) return { need: kind, has: false, conclusive: false, minKernel: min, why: `cannot ask the kernel for link kind ${kind}: not root` };
  const ns = new Netns(uniqueName('nctl-probe-'));
  try {
    // These kinds need a lower device: without one the kernel answers EINVAL whether it has the kind or not.
    const lower = ['vlan', 'macvlan', 'macvtap', 'ipvlan'].includes(kind);
    if (lower) ns.ip('link', 'add', 'lowprobe', 'type', 'veth', 'peer', 'name', 'lowprobe2');
    const args = lower ? ['link', 'add', 'link', 'lowprobe', 'name', 'probe0', 'type', kind] : ['link', 'add', 'probe0', 'type', kind];
    if (kind === 'vlan') args.push('id', '5');
    if (kind === 'veth') args.push('peer', 'name', 'probe1');
    if (kind === 'vxlan') args.push('id', '5', 'dstport', '4789');
    const r = spawnSync('ip', ['-n', ns.name, ...args], { encoding: 'utf8' });
    if (r.status === 0) return { need: kind, has: true, conclusive: true, minKernel: min, why: `ip ${args.join(' ')} accepted` };
    const err = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
    return { need: kind, has: false, conclusive: KIND_ABSENT.test(err), minKernel: min, why: `kernel lacks ${kind}: kernel refused "ip ${args.join(' ')}": ${err}` };
  } finally {
    ns.remove();
  }
}

function probeSctp(): Answer {
  // The module's own files appear once it is loaded (or built in); a kernel that has it as a
  // module loads it on the first SCTP socket, which modprobe -n (a dry run: nothing loaded) finds.
  if (existsSync('/proc/net/sctp')) return { need: 'sctp', has: true, conclusive: true, minKernel: ALWAYS, why: '/proc/net/sctp present' };
  const r = spawnSync('modprobe', ['-n', '-v', 'sctp'], { encoding: 'utf8' });
  if (r.error) return { need: 'sctp', has: false, conclusive: false, minKernel: ALWAYS, why: `no /proc/net/sctp, and modprobe could not run: ${r.error.message}` };
  if (r.status === 0) return { need: 'sctp', has: true, conclusive: true, minKernel: ALWAYS, why: 'module sctp available (modprobe -n), loaded on first use' };
  return { need: 'sctp', has: false, conclusive: true, minKernel: ALWAYS, why: `kernel lacks sctp: no /proc/net/sctp, and modprobe -n sctp: ${(r.stderr || `exit ${r.status}`).trim()}` };
}

function probe(n: Need): Answer {
  if (n === 'root') {
    return isRoot() ? { need: n, has: true, conclusive: true, why: 'root' } : { need: n, has: false, conclusive: true, why: 'not root; privileged tests need CAP_NET_ADMIN and CAP_SYS_ADMIN' };
  }
  if (n === 'vm') {
    return process.env.NODECTL_IN_VM === '1'
      ? { need: n, has: true, conclusive: true, why: 'in the VM' }
      : { need: n, has: false, conclusive: true, why: 'not in the VM (run npm run test:vm)' };
  }
  if (n === 'cli') {
    const ok = existsSync(`${PROJECT}dist/cli/base-command.js`) && existsSync(`${PROJECT}dist/commands`);
    return { need: n, has: ok, conclusive: true, why: ok ? 'dist/ built' : 'the CLI is not built (npm run build:ts)' };
  }
  if (n.startsWith('cmd:')) {
    const cmd = n.slice(4);
    const ok = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
    return { need: n, has: ok, conclusive: true, why: ok ? `${cmd} found` : `${cmd} is not installed` };
  }
  if (n.startsWith('file:')) {
    const f = n.slice(5);
    const ok = existsSync(f);
    return { need: n, has: ok, conclusive: true, why: ok ? `${f} present` : `no ${f}` };
  }
  if (n === 'sctp') return probeSctp();
  if (LINK_KINDS.has(n)) return probeLinkKind(n as LinkKind);
  const f = probeFeature(n as FeatureName);
  return { need: n, has: f.supported, conclusive: f.conclusive !== false, minKernel: FEATURE_MIN_KERNEL[n as FeatureName], why: f.supported ? f.reason : `kernel lacks ${n}: ${f.reason}` };
}

/** The kernel's (or the system's) answer for `need`, probed once per process when conclusive. */
export function kernelHas(need: Need): Answer {
  const hit = cache.get(need);
  if (hit) return hit;
  let a: Answer;
  try {
    a = probe(need);
  } catch (err) {
    a = { need, has: false, conclusive: false, minKernel: minKernelOf(need), why: `probe of ${need} failed: ${(err as Error).message}` };
  }
  if (a.conclusive) cache.set(need, a);
  return a;
}

/** The needs NODECTL_REQUIRE_FEATURES makes strict ("all": every kernel feature). */
// `env` has no default: an explicit undefined (a unit test's "switch unset") must not turn into
// the process's own NODECTL_REQUIRE_FEATURES, which the VM guest sets to `all`.
export function strictNeeds(env: string | undefined): { all: boolean; named: Set<string> } {
  const v = (env ?? '').trim();
  const words = v.split(/[\s,]+/).filter(Boolean);
  return { all: words.includes('all'), named: new Set(words.filter((w) => w !== 'all')) };
}

/**
 * For a check of what the kernel reports only from kernel `since` on (an attribute it added
 * then): true where the kernel is that new, so the caller checks it; otherwise the part is
 * skipped by skipInside, naming the attribute and its kernel, and false.
 */
export function sinceKernel(t: ExecutionContext, attr: string, since: string, why: string): boolean {
  if (kernelAtLeast(since)) return true;
  skipInside(t, `kernel:${attr}`, `kernel lacks ${attr} (${since}): ${why}`, since);
  return false;
}

/**
 * What to do about a missing need: 'skip', or a failure message when the strict switch names it
 * (or `all` and it is the kernel's) and the kernel is at least its first kernel. An
 * inconclusive probe under the strict switch fails too: "could not tell" is not "absent".
 */
export function verdict(a: Answer, kernel: string, env: string | undefined): { skip: true } | { fail: string } {
  const s = strictNeeds(env);
  const strict = s.named.has(a.need) || (s.all && isKernelNeed(a.need));
  if (!strict) return { skip: true };
  if (!a.conclusive) return { fail: `NODECTL_REQUIRE_FEATURES=${env}: could not tell whether kernel ${kernel} has ${a.need}: ${a.why}` };
  if (a.minKernel !== undefined && !kernelAtLeast(a.minKernel, kernel)) return { skip: true };
  const since = a.minKernel ? `, which mainline has had since ${a.minKernel}` : '';
  return { fail: `NODECTL_REQUIRE_FEATURES=${env}: ${a.need} isn't supported even though kernel ${kernel} should have it${since}: ${a.why}` };
}

// One line per file and reason, printed once the file has registered its tests (so with the
// count): ava prints a worker's stdout as it comes.
const pending = new Map<string, number>();
let flushQueued = false;
function noteSkip(file: string, reason: string): void {
  const key = `${file}\0${reason}`;
  pending.set(key, (pending.get(key) ?? 0) + 1);
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(() => {
    flushQueued = false;
    for (const [k, n] of pending) {
      const [f, r] = k.split('\0');
      console.log(`SKIP ${f}: ${n} test${n === 1 ? '' : 's'}: ${r}`);
    }
    pending.clear();
  });
}

/** The test file that called (its ava name: the path's base without .test.ts). */
function callerFile(): string {
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /(?:file:\/\/)?(\/[^\s:)]+\.test\.[cm]?[jt]s)/.exec(line);
    if (m) return basename(m[1]!).replace(/\.test\.[cm]?[jt]s$/, '');
  }
  return 'unknown';
}

type AnyFn = (...args: unknown[]) => unknown;

function skipping(base: TestFn, note: () => void): TestFn {
  const wrap = (target: AnyFn, skip: AnyFn): AnyFn => new Proxy(target, {
    apply(_t, _this, args) {
      note();
      return skip(...args);
    },
  });
  const b = base as unknown as Record<string, AnyFn & { skip: AnyFn }>;
  return new Proxy(base, {
    apply(_t, _this, args: unknown[]) {
      note();
      return (base.skip as unknown as AnyFn)(...args);
    },
    get(target, prop, recv) {
      if (prop === 'serial') return wrap(b.serial!, b.serial!.skip);
      if (prop === 'only' || prop === 'failing') return wrap(b[prop]!, base.skip as unknown as AnyFn);
      return Reflect.get(target, prop, recv);
    },
  });
}

function failing(base: TestFn, message: string): TestFn {
  const fail = (reg: AnyFn): AnyFn => (...args: unknown[]) => reg(typeof args[0] === 'string' ? args[0] : 'a test', (t: ExecutionContext) => t.fail(message));
  const b = base as unknown as Record<string, AnyFn>;
  return new Proxy(base, {
    apply(_t, _this, args: unknown[]) {
      return fail(base as unknown as AnyFn)(...args);
    },
    get(target, prop, recv) {
      if (prop === 'serial' || prop === 'only' || prop === 'failing') return fail(b.serial!);
      return Reflect.get(target, prop, recv);
    },
  });
}

/**
 * ava's `test` when every need is met; otherwise a `test` whose tests are registered as skipped
 * (the reason printed once for the file), or, under NODECTL_REQUIRE_FEATURES, as failing with
 * the feature and the kernel named. Needs are checked in order: the first missing one decides.
 */
export function testIf<Ctx = unknown>(...needs: Need[]): TestFn<Ctx> {
  return testIfWith(anyTest as TestFn<Ctx>, needs);
}

export interface TestIfOptions {
  ask?: (n: Need) => Answer;
  kernel?: string;
  env?: string | undefined;
  file?: string;
  note?: (file: string, reason: string) => void;
}

/** testIf with its parts given (the unit test's fake `test`, answers and environment). */
export function testIfWith<Ctx>(base: TestFn<Ctx>, needs: Need[], o: TestIfOptions = {}): TestFn<Ctx> {
  for (const n of needs) {
    const a = (o.ask ?? kernelHas)(n);
    if (a.has) continue;
    const v = verdict(a, o.kernel ?? release(), 'env' in o ? o.env : process.env.NODECTL_REQUIRE_FEATURES);
    if ('fail' in v) return failing(base as TestFn, v.fail) as TestFn<Ctx>;
    const file = o.file ?? callerFile();
    return skipping(base as TestFn, () => (o.note ?? noteSkip)(file, a.why)) as TestFn<Ctx>;
  }
  return base;
}

/**
 * For a condition the test file establishes itself when it loads (a built artifact, a kernel
 * answer only this file asks for): `has` false registers the tests as skipped with `why`, or,
 * with `orFail`, as failing with that message (e.g. CI builds the .deb first, so there a
 * missing one is a failure). When `has`, the `needs` are checked as testIf checks them.
 */
export function testWhen<Ctx = unknown>(has: boolean, why: string, o: { orFail?: string | undefined; needs?: Need[] } & TestIfOptions & { base?: TestFn<Ctx> } = {}): TestFn<Ctx> {
  const base = o.base ?? (anyTest as TestFn<Ctx>);
  if (!has && o.orFail) return failing(base as TestFn, o.orFail) as TestFn<Ctx>;
  const file = o.file ?? callerFile();
  const decided = has ? base : skipping(base as TestFn, () => (o.note ?? noteSkip)(file, why)) as TestFn<Ctx>;
  return testIfWith(decided, o.needs ?? [], { ...o, file });
}

/**
 * For a skip that can only be known inside a test, after its setup: logs `SKIP: why` and returns
 * true (the caller returns; ava still counts the test as passed, and the log says what did not
 * run), or fails the test under the strict switch when the kernel should have `need`. For a part
 * of a test (the rest still runs) the caller goes on instead of returning.
 */
export function skipInside(t: ExecutionContext, need: Need | (string & Record<never, never>), why: string, minKernel = minKernelOf(need as Need)): boolean {
  // A need that is none of the above (e.g. 'dump_intr') is strict only when named in the switch.
  const v = verdict({ need: need as Need, has: false, conclusive: true, why, ...(minKernel ? { minKernel } : {}) }, release(), process.env.NODECTL_REQUIRE_FEATURES);
  if ('fail' in v) {
    t.fail(v.fail);
    return true;
  }
  t.log(`SKIP: ${why}`);
  t.pass();
  return true;
}
