// The metrics endpoint's address syntax and the exposition text, without a daemon (the netns
// test checks the numbers against a running daemon's timeline).
import test from 'ava';
import { MetricsRegistry, parseListen } from '../../src/failover/metrics.js';
import { literal } from '../helpers/cli.js';

test('parseListen: PORT is loopback; HOST:PORT and [V6]:PORT; anything else one clear sentence', (t) => {
  t.deepEqual(parseListen('9187'), { host: '127.0.0.1', port: 9187 });
  t.deepEqual(parseListen('0.0.0.0:9187'), { host: '0.0.0.0', port: 9187 });
  t.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  t.deepEqual(parseListen('localhost:9187'), { host: 'localhost', port: 9187 });
  for (const bad of ['', 'x', 'example.com:80', '1.2.3:80', '127.0.0.1:65536', '::1:80', '[zz]:1', '9187 ']) {
    const r = parseListen(bad);
    t.is(typeof r, 'string', bad);
    t.regex(r as string, /^--metrics ".*": expected PORT, HOST:PORT or \[IPV6\]:PORT/);
  }
});

test('render: every series typed; histogram buckets cumulative; holding time accrues to the holder only', (t) => {
  const m = new MetricsRegistry(['eth0', 'eth1']);
  m.holderIs('eth0', 0);
  m.probe('eth0', true, 0.0015);
  m.probe('eth0', true, 0.3);
  m.probe('eth1', false, 0.5);
  m.move('failure', 1_700_000_000_250);
  m.holderIs('eth1', 2000);
  const text = m.render({ holder: 'eth1', candidates: [{ name: 'eth0', healthy: false }, { name: 'eth1', healthy: true }] }, 5000);
  const v = (k: string) => Number(new RegExp(`^${literal(k)} (\\S+)$`, 'm').exec(text)?.[1]);
  t.is(v('nodectl_mgmt_holder{interface="eth1"}'), 1);
  t.is(v('nodectl_mgmt_holder{interface="eth0"}'), 0);
  t.is(v('nodectl_mgmt_moves_total{reason="failure"}'), 1);
  t.is(v('nodectl_mgmt_last_move_timestamp_seconds'), 1_700_000_000.25);
  t.is(v('nodectl_mgmt_probe_misses_total{interface="eth1"}'), 1);
  t.is(v('nodectl_mgmt_probe_rtt_seconds_bucket{le="0.001"}'), 0);
  t.is(v('nodectl_mgmt_probe_rtt_seconds_bucket{le="0.002"}'), 1);
  t.is(v('nodectl_mgmt_probe_rtt_seconds_bucket{le="0.5"}'), 2);
  t.is(v('nodectl_mgmt_probe_rtt_seconds_bucket{le="+Inf"}'), 2);
  t.is(v('nodectl_mgmt_probe_rtt_seconds_count'), 2);
  t.is(v('nodectl_mgmt_holding_seconds_total{interface="eth0"}'), 2);
  t.is(v('nodectl_mgmt_holding_seconds_total{interface="eth1"}'), 3);
  const names = new Set([...text.matchAll(/^(nodectl_mgmt_[a-z_]+?)(?:_bucket|_sum|_count)?(?:\{| )/gm)].map((x) => x[1]!));
  for (const n of names) t.regex(text, new RegExp(`^# TYPE ${n} (gauge|counter|histogram)$`, 'm'), n);
  t.true(text.endsWith('\n'));
});
