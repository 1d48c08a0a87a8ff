// Stall / throttle / loss detection and the decoding under it, on records built byte for byte
// in the layout of bpf/sctp_wire.h, with an injected clock (ns on the bpf_ktime_get_ns scale).
import test from 'ava';
import { assess, withExpiry } from '../../src/sctp/detect.js';
import { decodeAssociation, formatAddress, pathStates, type Association } from '../../src/sctp/model.js';
import { kernelSides, limitedShares, type KernAssociation, type KernPath } from '../../src/sctp/kern.js';
import { errnoName } from '../../src/errors.js';
import { limitedLine, renderKernel, renderPrometheus, renderTable, viewsOf } from '../../src/sctp/render.js';
import { formatTable } from '../../src/text.js';
import { mergeSessions, parseDuration, parseListen, parseTargets } from '../../src/sctp/session.js';
import { SwAssoc, SwKey } from '../../src/sctp/generated/sctp-wire.js';
import { SW_F } from '../../src/sctp/wire-consts.js';
import { encodeStruct, testPath } from '../helpers/sctp-records.js';

const S = 1_000_000_000;
const T0 = 1000 * S; // "boot + 1000 s"

const key = encodeStruct(SwKey, { addr: [Buffer.from([10, 0, 0, 1]), Buffer.from([10, 0, 0, 2])], port: [3868, 3868], ifindex: 4, family: 4 });

function record(dir0: Record<string, number>, dir1: Record<string, number>, extra: Record<string, number> = {}): Buffer {
  return encodeStruct(SwAssoc, { dir: [dir0, dir1], first_ns: T0, last_ns: T0, state: 3, init_dir: 0, ...extra });
}

// endpoint 0 sent TSNs up to 120; endpoint 1 acknowledged 100 (its SACKs say so), progress at T0
const sending = { data_chunks: 121, highest_tsn: 120, flags: SW_F.HAVE_TSN | SW_F.OUTSTANDING | SW_F.HAVE_VTAG, progress_ns: T0, last_seen_ns: T0 };
const acking = { sack_chunks: 50, cum_tsn_ack: 100, a_rwnd_last: 30000, a_rwnd_min: 1000, flags: SW_F.HAVE_SACK, last_seen_ns: T0, heartbeat_acks: 3 };

test('outstanding data without cumulative TSN progress for --stall-after is stalled, heartbeats or not', (t) => {
  const raw = record(sending, acking);
  const early = decodeAssociation(key, raw, T0 + 1.9 * S);
  t.deepEqual(assess(early, { stallAfterMs: 2000 }).conditions, []);
  const late = decodeAssociation(key, raw, T0 + 2 * S);
  const h = assess(late, { stallAfterMs: 2000 });
  t.deepEqual(h.conditions, ['stalled']);
  t.is(h.findings[0]!.sender, 0);
  t.regex(h.findings[0]!.detail, /10\.0\.0\.1:3868 → 10\.0\.0\.2:3868 made no cumulative TSN progress for 2\.0 s with 20 TSNs outstanding, heartbeats still answered/);
  t.is(late.dir[0].outstandingTsns, 20);
  t.is(late.dir[0].sinceProgressMs, 2000);
});

test('nothing outstanding is never stalled, however long the silence', (t) => {
  const raw = record({ ...sending, flags: SW_F.HAVE_TSN }, acking);
  t.deepEqual(assess(decodeAssociation(key, raw, T0 + 3600 * S)).conditions, []);
});

test('a closed or aborted association is not stalled', (t) => {
  for (const state of [5, 6]) {
    const a = decodeAssociation(key, record(sending, acking, { state }), T0 + 60 * S);
    t.false(assess(a).conditions.includes('stalled'), `state ${a.state}`);
  }
});

