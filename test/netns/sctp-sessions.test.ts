// `sctp stats` reading what several live sessions publish: `trace` and `serve` tracing the
// same interface both count every packet of its associations, and stats must show each
// association once with its counters as sent (not twice, not doubled). -n NETNS keeps the
// interfaces of that namespace only. Two veth pairs in two namespaces; the CLI as a user runs
// it (bin/run.js, built).
import { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { NODECTL_BIN } from '../helpers/cli.js';
import { runScenario } from '../../src/sctp/generator.js';
import { testIf } from '../helpers/require.js';

/** A veth pair va (in a) – vb (in b); `pad` veths first make va's ifindex differ from another pair's. */
function pair(t: ExecutionContext, pad: number): { a: Netns; b: Netns } {
  const a = netnsFor(t);
  const b = netnsFor(t);
  for (let i = 0; i < pad; i++) a.ip('link', 'add', `pad${i}a`, 'type', 'veth', 'peer', 'name', `pad${i}b`);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');
  return { a, b };
}

function start(t: ExecutionContext, args: string[]): { ready: Promise<void>; stop: () => Promise<number | null> } {
  const proc = spawn(process.execPath, [NODECTL_BIN, 'sctp', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => proc.kill('SIGKILL'));
  let err = '';
  const exit = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const ready = new Promise<void>((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Ctrl-C to stop/.test(err)) resolve();
    });
    proc.once('exit', (c) => reject(new Error(`sctp ${args[0]} exited ${c} before attaching: ${err}`)));
  });
  return { ready, stop: () => (proc.kill('SIGTERM'), exit) };
}

interface Row { endpoints: Array<{ address: string; port: number }>; ifname: string; dir: Array<{ packets: number; bytes: number; dataChunks: number; sackChunks: number }> }
interface Stats { source: string; tracers: Array<{ dev: string; netns: string | null; pid: number }>; associations: Row[]; globals: Record<string, number> }

function stats(...args: string[]): Stats {
  const r = spawnSync(process.execPath, [NODECTL_BIN, 'sctp', 'stats', '--json', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stats ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Stats;
}

testIf('root')('stats: one row per association when trace and serve trace the same interface; -n filters by namespace', async (t) => {
  const p1 = pair(t, 0);
  const p2 = pair(t, 2);
  const idx = (ns: Netns) => ns.ipJson<Array<{ ifindex: number }>>('link', 'show', 'va')[0]!.ifindex;
  t.not(idx(p1.a), idx(p2.a), 'the two va differ in ifindex (two namespaces sharing one share the key: a documented limit)');

  const trace = start(t, ['trace', '--dev', `va@${p1.a.name},va@${p2.a.name}`, '--json']);
  const serve = start(t, ['serve', '--dev', `va@${p1.a.name}`, '--metrics', `127.0.0.1:${20000 + Math.floor(Math.random() * 10000)}`]);
  await Promise.all([trace.ready, serve.ready]);
  const r1 = await runScenario({ a: { netns: p1.a.name, ifname: 'va', ip: '10.70.0.1', port: 4101 }, b: { netns: p1.b.name, ifname: 'vb', ip: '10.70.0.2', port: 4102 } }, 'normal');
  const r2 = await runScenario({ a: { netns: p2.a.name, ifname: 'va', ip: '10.71.0.1', port: 4201 }, b: { netns: p2.b.name, ifname: 'vb', ip: '10.71.0.2', port: 4202 } }, 'normal');

  const ours = (s: Stats) => s.associations.filter((x) => /^10\.7[01]\.0\.1$/.test(x.endpoints[0]!.address));
  const all = stats();
  t.is(all.source, 'sessions');
  const rows = ours(all);
  t.is(rows.filter((x) => x.endpoints[0]!.port === 4101).length, 1, 'traced by trace and serve: one row');
  t.is(rows.filter((x) => x.endpoints[0]!.port === 4201).length, 1);
  t.is(rows.length, 2);
  for (const [row, sent, ns] of [[rows.find((x) => x.endpoints[0]!.port === 4101)!, r1.sent, p1.a], [rows.find((x) => x.endpoints[0]!.port === 4201)!, r2.sent, p2.a]] as const) {
    t.is(row.ifname, `va@${ns.name}`);
    for (const [d, side] of [[0, sent.a], [1, sent.b]] as const) {
      t.is(row.dir[d]!.packets, side.packets, `${row.endpoints[0]!.port} dir ${d}: packets as sent, not doubled`);
      t.is(row.dir[d]!.bytes, side.bytes);
      t.is(row.dir[d]!.dataChunks, side.dataChunks);
      t.is(row.dir[d]!.sackChunks, side.sackChunks);
    }
  }
  t.true(all.tracers.filter((x) => x.netns === p1.a.name).length === 2, 'both sessions are listed as tracers of p1');

  const only1 = stats('-n', p1.a.name);
  t.deepEqual(only1.associations.map((x) => x.endpoints[0]!.port), [4101], '-n: the associations of that namespace only');
  t.true(only1.tracers.length === 2 && only1.tracers.every((x) => x.netns === p1.a.name));
  const only2 = stats('-n', p2.a.name);
  t.deepEqual(only2.associations.map((x) => x.endpoints[0]!.port), [4201]);
  const none = stats('-n', p1.b.name);
  t.deepEqual(none.associations, [], 'a namespace nobody traces: nothing');

  const bad = spawnSync(process.execPath, [NODECTL_BIN, 'sctp', 'stats', '-n', 'nctl-no-such-ns'], { encoding: 'utf8' });
  t.is(bad.status, 4, bad.stderr);
  t.regex(bad.stderr, /nctl-no-such-ns/);

  t.is(await trace.stop(), 0);
  t.is(await serve.stop(), 0);
});
