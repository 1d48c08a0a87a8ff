// Issue 18, the config/mgmt boundary: with a failover daemon holding the mgmt addresses,
// `config export --mgmt FILE` writes them under mgmt: (not as static addresses of today's
// holder), and plan/apply of that export change nothing, before and after a failover.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { patient } from '../helpers/patience.js';
import { holder, makeLab, START_MS, startDaemon, V4, V6, waitHolder, writeConfig } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

function nodectl(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: patient(60_000) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

testIf('root', 'cli')('export --mgmt then apply, with the daemon running: a no-op, and still one after a failover', async (t) => {
  const lab = makeLab(t, 2);
  const mgmtFile = writeConfig(lab);
  const d = startDaemon(t, lab, mgmtFile);
  await waitHolder(lab, 'eth0', START_MS);
  const env = { NODECTL_STATE_DIR: join(lab.dir, 'state') };
  const ns = lab.node.name;
  const ex = join(lab.dir, 'export.yaml');
  const e = nodectl(['config', 'export', '-n', ns, '--mgmt', mgmtFile, '-o', ex], env);
  t.is(e.status, 0, e.stderr);
  const cfg = parse(readFileSync(ex, 'utf8')) as { interfaces: { name: string; addresses?: (string | { address: string })[] }[]; mgmt?: { addresses: string[] } };
  const declared = cfg.interfaces.flatMap((i) => (i.addresses ?? []).map((a) => (typeof a === 'string' ? a : a.address)));
  t.false(declared.some((a) => a.startsWith(`${V4}/`) || a.startsWith(`${V6}/`)), `mgmt address exported as a static one: ${declared.join(' ')}`);
  t.deepEqual(cfg.mgmt?.addresses, [`${V4}/24`, `${V6}/64`]);
  t.is(nodectl(['config', 'validate', ex], env).status, 0);

  // which address is on which link, as iproute2 sees it: `ip -j addr` also carries the links'
  // flags and operstate, and the lifetimes count down, which settle on their own meanwhile
  const addrs = () => lab.node.ipJson<{ ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[]>('addr', 'show')
    .flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.family} ${a.local}/${a.prefixlen}`)).sort();
  const p = nodectl(['config', 'plan', ex, '-n', ns], env);
  t.is(p.status, 0, p.stdout + p.stderr);
  const before = addrs();
  const a = nodectl(['config', 'apply', ex, '-n', ns], env);
  t.is(a.status, 0, a.stdout + a.stderr);
  t.deepEqual(addrs(), before);
  t.is(await holder(lab), 'eth0');

  // the daemon moves the addresses; the same file still re-applies as a no-op
  const mv = nodectl(['mgmt', 'move', 'eth1', '--socket', d.socketPath], env);
  t.is(mv.status, 0, mv.stderr);
  await waitHolder(lab, 'eth1');
  const p2 = nodectl(['config', 'plan', ex, '-n', ns], env);
  t.is(p2.status, 0, p2.stdout + p2.stderr);
  const a2 = nodectl(['config', 'apply', ex, '-n', ns], env);
  t.is(a2.status, 0, a2.stdout + a2.stderr);
  t.is(await holder(lab), 'eth1');
});