test('a receiver advertising a_rwnd 0 throttles the other endpoint', (t) => {
  const raw = record(sending, { ...acking, a_rwnd_last: 0, a_rwnd_min: 0, flags: SW_F.HAVE_SACK | SW_F.ZERO_WINDOW, zwin_since_ns: T0 - 1.5 * S });
  const a = decodeAssociation(key, raw, T0 + 0.5 * S);
  const h = assess(a);
  t.deepEqual(h.conditions, ['throttled']);
  t.is(h.findings[0]!.sender, 0, 'endpoint 0 is the one throttled');
  t.regex(h.findings[0]!.detail, /10\.0\.0\.2:3868 advertises a_rwnd 0 for 2\.0 s/);
  t.true(a.dir[1].zeroWindow);
  t.deepEqual(a.dir[1].aRwnd, { last: 0, min: 0 });
});

test('lossy: retransmission ratio over the threshold, with a minimum sample; interval-based with a previous snapshot', (t) => {
  const lossy = decodeAssociation(key, record({ ...sending, data_chunks: 100, retrans_chunks: 5, spurious_retrans: 2 }, acking), T0);
  t.deepEqual(assess(lossy, { lossyRatio: 0.05 }).conditions, ['lossy']);
  t.regex(assess(lossy).findings[0]!.detail, /retransmitted 5 of 100 DATA chunks \(5\.0 %\), 2 spurious/);
  t.deepEqual(assess(lossy, { lossyRatio: 0.06 }).conditions, []);
  const tiny = decodeAssociation(key, record({ ...sending, data_chunks: 4, retrans_chunks: 2 }, acking), T0);
  t.deepEqual(assess(tiny).conditions, [], 'two of four is too small a sample');
  // over the last interval: 100 more chunks, no more retransmissions → clean now
  const later = decodeAssociation(key, record({ ...sending, data_chunks: 200, retrans_chunks: 5 }, acking), T0);
  t.deepEqual(assess(later, {}, lossy).conditions, []);
});

test('decoding: addresses, state, setup time, abort cause', (t) => {
  const a = decodeAssociation(key, record(sending, acking, { state: 6, abort_cause: 13, abort_dir: 1, setup_ns: 2_500_000 }), T0);
  t.is(a.id, '10.0.0.1:3868-10.0.0.2:3868@4');
  t.is(a.state, 'aborted');
  t.deepEqual(a.abort, { by: 1, cause: 13, causeName: 'protocol violation' });
  t.is(a.setupMs, 2.5);
  t.is(formatAddress(Buffer.from('fd000000000000000000000000000001', 'hex'), 6), 'fd00::1');
  t.is(formatAddress(Buffer.from('20010db8000100000000000100000000', 'hex'), 6), '2001:db8:1::1:0:0');
});

