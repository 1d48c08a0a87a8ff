// `nodectl sctp top` as an operator runs it: in a real terminal (a pseudo-terminal from
// util-linux script(1)), with the generator's associations on a veth pair, driven by its
// keys. What the screen shows is read back from the terminal output: s changes the row order,
// f freezes the table (new associations stay off it) and unfreezes it, j/k select a row and p
// shows its paths under it, q exits 0 and leaves
// the terminal in its normal (cooked, echoing) mode, as stty reports afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vethPair } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { runScenario } from '../../src/sctp/generator.js';
import { testIf } from '../helpers/require.js';

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const CLEAR = '\x1b[H\x1b[2J';

/** The screens drawn so far; the last one may still be arriving, so it is left out. */
function screens(out: string): string[] {
  const parts = out.split(CLEAR).slice(1);
  return parts.slice(0, -1);
}

/** Row index of the association whose lower endpoint has this port (-1: not on screen). */
function rowOf(screen: string, port: number): number {
  return screen.split('\n').findIndex((l) => l.includes(`:${port} ↔`));
}

testIf('root', 'cmd:script', 'cmd:stty')('top in a terminal: s re-sorts, f freezes and unfreezes, q exits 0 and restores the terminal', async (t) => {
  const { a, b } = vethPair(t, '10.67.0', { addresses: false });
  const cmd = `${process.execPath} ${CLI} sctp top -n ${a.name} --dev va --interval 200ms --stall-after 1h; echo "nodectl exit $?"; stty -a`;
  const proc = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh', TERM: 'xterm' } });
  t.teardown(() => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));

  // Resolves with the first complete screen drawn after `from` characters of output that matches.
  const screenAfter = async (from: number, pred: (s: string) => boolean, what: string, ms = patient(15_000)): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = screens(out.slice(from)).find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no screen ${what} within ${ms} ms; output so far:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const key = async (k: string) => {
    const at = out.length;
    proc.stdin.write(k);
    return at;
  };

  // the first screen comes once the kernel has verified the tracer: three times as long since
  // the tracer follows associations across paths (on a 2-core machine 6 s idle, 14 s while
  // other tests verify theirs; it was 2 s and 5 s)
  await screenAfter(0, (s) => /sort: activity/.test(s), 'with the header', patient(60_000));
  const spec = (port: number) => ({ a: { netns: a.name, ifname: 'va', ip: '10.67.0.1', port }, b: { netns: b.name, ifname: 'vb', ip: '10.67.0.2', port: port + 1 } });
  // quiet sorts first by name, busy first by activity
  await runScenario(spec(4001), 'normal', { messages: 2, intervalMs: 1, end: 'none' });
  await runScenario(spec(4009), 'normal', { messages: 40, intervalMs: 1, end: 'none' });
  // a screen drawn after all the traffic was sent (an earlier one may show the busy one half-way)
  const byActivity = await screenAfter(out.length, (s) => rowOf(s, 4001) >= 0 && rowOf(s, 4009) >= 0, 'with both associations');
  t.regex(byActivity, /sort: activity/);
  t.true(rowOf(byActivity, 4009) < rowOf(byActivity, 4001), `activity: the busy association first\n${byActivity}`);

  let at = await key('s');
  const byData = await screenAfter(at, (s) => /sort: data/.test(s), 'sorted by data');
  t.true(rowOf(byData, 4009) < rowOf(byData, 4001), `data: the association with more payload first\n${byData}`);
  at = await key('s');
  await screenAfter(at, (s) => /sort: retrans/.test(s), 'sorted by retrans');
  // two keys in one read (typed quickly, or pasted): both count, rwnd then name
  at = await key('ss');
  const byName = await screenAfter(at, (s) => /sort: name/.test(s), 'sorted by name after two keys in one write');
  t.true(rowOf(byName, 4001) < rowOf(byName, 4009), `name: 10.67.0.1:4001 before 10.67.0.1:4009\n${byName}`);

  at = await key('f');
  const frozen = await screenAfter(at, (s) => /FROZEN/.test(s), 'frozen');
  t.is(rowOf(frozen, 4020), -1);
  await runScenario(spec(4020), 'normal', { messages: 2, intervalMs: 1, end: 'none' });
  // ten refresh periods: a live table would have shown the new association long ago
  await new Promise((r) => setTimeout(r, 2000));
  const later = screens(out.slice(at)).filter((s) => /FROZEN/.test(s));
  t.true(later.length >= 5, `the frozen screen is still redrawn (${later.length} times)`);
  t.true(later.every((s) => rowOf(s, 4020) === -1), 'no new association while frozen');
  const table = (s: string) => s.split('\n').slice(1).join('\n');
  const changed = later.find((s) => table(s) !== table(frozen));
  t.is(changed, undefined, `the frozen table does not change; first frozen screen:\n${frozen}`);
  // the header's clock is the time the frozen table was read: two seconds on, it has not moved
  const head = (s: string) => s.split('\n')[0];
  t.deepEqual([...new Set(later.map(head))], [head(frozen)], 'the clock stops while frozen');

  at = await key('f');
  const thawed = await screenAfter(at, (s) => !/FROZEN/.test(s) && rowOf(s, 4020) >= 0, 'unfrozen with the new association');
  t.regex(thawed, /sort: name/, 'the sort survives freezing');

  // 20 % of the DATA retransmitted, in one burst: flagged lossy as `stats` flags it, on every
  // refresh after (judged over the association's life, not over one refresh's new chunks)
  await runScenario(spec(4030), 'lossy', { end: 'none' });
  at = out.length;
  await new Promise((r) => setTimeout(r, 1500));
  const after = screens(out.slice(at)).filter((s) => rowOf(s, 4030) >= 0);
  t.true(after.length >= 3, `several refreshes after the loss (${after.length})`);
  const flags = (s: string) => s.split('\n')[rowOf(s, 4030)]!.trim().split(/\s+/).at(-1);
  t.deepEqual([...new Set(after.map(flags))], ['lossy'], `lossy on every refresh:\n${after.at(-1)}`);
  t.true(after.every((s) => rowOf(s, 4030) < rowOf(s, 4001)), 'and, flagged, above the clean rows');

  // j selects the top row (reverse video), p draws its paths right under it, j moves the
  // selection while the expanded row keeps its paths, k and p fold them again
  const REV = '\x1b[7m';
  const selectedRow = (s: string) => s.split('\n').findIndex((l) => l.includes(REV));
  at = await key('j');
  const sel = await screenAfter(at, (s) => selectedRow(s) >= 0, 'with a selected row');
  const first = sel.split('\n')[selectedRow(sel)]!;
  t.true(first.includes(':4030 ↔'), `j selects the top row (the flagged one):\n${sel}`);
  t.false(/└ /.test(sel), 'no paths before p');
  at = await key('p');
  const open = await screenAfter(at, (s) => /└ /.test(s), 'with a row expanded');
  const ol = open.split('\n');
  const r = selectedRow(open);
  t.true(ol[r]!.includes(':4030 ↔'), 'the selected row is still the one expanded');
  t.regex(ol[r + 1] ?? '', /^\s+PATH\s+DEV\s+STATE/, `the path header right under the row:\n${open}`);
  t.regex(ol[r + 2] ?? '', /^\s+└ 10\.67\.0\.1 ↔ 10\.67\.0\.2\s+va@\S+\s+active\*?\s+\d+\/\d+/, `its one path under it:\n${open}`);
  t.is(ol.filter((l) => /└ /.test(l)).length, 1, 'only the expanded row shows paths');
  at = await key('j');
  const moved = await screenAfter(at, (s) => selectedRow(s) >= 0 && !s.split('\n')[selectedRow(s)]!.includes(':4030 ↔'), 'with the selection moved down');
  const ml = moved.split('\n');
  const r4030 = rowOf(moved, 4030);
  t.regex(ml[r4030 + 2] ?? '', /└ 10\.67\.0\.1 ↔ 10\.67\.0\.2/, `the expanded row keeps its paths when the selection moves:\n${moved}`);
  t.true(selectedRow(moved) > r4030 + 2, 'the next row is selected, below the expanded paths');
  at = await key('kp');
  await screenAfter(at, (s) => selectedRow(s) >= 0 && s.split('\n')[selectedRow(s)]!.includes(':4030 ↔') && !/└ /.test(s), 'folded again after k and p');

  await key('q');
  const code = await Promise.race([exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), patient(15_000)))]);
  t.not(code, 'hung', `top did not exit on q:\n${out.slice(-2000)}`);
  t.regex(out, /nodectl exit 0/);
  const stty = out.slice(out.indexOf('nodectl exit'));
  t.regex(stty, /(^|\s)icanon(\s|;|$)/m, `canonical mode restored:\n${stty}`);
  t.regex(stty, /(^|\s)echo(\s|;|$)/m, `echo restored:\n${stty}`);
});

