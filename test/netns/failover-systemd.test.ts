// systemd integration (issue 19): with NOTIFY_SOCKET set, as systemd sets it for Type=notify,
// the daemon says READY=1 once the addresses are placed, STATUS= with where they are and why,
// WATCHDOG=1 at half of WATCHDOG_USEC, and STOPPING=1 on SIGTERM. systemd's side is played by
// an independent receiver (fixtures/notify-listen.py) that also reports each sender's pid from
// SCM_CREDENTIALS: with NotifyAccess=main systemd ignores any other process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type ExecutionContext } from 'ava';
import { isRoot } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { carrier, holder, makeLab, ROOT, sleep, startDaemon, V4, waitHolder, writeConfig } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();

interface Datagram { pid: number | null; text: string }

/** Bind the receiver at path; the datagrams it got so far, and a wait for one. */
async function listen(t: ExecutionContext, path: string) {
  const proc = spawn('python3', [join(ROOT, 'test/netns/fixtures/notify-listen.py'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got: Datagram[] = [];
  let listening = false;
  let err = '';
  let buf = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, nl)) as Datagram & { listening?: string };
      buf = buf.slice(nl + 1);
      if (m.listening) listening = true;
      else got.push(m);
    }
  });
  t.teardown(() => { proc.kill('SIGTERM'); });
  const until = async (pred: () => boolean, what: string, ms = 60_000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > patient(ms)) throw new Error(`${what}: not within ${patient(ms)} ms; got ${JSON.stringify(got.slice(-5))} ${err}`);
      await sleep(20);
    }
  };
  await until(() => listening, 'receiver listening');
  return {
    got,
    until,
    /** The first datagram (from index `from`) with a line matching re. */
    async wait(re: RegExp, what: string, from = 0): Promise<Datagram> {
      let hit: Datagram | undefined;
      await until(() => (hit = got.slice(from).find((g) => g.text.split('\n').some((l) => re.test(l)))) !== undefined, what, 180_000);
      return hit!;
    },
  };
}

testIf('root')(root ? 'NOTIFY_SOCKET: READY=1 after the first placement, STATUS= where and why, WATCHDOG=1 pings, STOPPING=1, all from the main pid' : 'systemd notify (skipped: needs root)', async (t) => {
  t.timeout(patient(300_000));
  const lab = makeLab(t, 2);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 60_000 });
  const sockPath = join(lab.dir, 'notify.sock');
  const sd = await listen(t, sockPath);
  // 300 ms: the daemon pings every 150 ms, so several arrive within the test's own waits.
  const d = startDaemon(t, lab, cfg, [], 'sd', { env: { NOTIFY_SOCKET: sockPath, WATCHDOG_USEC: '300000' } });

  const ready = await sd.wait(/^READY=1$/, 'READY=1');
  // READY means placed: the oracle (ip -j addr) already shows the holder when it arrives.
  t.is(await holder(lab), 'eth0', 'the addresses are on eth0 by the time READY=1 arrives');
  const status = ready.text.split('\n').find((l) => l.startsWith('STATUS='));
  t.truthy(status, `READY=1 comes with a STATUS= line: ${ready.text}`);
  t.regex(status!, /eth0/);
  t.true(status!.includes(V4), status);

  const before = sd.got.length;
  await carrier(lab, 0, false);
  await waitHolder(lab, 'eth1');
  const moved = await sd.wait(/^STATUS=.*\beth1\b/, 'STATUS= naming eth1 after the move', before);
  t.log(`at READY: ${status!}`);
  t.log(`after the move: ${moved.text}`);
  t.regex(moved.text, /eth0/, `the STATUS after the move says why (eth0 lost its carrier): ${moved.text}`);

  await sd.until(() => sd.got.filter((g) => g.text === 'WATCHDOG=1').length >= 3, 'three WATCHDOG=1 pings');
  t.is(sd.got.filter((g) => /^READY=1$/m.test(g.text)).length, 1, 'READY=1 is said once');

  const pid = d.proc.pid!;
  t.is(await d.stop(), 0);
  await sd.wait(/^STOPPING=1$/, 'STOPPING=1');
  const strangers = sd.got.filter((g) => g.pid !== pid);
  t.deepEqual(strangers, [], `every datagram comes from the daemon's own pid ${pid} (NotifyAccess=main)`);
});

testIf('root')(root ? 'NOTIFY_SOCKET as an abstract socket (@name): READY=1 arrives; no WATCHDOG_USEC, no pings' : 'systemd notify, abstract socket (skipped: needs root)', async (t) => {
  t.timeout(patient(300_000));
  const lab = makeLab(t, 2);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 60_000 });
  const name = `@nodectl-test-${randomBytes(6).toString('hex')}`;
  const sd = await listen(t, name);
  const d = startDaemon(t, lab, cfg, [], 'sda', { env: { NOTIFY_SOCKET: name } });
  const ready = await sd.wait(/^READY=1$/, 'READY=1');
  t.is(ready.pid, d.proc.pid!);
  t.is(await d.stop(), 0);
  await sd.wait(/^STOPPING=1$/, 'STOPPING=1');
  t.false(sd.got.some((g) => g.text === 'WATCHDOG=1'), 'no watchdog was asked for, none is sent');
});