test('renderers: table flags, Prometheus exposition', (t) => {
  const a = decodeAssociation(key, record(sending, acking), T0 + 5 * S);
  const views = viewsOf([a], { stallAfterMs: 2000 });
  const table = renderTable(views);
  t.regex(table, /10\.0\.0\.1:3868 ↔ 10\.0\.0\.2:3868/);
  t.regex(table, /stalled/);
  const prom = renderPrometheus(views, { skbs: 10 });
  t.regex(prom, /^# TYPE nodectl_sctp_packets_total counter$/m);
  t.regex(prom, /^nodectl_sctp_stalled\{assoc="10\.0\.0\.1:3868-10\.0\.0\.2:3868@4",dev="4"\} 1$/m);
  t.regex(prom, /^nodectl_sctp_data_chunks_total\{assoc="[^"]+",dev="4",sender="10\.0\.0\.1:3868"\} 121$/m);
  t.regex(prom, /^nodectl_sctp_tracer_skbs_total 10$/m);
  // every sample line parses as name{labels} value
  for (const l of prom.split('\n').filter((x) => x && !x.startsWith('#'))) t.regex(l, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$/);
});

test('limited by and call errors: shares, the stats line, Prometheus counters', (t) => {
  const k: KernAssociation = {
    id: '0xffff888012345678', socket: '0xffff888087654321', localPort: 40000, peerPort: 3868, state: 'established', peerRwnd: 0, unackData: 0, pathmtu: 1500, probes: 9, retransmissions: {}, paths: [],
    limitedBy: { rwndMs: 6200, cwndMs: 300, sndbufMs: 3000, appMs: 500 }, sendCalls: 120, errors: [{ call: 'sendmsg', errno: 'EAGAIN', count: 37 }, { call: 'recvmsg', errno: 'ECONNRESET', count: 1 }],
  };
  t.deepEqual(limitedShares(k.limitedBy), { rwnd: 62, cwnd: 3, sndbuf: 30, app: 5 });
  t.is(limitedShares({ rwndMs: 0, cwndMs: 0, sndbufMs: null, appMs: 0 }), null);
  t.is(limitedLine(k), 'limited by: rwnd 62 %, cwnd 3 %, sndbuf 30 %, app 5 % of 10.0 s');
  // without the sendmsg kprobes the buffer's share is unknown, not 0
  t.regex(limitedLine({ ...k, limitedBy: { ...k.limitedBy, sndbufMs: null } }), /sndbuf \?, /);
  t.regex(renderKernel({ tracers: [], associations: [k] }), /0xffff888012345678 40000→3868: limited by: rwnd 62 %.*; sendmsg 120; sendmsg EAGAIN 37; recvmsg ECONNRESET 1/);
  // skipped probe runs: said when there are some, not when none or not counted (null)
  const calls = { name: 'sendmsg/recvmsg', active: true, how: 'kprobe', why: null };
  t.regex(renderKernel({ tracers: [{ ...calls, skipped: 1 }], associations: [k] }), /^ {2}the kernel skipped sendmsg\/recvmsg 1 time \(.*\): its counts can be short by as many$/m);
  t.notRegex(renderKernel({ tracers: [{ ...calls, skipped: 0 }, { ...calls, name: 'sctp_probe', skipped: null }], associations: [k] }), /skipped/);
  const promSkips = renderPrometheus([], {}, undefined, [], [{ ...calls, skipped: 3 }, { ...calls, name: 'sctp_probe', how: 'tracepoint', skipped: null }]);
  t.regex(promSkips, /^nodectl_sctp_kernel_probe_skipped_total\{probe="sendmsg\/recvmsg"\} 3$/m);
  t.notRegex(promSkips, /probe="sctp_probe"/, 'a skip count the kernel does not keep is left out, not 0');
  t.is(errnoName(-11), 'EAGAIN');
  t.is(errnoName(-32), 'EPIPE');
  t.is(errnoName(-512), 'ERESTARTSYS');
  const prom = renderPrometheus([], {}, undefined, [k]);
  t.regex(prom, /^# TYPE nodectl_sctp_limited_seconds_total counter$/m);
  t.regex(prom, /^nodectl_sctp_limited_seconds_total\{kassoc="0xffff888012345678",lport="40000",pport="3868",by="rwnd"\} 6\.2$/m);
  t.regex(prom, /^nodectl_sctp_limited_seconds_total\{[^}]*by="sndbuf"\} 3$/m);
  t.regex(prom, /^nodectl_sctp_send_errors_total\{kassoc="0xffff888012345678",lport="40000",pport="3868",errno="EAGAIN"\} 37$/m);
  t.regex(prom, /^nodectl_sctp_recv_errors_total\{[^}]*errno="ECONNRESET"\} 1$/m);
  // an unknown sndbuf share is no series, not a 0
  t.notRegex(renderPrometheus([], {}, undefined, [{ ...k, limitedBy: { ...k.limitedBy, sndbufMs: null } }]), /by="sndbuf"/);
  for (const l of prom.split('\n').filter((x) => x && !x.startsWith('#'))) t.regex(l, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$/);
});

test('top: the kernel associations of a wire row, matched by ports and peer address, under the expanded row and the batch table', (t) => {
  // both endpoints use port 3868: only the peer's address tells the two kernel sides apart
  const a = decodeAssociation(key, record(sending, acking), T0);
  const path = (address: string): KernPath => ({ address, port: 3868, primary: true, state: 'active', cwnd: 4380, ssthresh: 65535, flightSize: 0, partialBytesAcked: 0, pathmtu: 1500, srttMs: 1, rttvarMs: 1, rtoMs: 200, errorCount: 0, samples: 3 });
  const kern = (id: string, paths: KernPath[], extra: Partial<KernAssociation> = {}): KernAssociation => ({
    id, socket: '0xffff888000000001', localPort: 3868, peerPort: 3868, state: 'established', peerRwnd: 0, unackData: 0, pathmtu: 1500, probes: 9, retransmissions: {}, paths,
    limitedBy: { rwndMs: 6200, cwndMs: 300, sndbufMs: 3000, appMs: 500 }, sendCalls: 120, errors: [{ call: 'sendmsg', errno: 'EAGAIN', count: 37 }], ...extra,
  });
  const of1 = kern('0xa1', [path('10.0.0.2')]);
  const of2 = kern('0xb2', [path('10.0.0.1')], { limitedBy: { rwndMs: 0, cwndMs: 0, sndbufMs: 0, appMs: 1000 }, sendCalls: 4, errors: [{ call: 'recvmsg', errno: 'EAGAIN', count: 40 }] });
  // the same ports elsewhere (another namespace), another port, and one with no path yet: none is this association's
  const others = [kern('0xc3', [path('10.9.9.9')]), kern('0xd4', [path('10.0.0.2')], { localPort: 40000 }), kern('0xe5', [])];
  const sides = kernelSides(a, [...others, of2, of1]);
  t.deepEqual(sides.map((s) => [s.side, s.assoc.id]), [[0, '0xa1'], [1, '0xb2']]);
  // an address the peer announced (multi-homing) counts as the peer's
  const multi = { ...a, addresses: [[{ address: '10.0.0.1' }], [{ address: '10.0.0.2' }, { address: '10.0.1.2' }]] as const };
  t.deepEqual(kernelSides(multi, [kern('0xf6', [path('10.0.1.2')])]).map((s) => [s.side, s.assoc.id]), [[0, '0xf6']]);

  const views = viewsOf([a]).map((v) => ({ ...v, kernel: sides }));
  const l1 = '10.0.0.1:3868 sending: limited by: rwnd 62 %, cwnd 3 %, sndbuf 30 %, app 5 % of 10.0 s; sendmsg 120; sendmsg EAGAIN 37';
  const l2 = '10.0.0.2:3868 sending: limited by: rwnd 0 %, cwnd 0 %, sndbuf 0 %, app 100 % of 1.0 s; sendmsg 4; recvmsg EAGAIN 40';
  // interactive: under the row once it is expanded, not before
  const folded = renderTable(views, undefined, { selected: 0, expanded: new Set() });
  t.notRegex(folded, /limited by/);
  const open = renderTable(views, undefined, { selected: 0, expanded: new Set([0]) }).split('\n');
  t.true(open.includes(`    └ kernel, ${l1}`), open.join('\n'));
  t.true(open.includes(`    └ kernel, ${l2}`), open.join('\n'));
  // batch mode: under the table
  const batch = renderTable(views).split('\n');
  t.true(batch.includes(`  kernel, ${l1}`), batch.join('\n'));
  // without the kernel tracer (or no match): nothing is claimed
  t.notRegex(renderTable(viewsOf([a])), /kernel,/);
});

test('flag parsing: targets, durations, listen addresses', (t) => {
  t.deepEqual(parseTargets(['eth1,eth2', 'veth0@blue'], 'red'), [{ dev: 'eth1', netns: 'red' }, { dev: 'eth2', netns: 'red' }, { dev: 'veth0', netns: 'blue' }]);
  t.throws(() => parseTargets([]), { message: /at least one interface/ });
  t.throws(() => parseTargets(['a/b']), { message: /not an interface name/ });
  t.is(parseDuration('2s', '--x'), 2000);
  t.is(parseDuration('250ms', '--x'), 250);
  t.is(parseDuration('1.5', '--x'), 1500);
  t.throws(() => parseDuration('soon', '--stall-after'), { message: /--stall-after takes a duration/ });
  t.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  t.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
  t.throws(() => parseListen('localhost'), { message: /ADDRESS:PORT/ });
  t.throws(() => parseListen('1.2.3.4:99999'), { message: /out of range/ });
});

test('mergeSessions: two sessions on the same interfaces are one row each and one set of global counts', (t) => {
  const target = (netns: string | null) => ({ dev: 'va', netns, ifindex: 4, hooks: [] });
  const assoc = (packets: number) => decodeAssociation(key, record({ ...sending, packets }, acking), T0);
  const g = (n: number) => ({ sctpPackets: n }) as unknown as Parameters<typeof mergeSessions>[0][0]['snapshot']['globals'];
  const s = (pid: number, netns: string | null, packets: number) => ({ pid, targets: [target(netns)], snapshot: { associations: [assoc(packets)], globals: g(packets) } });
  const m = mergeSessions([s(1, 'blue', 10), s(2, 'blue', 7)]);
  t.is(m.associations.length, 1);
  t.is(m.associations[0]!.dir[0].packets, 10, 'the record of the session that saw the most');
  t.is(m.globals.sctpPackets, 10, 'the same interfaces: counted once');
  t.is(m.tracers.length, 2);
  const two = mergeSessions([s(1, 'blue', 10), s(2, 'red', 7)]);
  t.is(two.associations.length, 2, 'same endpoints and ifindex in two namespaces: two associations');
  t.is(two.globals.sctpPackets, 17);
  t.deepEqual(mergeSessions([s(1, 'blue', 10), s(2, 'red', 7)], 'red').associations.map((a) => a.dir[0].packets), [7]);
});

test('formatTable with kept widths: a refreshing table never moves a column left', (t) => {
  const widths: number[] = [];
  const wide = formatTable(['A', 'B'], [['1234567', 'x']], widths);
  const narrow = formatTable(['A', 'B'], [['1', 'y']], widths);
  t.is(wide.split('\n')[1]!.indexOf('x'), narrow.split('\n')[1]!.indexOf('y'), 'column B stays where it was');
  t.not(formatTable(['A', 'B'], [['1', 'y']]).split('\n')[1]!.indexOf('y'), wide.split('\n')[1]!.indexOf('x'), 'without kept widths it would move');
});

test('path states: failed after --path-fail-after unanswered heartbeats, unconfirmed one-way, active carried the latest DATA', (t) => {
  const paths = [
    testPath('p1', true, { dataChunks: 9, lastDataAgoMs: 500, hbUnanswered: 2 }),
    testPath('p2', false, { dataChunks: 4, lastDataAgoMs: 100 }),
    testPath('p3', false, { heartbeats: 1 }, { packets: 0 }),
  ];
  pathStates(paths);
  t.deepEqual(paths.map((p) => p.state), ['standby', 'active', 'unconfirmed'], '2 unanswered is below the default 3');
  pathStates(paths, 2);
  t.deepEqual(paths.map((p) => p.state), ['failed', 'active', 'unconfirmed']);
  // no DATA anywhere: the home path is the active one
  const quiet = [testPath('h', true, {}), testPath('o', false, {})];
  pathStates(quiet);
  t.deepEqual(quiet.map((p) => p.state), ['active', 'standby']);
  // readers decide again with another --path-fail-after, without touching the decoded object
  const a = { state: 'established', lastSeenAgoMs: 10, paths } as unknown as Association;
  pathStates(paths);
  const seen = withExpiry(a, { pathFailAfter: 2 });
  t.is(seen.paths[0]!.state, 'failed');
  t.is(a.paths[0]!.state, 'standby');
  t.is(withExpiry(a, { pathFailAfter: 3 }), a, 'the default count: the object as decoded');
});