// The terminal as a terminal emulator keeps it (tmux's own screen, read back with capture-pane):
// after q, what was on it before top is back, and no frame of top is left on it.
testIf('root', 'cmd:tmux')('top leaves the terminal clean on q: no frame left on the screen (tmux)', async (t) => {
  const { a } = vethPair(t, '10.67.1', { addresses: false });
  const sock = `nctl-top-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
  t.teardown(() => tmux('kill-server'));
  const cmd = `echo before-top; ${process.execPath} ${CLI} sctp top -n ${a.name} --dev va --interval 200ms; echo "nodectl exit $?"; sleep 60`;
  t.is(tmux('new-session', '-d', '-x', '160', '-y', '40', cmd).status, 0);
  const pane = () => tmux('capture-pane', '-p').stdout;
  const until = async (pred: (s: string) => boolean, what: string, ms = patient(15_000)) => {
    const deadline = Date.now() + ms;
    while (!pred(pane())) {
      if (Date.now() > deadline) throw new Error(`no ${what} within the deadline; pane:\n${pane()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // the first frame waits for the kernel's verifier (see above)
  await until((s) => /ASSOCIATION|no SCTP associations seen/.test(s) && /sort: activity/.test(s), 'frame of top', patient(60_000));
  tmux('send-keys', 'q');
  await until((s) => /nodectl exit \d+/.test(s), 'exit line');
  const after = pane();
  t.regex(after, /nodectl exit 0/);
  t.regex(after, /before-top/, 'what was on the screen before top is back');
  t.notRegex(after, /sctp top|no SCTP associations seen|ASSOCIATION/, `no frame of top left:\n${after}`);
});
