// journald priorities (issue 19): when stderr is the journal's stream (JOURNAL_STREAM names its
// device:inode, as systemd sets it), every line starts with its syslog priority `<N>` so that
// `journalctl -p warning` can filter; elsewhere the lines stay plain JSON (the other failover
// tests parse them as such). Here stderr is a file whose device:inode the test puts in
// JOURNAL_STREAM, standing in for the journal's socket.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isRoot } from '../helpers/netns.js';
import { carrier, cli, makeLab, ROOT, sleep, waitHolder, writeConfig } from './failover-lab.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const PRIO: Record<string, number> = { err: 3, warning: 4, notice: 5, info: 6 };

testIf('root')(root ? 'stderr is the journal: each line has its <priority>, warnings at <4>, moves at <5>' : 'journal priorities (skipped: needs root)', async (t) => {
  const lab = makeLab(t, 2);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 60_000 });
  const errFile = join(lab.dir, 'journal.txt');
  const fd = openSync(errFile, 'w');
  const st = fstatSync(fd, { bigint: true });
  const sock = join(lab.dir, 'j.sock');
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/netns/fixtures/mgmt-run.ts'), '-n', lab.node.name, '--config', cfg, '--state-file', join(lab.dir, 'j.json'), '--socket', sock], {
    cwd: ROOT, stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
  });
  closeSync(fd);
  const exited = new Promise((r) => proc.on('exit', r));
  t.teardown(async () => {
    proc.kill('SIGTERM');
    await exited;
  });
  const lines = () => readFileSync(errFile, 'utf8').split('\n').filter(Boolean);
  const waitFor = async (re: RegExp, what: string) => {
    const t0 = Date.now();
    while (!lines().some((l) => re.test(l))) {
      if (Date.now() - t0 > patient(180_000)) throw new Error(`no ${what}: ${lines().slice(-5).join('\n')}`);
      await sleep(50);
    }
  };
  await waitFor(/"event":"place"/, 'placement');
  await waitHolder(lab, 'eth0');
  await carrier(lab, 0, false);
  await waitFor(/"event":"move"/, 'move');
  // A warning: a refused peer on the control socket (nobody through a socket opened wide).
  execFileSync('chmod', ['0777', lab.dir, sock]);
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  await cli(['mgmt', 'status', '--socket', sock, '--state-file', join(lab.dir, 'j.json')], { uid: nobody });
  await waitFor(/"event":"control-refused"/, 'refusal');
  const all = lines();
  for (const l of all) {
    const m = /^<(\d)>(\{.*\})$/.exec(l);
    t.truthy(m, `line without a priority prefix: ${l}`);
    if (!m) continue;
    const e = JSON.parse(m[2]!) as { level: string };
    t.is(Number(m[1]), PRIO[e.level], l);
  }
  t.true(all.some((l) => l.startsWith('<5>') && l.includes('"event":"move"')));
  t.true(all.some((l) => l.startsWith('<4>') && l.includes('"event":"control-refused"')));
});
