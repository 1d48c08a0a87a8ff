// The sctp commands as a user runs them (bin/run.js, built): stats --json while the generator
// plays, trace streaming NDJSON and detaching on SIGTERM (no tc/tcx attachment left on the
// interface afterwards, checked with bpftool as the independent witness), and clear errors.
import { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, vethPair } from '../helpers/netns.js';
import { runScenario } from '../../src/sctp/generator.js';
import { jiffyNs, probeFeature } from 'ebpf-ts';
import { readPublishedSessions, SESSIONS_BPFFS, SESSIONS_RUN } from '../../src/sctp/tracer.js';
import { skipInside, testIf } from '../helpers/require.js';

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const pair = (t: ExecutionContext) => vethPair(t, '10.66.0', { addresses: false });

/** clsact filters on va, as bpftool sees them. */
function clsactOn(ns: Netns): string {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'bpftool', '-j', 'net', 'show', 'dev', 'va'], { encoding: 'utf8' });
  return r.stdout;
}

/** tcx links a process holds, from the kernel's own fdinfo (bpftool 7.1 cannot list tcx per device). */
function tcxLinksOf(pid: number): number[] {
  const ids: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info = '';
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const type = /^link_type:\s*(\S+)/m.exec(info)?.[1];
    const id = /^link_id:\s*(\d+)/m.exec(info)?.[1];
    if (id && (type === 'tcx' || type === '11')) ids.push(Number(id));
  }
  return ids;
}

function liveLinks(): number[] {
  const r = spawnSync('bpftool', ['-j', 'link', 'show'], { encoding: 'utf8' });
  return (JSON.parse(r.stdout || '[]') as Array<{ id: number }>).map((l) => l.id);
}

/** What the tracer process attached: tcx link ids, or "clsact" when it fell back to filters. */
function attachments(ns: Netns, pid: number): { tcx: number[]; clsact: boolean } {
  return { tcx: tcxLinksOf(pid), clsact: /sctp_wire/.test(clsactOn(ns)) };
}

function detached(t: { true: (v: boolean, m?: string) => void; notRegex: (s: string, r: RegExp, m?: string) => void }, ns: Netns, before: { tcx: number[] }): void {
  const live = new Set(liveLinks());
  t.true(before.tcx.every((id) => !live.has(id)), `tcx links ${before.tcx.join(',')} are gone`);
  t.notRegex(clsactOn(ns), /sctp_wire/, 'no clsact filter left');
}

function startCli(args: string[]): { proc: ReturnType<typeof spawn>; out: () => string; err: () => string; ready: Promise<void>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Ctrl-C to stop/.test(err)) resolve();
    });
    proc.once('exit', (c) => reject(new Error(`exited ${c} before attaching: ${err}`)));
  });
  const exit = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return { proc, out: () => out, err: () => err, ready, exit };
}

testIf('root', 'cmd:bpftool')('trace streams NDJSON events and detaches on SIGTERM; stats reads its session meanwhile', async (t) => {
  const { a, b } = pair(t);
  const tr = startCli(['sctp', 'trace', '-n', a.name, '--dev', 'va', '--json']);
  t.teardown(() => tr.proc.kill('SIGKILL'));
  await tr.ready;
  const att = attachments(a, tr.proc.pid!);
  t.true(att.tcx.length === 2 || att.clsact, `attached while running (tcx links ${att.tcx.join(',')})`);
  // which build and clock the kernel got: the clock is the one the kernel's config allows
  const jiffy = jiffyNs();
  t.regex(tr.err(), jiffy ? new RegExp(`wire tracer: (in-line|compact|bounded) walk.*, jiffies clock \\(${jiffy / 1e6} ms\\)`) : /wire tracer: (in-line|compact|bounded) walk.*, coarse-clock helper/);
  await runScenario({ a: { netns: a.name, ifname: 'va', ip: '10.66.0.1', port: 4001 }, b: { netns: b.name, ifname: 'vb', ip: '10.66.0.2', port: 4002 } }, 'abort');

  const stats = spawnSync(process.execPath, [CLI, 'sctp', 'stats', '--json'], { encoding: 'utf8' });
  t.is(stats.status, 0, stats.stderr);
  const s = JSON.parse(stats.stdout) as { source: string; associations: Array<{ endpoints: Array<{ address: string; port: number }>; state: string; abort: { causeName: string } | null }> };
  t.is(s.source, 'sessions');
  // stats reads every published session, other test files' too (sctp-top-tty also uses port
  // 4001, on 10.67.0.1): the address picks this test's association
  const assoc = s.associations.find((x) => x.endpoints.some((e) => e.address === '10.66.0.1' && e.port === 4001));
  t.truthy(assoc, 'stats sees the association through the running trace session');
  t.is(assoc!.state, 'aborted');
  t.is(assoc!.abort?.causeName, 'user-initiated abort');

  await new Promise((r) => setTimeout(r, 300));
  tr.proc.kill('SIGTERM');
  t.is(await tr.exit, 0);
  const lines = tr.out().trim().split('\n').map((l) => JSON.parse(l) as { type?: string; summary?: boolean });
  t.deepEqual(lines.filter((l) => l.type).map((l) => l.type), ['init', 'up', 'abort']);
  t.true(lines[lines.length - 1]!.summary, 'the last line is the summary');
  detached(t, a, att);
});

