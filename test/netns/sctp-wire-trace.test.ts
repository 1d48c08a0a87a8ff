// End to end on a real kernel: two namespaces joined by a veth pair, the generator playing an
// SCTP association per scenario across it, the wire tracer attached to one end. Every counter
// is checked against what the generator sent AND against tshark's SCTP dissector decoding a
// tcpdump capture of the same interface (an independent decoder, CRC32c verified).
import { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, vethPair } from '../helpers/netns.js';
import { runScenario, type ScenarioName, type ScenarioResult, type SideTally } from '../../src/sctp/generator.js';
import { WireTracer } from '../../src/sctp/tracer.js';
import { assess } from '../../src/sctp/detect.js';
import type { Association, DirStats, WireEvent } from '../../src/sctp/model.js';
import { testIf } from '../helpers/require.js';

const pair = (t: ExecutionContext) => vethPair(t, '10.77.0', { addresses: false });

async function capture(ns: Netns, dev: string, file: string): Promise<() => Promise<void>> {
  const p = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '--immediate-mode', '-U', '-n', '-i', dev, '-w', file, 'sctp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    p.once('exit', (c) => reject(new Error(`tcpdump exited (${c}): ${err}`)));
  });
  return async () => {
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGINT');
    await done;
  };
}

interface SharkDir { packets: number; dataChunks: number; dataBytes: number; sackChunks: number; gapBlocks: number; dupTsns: number; zeroWindowSacks: number; heartbeats: number; heartbeatAcks: number; retrans: number; badChecksums: number; lastARwnd: number | null }

