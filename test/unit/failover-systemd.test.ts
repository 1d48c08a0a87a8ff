// sd_notify's environment and messages, without systemd: which variables turn what on, and
// what the daemon's notifier sends (the netns test checks the same against a real socket).
import test from 'ava';
import { notifyEnv, SystemdNotifier, unsetNotifyEnv } from '../../src/failover/systemd.js';

test('notifyEnv: nothing without NOTIFY_SOCKET; the watchdog only when WATCHDOG_PID is ours or unset', (t) => {
  t.is(notifyEnv({}, 42), null);
  t.is(notifyEnv({ NOTIFY_SOCKET: 'relative/path' }, 42), null, 'neither a path nor abstract');
  t.deepEqual(notifyEnv({ NOTIFY_SOCKET: '/run/systemd/notify' }, 42), { socket: '/run/systemd/notify', watchdogMs: null });
  t.deepEqual(notifyEnv({ NOTIFY_SOCKET: '@abs', WATCHDOG_USEC: '10000000' }, 42), { socket: '@abs', watchdogMs: 10_000 });
  t.deepEqual(notifyEnv({ NOTIFY_SOCKET: '@abs', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42), { socket: '@abs', watchdogMs: 10_000 });
  t.is(notifyEnv({ NOTIFY_SOCKET: '@abs', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '43' }, 42)!.watchdogMs, null, 'meant for another process');
  t.is(notifyEnv({ NOTIFY_SOCKET: '@abs', WATCHDOG_USEC: 'x' }, 42)!.watchdogMs, null);
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '@a', WATCHDOG_USEC: '1', WATCHDOG_PID: '1', KEEP: 'y' };
  unsetNotifyEnv(env);
  t.deepEqual(env, { KEEP: 'y' }, 'children inherit none of them');
});

test('SystemdNotifier: READY once with its STATUS, STATUS only when it changes and on one line, send errors reported once', (t) => {
  const sent: string[] = [];
  const errors: string[] = [];
  let fail = false;
  const n = new SystemdNotifier({ socket: '@x', watchdogMs: null }, (_p, text) => {
    if (fail) throw new Error('ECONNREFUSED');
    sent.push(text);
  }, (e) => errors.push(e.message));
  n.ready('a on eth0');
  n.ready('a on eth0');
  n.status('a on eth0');
  n.status('a on\neth1');
  t.deepEqual(sent, ['READY=1\nSTATUS=a on eth0', 'STATUS=a on eth1']);
  fail = true;
  n.status('b');
  n.status('c');
  t.deepEqual(errors, ['ECONNREFUSED'], 'one report, not one per message');
  fail = false;
  n.stopping('bye');
  t.is(sent.at(-1), 'STOPPING=1\nSTATUS=bye');
});