testIf('root', 'cmd:bpftool')('a killed tracer (SIGKILL) leaves no tcx attachment behind', async (t) => {
  const { a } = pair(t);
  const tr = startCli(['sctp', 'trace', '-n', a.name, '--dev', 'va']);
  t.teardown(() => tr.proc.kill('SIGKILL'));
  await tr.ready;
  const before = attachments(a, tr.proc.pid!);
  // The kernel's answer decides, not what the tracer did: on a kernel with tcx, no tcx link is a failure.
  const tcx = probeFeature('tcx');
  if (!tcx.supported) {
    t.true(before.clsact, 'without tcx the tracer is attached through clsact filters');
    // fails instead under the strict switch on a kernel from 6.6 on
    skipInside(t, 'tcx', `kernel lacks tcx: ${tcx.reason} (checked instead: the tracer fell back to clsact filters, which a SIGKILL leaves, as documented)`);
    tr.proc.kill('SIGTERM');
    await tr.exit;
    return;
  }
  tr.proc.kill('SIGKILL');
  await tr.exit;
  t.is(before.tcx.length, 2);
  await new Promise((r) => setTimeout(r, 300));
  detached(t, a, before);
  // What it published for `sctp stats` stays until a reader finds its process gone (any
  // reader: another test's `sctp stats` may get there first)
  const pid = tr.proc.pid!;
  t.false(readPublishedSessions().some((s) => s.pid === pid), 'a reader does not show a dead session');
  t.false(existsSync(`${SESSIONS_RUN}/${pid}.json`) || existsSync(`${SESSIONS_BPFFS}/${pid}`), 'and removes what it published');
});

testIf('root', 'cmd:bpftool')('bad input: an unknown interface or namespace is a clear error, nothing attached', (t) => {
  const { a } = pair(t);
  const r = spawnSync(process.execPath, [CLI, 'sctp', 'stats', '-n', a.name, '--dev', 'nosuch0', '--duration', '100ms'], { encoding: 'utf8' });
  t.is(r.status, 4);
  t.regex(r.stderr, /nosuch0/);
  t.notRegex(clsactOn(a), /sctp_wire/);
  const j = spawnSync(process.execPath, [CLI, 'sctp', 'stats', '--dev', 'va@nctl-no-such-ns', '--json'], { encoding: 'utf8' });
  t.is(j.status, 4);
  t.is((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'NOT_FOUND');
  const u = spawnSync(process.execPath, [CLI, 'sctp', 'stats', '--dev', 'va', '--stall-after', 'soon'], { encoding: 'utf8' });
  t.is(u.status, 2);
  t.regex(u.stderr, /--stall-after takes a duration/);
});

/** va's tc state as tc itself reports it: qdiscs, and the filters of both clsact hooks. */
function tcState(ns: Netns): string {
  const tc = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns.name, 'tc', '-j', ...args], { encoding: 'utf8' }).stdout.trim();
  return [tc('qdisc', 'show', 'dev', 'va'), tc('filter', 'show', 'dev', 'va', 'ingress'), tc('filter', 'show', 'dev', 'va', 'egress')].join('\n');
}

testIf('root', 'cmd:bpftool', 'cmd:tc')('--attach: clsact on request even where tcx exists, and tc state as before once it exits; tcx only where the kernel has it', async (t) => {
  const { a } = pair(t);
  const before = tcState(a);
  const snap = await ipSnapshot(a.name);
  t.notRegex(before, /clsact/, 'no clsact qdisc on va to begin with');
  const tr = startCli(['sctp', 'trace', '-n', a.name, '--dev', 'va', '--attach', 'clsact']);
  t.teardown(() => tr.proc.kill('SIGKILL'));
  await tr.ready;
  t.regex(tr.err(), /va@\S+ \(ingress:clsact egress:clsact\)/, 'it says how it attached');
  const att = attachments(a, tr.proc.pid!);
  t.true(att.clsact, 'tc filters hold the wire program');
  t.is(att.tcx.length, 0, 'and no tcx link');
  t.regex(tcState(a), /"kind":"clsact"/, 'tc shows the clsact qdisc while it runs');
  tr.proc.kill('SIGTERM');
  t.is(await tr.exit, 0);
  t.is(tcState(a), before, 'qdiscs and filters of va are as they were');

  // tcx on request: where the kernel lacks it, refused before anything is attached
  const tcx = probeFeature('tcx');
  const r = startCli(['sctp', 'trace', '-n', a.name, '--dev', 'va', '--attach', 'tcx']);
  t.teardown(() => r.proc.kill('SIGKILL'));
  if (tcx.supported) {
    await r.ready;
    t.regex(r.err(), /\(ingress:tcx egress:tcx\)/);
    t.is(attachments(a, r.proc.pid!).tcx.length, 2);
    r.proc.kill('SIGTERM');
    t.is(await r.exit, 0);
  } else {
    await t.throwsAsync(r.ready, { message: /tcx is not available on this kernel: .*\(needs Linux 6\.6 or later\)/ }, 'refused, naming tcx and the kernel it needs');
    t.is(await r.exit, 6, 'UNSUPPORTED (README: exit statuses)');
    t.log(`tcx absent (${tcx.reason}): --attach tcx refused`);
  }
  t.is(tcState(a), before, 'nothing left on va');
  // and the rest of the namespace as iproute2 shows it: links (ifindexes, MACs, flags), addresses, routes, neighbours, sysctls
  assertSameSnapshot(t, snap, await ipSnapshot(a.name), 'the namespace changed');
  const bad = spawnSync(process.execPath, [CLI, 'sctp', 'trace', '-n', a.name, '--dev', 'va', '--attach', 'xdp'], { encoding: 'utf8' });
  t.is(bad.status, 2, 'an unknown mode is a usage error');
  t.regex(bad.stderr, /auto, tcx, clsact|auto\|tcx\|clsact/);
});