/** tshark's view: per (source address, source port), summed over the capture. */
function tshark(file: string): Map<string, SharkDir> {
  const r = spawnSync('tshark', ['-r', file, '-o', 'sctp.checksum:CRC-32C', '-o', 'sctp.tsn_analysis:TRUE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
    '-e', 'ip.src', '-e', 'sctp.srcport', '-e', 'sctp.chunk_type', '-e', 'sctp.chunk_length', '-e', 'sctp.sack_a_rwnd',
    '-e', 'sctp.sack_number_of_gap_blocks', '-e', 'sctp.sack_number_of_duplicated_tsns', '-e', 'sctp.checksum.status', '-e', 'sctp.retransmission'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out = new Map<string, SharkDir>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [src, sport, types, lens, rwnds, gaps, dups, csum, rtx] = line.split('\t').map((x) => x ?? '');
    const key = `${src}:${sport}`;
    let d = out.get(key);
    if (!d) out.set(key, (d = { packets: 0, dataChunks: 0, dataBytes: 0, sackChunks: 0, gapBlocks: 0, dupTsns: 0, zeroWindowSacks: 0, heartbeats: 0, heartbeatAcks: 0, retrans: 0, badChecksums: 0, lastARwnd: null }));
    d.packets++;
    if (csum !== '1') d.badChecksums++;
    const ts = types!.split(',').map(Number);
    const ls = lens!.split(',').map(Number);
    ts.forEach((ty, i) => {
      if (ty === 0) { d!.dataChunks++; d!.dataBytes += ls[i]! - 16; }
      if (ty === 3) d!.sackChunks++;
      if (ty === 4) d!.heartbeats++;
      if (ty === 5) d!.heartbeatAcks++;
    });
    if (rwnds) for (const w of rwnds.split(',').map(Number)) { if (w === 0) d.zeroWindowSacks++; d.lastARwnd = w; }
    if (gaps) d.gapBlocks += gaps.split(',').map(Number).reduce((a, b) => a + b, 0);
    if (dups) d.dupTsns += dups.split(',').map(Number).reduce((a, b) => a + b, 0);
    if (rtx) d.retrans += rtx.split(',').length;
  }
  return out;
}

function checkDir(t: { is: (a: unknown, b: unknown, m?: string) => void }, what: string, d: DirStats, sent: SideTally, shark: SharkDir | undefined, opts: { sharkRetrans?: boolean } = {}) {
  t.is(d.packets, sent.packets, `${what}: packets`);
  t.is(d.bytes, sent.bytes, `${what}: bytes`);
  t.is(d.dataChunks, sent.dataChunks, `${what}: DATA chunks`);
  t.is(d.dataBytes, sent.dataBytes, `${what}: DATA bytes`);
  t.is(d.retransChunks, sent.retransChunks, `${what}: retransmissions`);
  t.is(d.sackChunks, sent.sackChunks, `${what}: SACKs`);
  t.is(d.gapBlocks, sent.gapBlocks, `${what}: gap blocks`);
  t.is(d.dupTsns, sent.dupTsns, `${what}: duplicate TSNs`);
  t.is(d.zeroWindowSacks, sent.zeroWindowSacks, `${what}: zero-window SACKs`);
  t.is(d.heartbeats, sent.heartbeats, `${what}: heartbeats`);
  t.is(d.heartbeatAcks, sent.heartbeatAcks, `${what}: heartbeat acks`);
  t.is(d.malformed, sent.malformed, `${what}: malformed`);
  t.is(d.aRwnd?.last ?? null, sent.lastARwnd, `${what}: last a_rwnd`);
  t.is(d.aRwnd?.min ?? null, sent.minARwnd, `${what}: min a_rwnd`);
  if (!shark) return;
  t.is(shark.badChecksums, 0, `${what}: tshark verified every CRC32c`);
  t.is(d.packets, shark.packets, `${what}: packets (tshark)`);
  t.is(d.dataChunks, shark.dataChunks, `${what}: DATA chunks (tshark)`);
  t.is(d.dataBytes, shark.dataBytes, `${what}: DATA bytes (tshark)`);
  t.is(d.sackChunks, shark.sackChunks, `${what}: SACKs (tshark)`);
  t.is(d.gapBlocks, shark.gapBlocks, `${what}: gap blocks (tshark)`);
  t.is(d.dupTsns, shark.dupTsns, `${what}: dup TSNs (tshark)`);
  t.is(d.zeroWindowSacks, shark.zeroWindowSacks, `${what}: zero-window SACKs (tshark)`);
  t.is(d.heartbeats, shark.heartbeats, `${what}: heartbeats (tshark)`);
  t.is(d.heartbeatAcks, shark.heartbeatAcks, `${what}: heartbeat acks (tshark)`);
  t.is(d.aRwnd?.last ?? null, shark.lastARwnd, `${what}: last a_rwnd (tshark)`);
  if (opts.sharkRetrans !== false) t.is(d.retransChunks, shark.retrans, `${what}: retransmissions (tshark TSN analysis)`);
}

const SCENARIOS: Array<{ name: ScenarioName; port: number; params?: Record<string, unknown>; shark?: boolean }> = [
  { name: 'normal', port: 5001 },
  { name: 'zero-window', port: 5002, params: { holdMs: 400 } },
  { name: 'lossy', port: 5003 },
  { name: 'abort', port: 5004 },
  { name: 'heartbeat', port: 5005 },
  { name: 'stall', port: 5006, params: { holdMs: 900 } },
  { name: 'malformed', port: 5007, shark: false },
];

testIf('root', 'cmd:tshark', 'cmd:tcpdump')('every counter matches what was sent and what tshark decodes from a capture', async (t) => {
  const { a, b } = pair(t);
  const dir = mkdtempSync(join(tmpdir(), 'nctl-sctp-'));
  t.teardown(() => { if (!process.env.NCTL_KEEP) rmSync(dir, { recursive: true, force: true }); else t.log(dir); });
  const tracer = await WireTracer.open({ targets: [{ dev: 'va', netns: a.name }], burstThreshold: 3 });
  t.teardown(() => tracer.close());
  t.true(tracer.targets[0]!.hooks.length === 2);
  const events: WireEvent[] = [];
  tracer.startEvents();
  tracer.on('event', (e) => events.push(e));
  const file = join(dir, 'cap.pcap');
  const stop = await capture(a, 'va', file);
  const results = new Map<ScenarioName, ScenarioResult>();
  for (const s of SCENARIOS) {
    results.set(s.name, await runScenario({ a: { netns: a.name, ifname: 'va', ip: '10.77.0.1', port: s.port }, b: { netns: b.name, ifname: 'vb', ip: '10.77.0.2', port: 7000 } }, s.name, s.params));
  }
  const snap = tracer.snapshot();
  await new Promise((r) => setTimeout(r, 300));
  await stop();

  t.is(snap.associations.length, SCENARIOS.length);
  for (const s of SCENARIOS) {
    const sent = results.get(s.name)!.sent;
    const assoc = snap.associations.find((x) => x.endpoints[0].port === s.port) as Association;
    t.truthy(assoc, `association of scenario ${s.name}`);
    t.is(assoc.ifname, `va@${a.name}`);
    t.is(assoc.initiator, 0, `${s.name}: A (10.77.0.1) sent the INIT`);
    t.true(assoc.setupMs !== null, `${s.name}: handshake timed`);
    const sh = s.shark === false ? undefined : sharkFor(file, s.port);
    checkDir(t, `${s.name} A→B`, assoc.dir[0], sent.a, sh?.get(`10.77.0.1:${s.port}`));
    checkDir(t, `${s.name} B→A`, assoc.dir[1], sent.b, sh?.get('10.77.0.2:7000'));
  }
  const by = (n: ScenarioName) => snap.associations.find((x) => x.endpoints[0].port === SCENARIOS.find((s) => s.name === n)!.port)!;
  t.is(by('normal').state, 'closed');
  t.is(by('abort').state, 'aborted');
  t.is(by('abort').abort?.causeName, 'user-initiated abort');
  t.is(by('stall').state, 'established');
  t.true(by('normal').dir[0].rtt !== null, 'heartbeat RTT measured');

  // detection on the same snapshot
  t.deepEqual(assess(by('stall'), { stallAfterMs: 500 }).conditions, ['stalled'], 'no cumulative TSN progress for > 500 ms although heartbeats are answered');
  t.deepEqual(assess(by('normal'), { stallAfterMs: 500 }).conditions, []);
  t.deepEqual(assess(by('lossy')).conditions, ['lossy']);

  // events: up/down/abort per association, zero window start+end, retransmission bursts
  const ev = (type: string, port: number) => events.filter((e) => e.type === type && e.endpoints[0].port === port).length;
  t.is(ev('init', 5001), 1);
  t.is(ev('up', 5001), 1);
  t.is(ev('down', 5001), 1);
  t.is(ev('abort', 5004), 1);
  t.is(ev('zero-window-start', 5002), 1);
  t.is(ev('zero-window-end', 5002), 1);
  t.true(ev('retrans-burst', 5003) >= 1, 'five fast retransmissions within a second: a burst with threshold 3');
  t.is(ev('retrans-burst', 5001), 0);
  t.is(snap.globals.eventsLost, 0);
});

/** tshark's view of one association: B uses port 7000 in every scenario, so split the capture by A's port first. */
function sharkFor(file: string, aPort: number): Map<string, SharkDir> {
  const r = spawnSync('tshark', ['-r', file, '-w', `${file}.${aPort}`, '-Y', `sctp.port == ${aPort}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark filter failed: ${r.stderr}`);
  return tshark(`${file}.${aPort}`);
}
