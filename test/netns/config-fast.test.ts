// bin/run.js runs `config apply` without oclif (src/config/fast-apply.ts): it must print byte for
// byte what the oclif command prints, with the same exit statuses, and change the kernel the
// same way. (Which command lines it takes: test/unit/fast-parse.test.ts.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, netnsFor } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: patient(60_000) });
  // a run killed by the timeout says so, instead of looking like a silent exit
  return { status: r.status, stdout: r.stdout, stderr: r.error ? `${r.stderr}[${r.error.message}]` : r.stderr };
};

testIf('root', 'cli')(isRoot() ? 'config apply: the fast entry and oclif print the same and do the same' : 'config apply fast entry vs oclif (skipped: needs root)', (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'nctl-fast-apply-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const ns of [a, b]) ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  const file = (name: string, text: string): string => { const f = join(dir, name); writeFileSync(f, text); return f; };
  const good = file('n.yaml', 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n  - {name: mv0, kind: macvlan, link: eth0, macvlan: {mode: bridge}}\n');
  const less = file('less.yaml', 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n');
  const bad = file('bad.yaml', 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: mv0, kind: macvlan, link: eth9, speed: 10}\n');
  const odd = file('odd.yaml', 'interfaces:\n  - &e {name: eth0, kind: device}\n');
  // each case in namespace a through the fast entry and in b through oclif, with the same state layout
  const cases: [string, string[], Record<string, string>?][] = [
    ['create', [good]], ['no-op', [good]], ['no-op json', [good, '--json']], ['prune', [less, '--json']], ['re-create', [good]],
    ['invalid', [bad]], ['invalid json', [bad, '--json']], ['outside the quick subset', [odd]], ['missing file', [join(dir, 'nope.yaml')]],
    ['kernel refusal at step 2', [file('fail.yaml', 'interfaces:\n  - {name: eth0, kind: device, addresses: [192.0.2.9/24, 198.51.100.9/24]}\n')], { NODECTL_FAIL_AT_STEP: '2' }],
    ['no prune', [less, '--no-prune']],
  ];
  for (const [what, args, env] of cases) {
    const fast = run(['config', 'apply', ...args, '-n', a.name, '--state-dir', join(dir, 'state-a')], env);
    const slow = run(['config', 'apply', ...args, '-n', b.name, '--state-dir', join(dir, 'state-b')], { ...env, NODECTL_NO_FAST: '1' });
    const norm = (s: string, ns: string, st: string): string => s.replaceAll(ns, 'NS').replaceAll(st, 'STATE').replace(/"id":"[0-9a-f-]+"/g, '"id":"ID"');
    t.is(fast.status, slow.status, `${what}: exit status (${fast.stderr} | ${slow.stderr})`);
    t.is(norm(fast.stdout, a.name, 'state-a'), norm(slow.stdout, b.name, 'state-b'), `${what}: stdout`);
    t.is(norm(fast.stderr, a.name, 'state-a'), norm(slow.stderr, b.name, 'state-b'), `${what}: stderr`);
    const links = (ns: typeof a): string => ns.ipJson<{ ifname: string; operstate: string }[]>('link', 'show').map((l) => `${l.ifname} ${l.operstate}`).sort().join(', ');
    t.is(links(a), links(b), `${what}: the kernel`);
  }
  t.is(run(['config', 'apply', '--help']).status, 0, '--help still reaches oclif');
  t.is(run(['config', 'apply', good, '--confirm', '0', '-n', a.name]).status, 2, 'a bad flag value is still oclif\'s usage error');
});
