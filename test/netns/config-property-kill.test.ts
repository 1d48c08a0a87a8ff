// The equality contract when the apply process dies: random topologies and random target files
// as in config-property.test.ts, but the real CLI applies the target and is SIGKILLed at a random
// moment after its journal exists. The recovery a crash leaves to the next run (`config
// recover`, or in half the trials the next `nodectl config apply`, which recovers first, as the
// boot unit's does) must then bring back, as
// iproute2 sees it, the namespace from before the apply — or, when the kill came after the
// commit point, leave the target applied with nothing left to plan. The next apply of the same
// file (what a boot unit retries) must then succeed. Every trial is reproducible in its files and
// kill delay from its seed (NODECTL_PROPERTY_SEED=S, NODECTL_PROPERTY_TRIALS=N per chunk); where
// the kill lands also depends on the machine's speed, so the log says at which step it did.
// A trial starts as in config-property.test.ts (test/helpers/config-property.ts startTrial);
// NODECTL_PROPERTY_LOG=1 prints one line per trial.
import { type ExecutionContext } from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApplyResult, applyConfig, planConfig, type RecoverResult, recoverConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { StateDir } from '../../src/config/state.js';
import { ApplyError } from '../../src/errors.js';
import { baseSeed, classify, propertyNamespace, startTrial, trialLine } from '../helpers/config-property.js';
import { diffSnapshots, ipSnapshot } from '../helpers/ip-snapshot.js';
import { netnsFor, stateDir } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;
// 5 × 5 = 25 trials: each spawns the CLI, so a trial costs several times one in-process
const CHUNKS = 5;
const TRIALS = Number(process.env.NODECTL_PROPERTY_TRIALS ?? 5);
const BASE_SEED = baseSeed(1900117);
/** Pause after each step: wide enough for a kill to land between steps as well as in one. */
const STEP_DELAY_MS = 25;

const cfg = (text: string) => parseConfig(text, 'trial.yaml').config;

/** Run the CLI to its end (asynchronously: the worker keeps answering meanwhile). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

/** How many steps the progress file says are done (0 when it is gone or not there yet). */
function stepsDone(progress: string): number {
  try { return (readFileSync(progress, 'utf8').match(/^done /gm) ?? []).length; } catch { return 0; }
}

async function chunk(t: ExecutionContext, c: number): Promise<void> {
  const ns = netnsFor(t);
  propertyNamespace(ns);
  const sd = stateDir(t);
  const dir = new StateDir(sd, ns.name).dir;
  const counts = { rolledBack: 0, committed: 0, viaApply: 0 };
  for (let trial = 0; trial < TRIALS; trial++) {
    const tr = await startTrial(t, ns, sd, BASE_SEED, c, trial);
    if (tr === 'fail') return;
    if (tr === 'skip') continue;
    const { rnd, where, a, b, n } = tr;
    // from step 1 to a little past the last step: some kills land in the verification, the
    // commit or after the end
    const killAfter = Math.floor(rnd() * (STEP_DELAY_MS * (n + 2) + 500));
    // Half the trials recover the way a boot does: the next `config apply` (of the start file,
    // which is then a no-op once rolled back) finishes the journal first. Only when the start
    // file is a no-op on the state before: the hand-made addresses on eth0 would otherwise go.
    const viaApply = rnd() < 0.5 && (await planConfig(cfg(a), { netns: ns.name, stateDir: sd })).steps.length === 0;
    const line = trialLine(where, a, b, `n=${n} killAfter=${killAfter}ms viaApply=${viaApply}`);
    if (line) t.log(line);
    const before = await ipSnapshot(ns.name);
    const file = join(sd, 'target.yaml');
    writeFileSync(file, b);
    // random plans re-create and re-enslave: what is tested here is the kill, not the refusal
    const child = spawn(process.execPath, [CLI, 'config', 'apply', file, '-n', ns.name, '--state-dir', sd, '--allow-disruption'], {
      env: { ...process.env, NODECTL_STEP_DELAY_MS: String(STEP_DELAY_MS) }, stdio: ['ignore', 'ignore', 'ignore'],
    });
    const progress = join(dir, 'progress');
    // the journal is written before the progress file, and both before step 1
    while (child.exitCode === null && !existsSync(progress)) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, killAfter));
    const done = stepsDone(progress);
    child.kill('SIGKILL');
    await exited(child);
    let r: RecoverResult;
    if (viaApply) {
      const startFile = join(sd, 'start.yaml');
      writeFileSync(startFile, a);
      const out = await cli(['config', 'apply', startFile, '-n', ns.name, '--state-dir', sd, '--json', '--allow-disruption']);
      if (out.code !== 0) { t.fail(`${where}: killed after ${done}/${n} steps, the next config apply exited ${out.code}: ${out.stderr}`); return; }
      const applied = JSON.parse(out.stdout) as ApplyResult;
      r = applied.recovered ?? { action: 'none', journal: null, undone: 0, reason: 'no journal', errors: [] };
      if (r.action !== 'rolled-back') {
        // the target had been committed, and this apply took the node back to the start file
        const left = (await planConfig(cfg(a), { netns: ns.name, stateDir: sd })).steps.map((x) => x.text);
        if (left.length) { t.fail(`${where}: killed after ${done}/${n} steps, recovered by config apply (${r.action}), yet the start file is not applied: ${left.join('; ')}`); return; }
        counts.committed++;
        continue;
      }
      if (applied.steps.length) { t.fail(`${where}: the start file was not a no-op after the rollback: ${applied.steps.map((x) => x.text).join('; ')}`); return; }
    } else {
      r = await recoverConfig({ netns: ns.name, stateDir: sd });
    }
    if (r.errors.length) { t.fail(`${where}: killed after ${done}/${n} steps, recover: ${r.errors.join('; ')}\nstart:\n${a}target:\n${b}`); return; }
    if (r.action === 'rolled-back') {
      const after = await ipSnapshot(ns.name);
      const { known, differences } = classify(diffSnapshots(before, after));
      if (known.length) t.log(`${where}: known limits, not restorable: ${known.join('; ')}`);
      if (differences.length) {
        t.fail(`${where}: killed after ${done}/${n} steps, rolled back by ${viaApply ? 'the next config apply' : 'recover'}, the namespace differs:\n${differences.join('\n')}\nstart:\n${a}target:\n${b}`);
        return;
      }
      counts.rolledBack++;
      if (viaApply) counts.viaApply++;
    } else if (r.action === 'committed' || r.action === 'none') {
      // killed during the commit (recover finished it) or after it (or the apply had ended):
      // the target stands, whole
      const left = (await planConfig(cfg(b), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
      if (left.length) { t.fail(`${where}: killed after ${done}/${n} steps, recover said ${r.action} (${r.reason}), yet the target is not applied: ${left.join('; ')}`); return; }
      counts.committed++;
    } else {
      t.fail(`${where}: recover: ${r.action} (${r.reason})`);
      return;
    }
    // what a boot unit does next: apply the same file again; it must go through
    try {
      await applyConfig(cfg(b), { netns: ns.name, stateDir: sd });
    } catch (err) {
      const exact = err instanceof ApplyError && !err.rollbackErrors.length && !err.differences.length;
      t.fail(`${where}: the apply of the target after recovery failed${exact ? ' (and was rolled back exactly)' : ''}: ${(err as Error).message}\ntarget:\n${b}`);
      return;
    }
  }
  t.log(`chunk ${c}: ${counts.rolledBack} kills rolled back (${counts.viaApply} by the next config apply, the rest by recover), ${counts.committed} after the commit point, of ${TRIALS} trials (seeds ${(BASE_SEED + c * 100_003) >>> 0}…+${TRIALS - 1}, NODECTL_PROPERTY_SEED=${BASE_SEED})`);
  t.pass();
}

for (let c = 0; c < CHUNKS; c++) {
  testIf('root', 'cli').serial(`property: SIGKILL of config apply at a random moment, then recover: the namespace is as before, or at the target (chunk ${c + 1}/${CHUNKS})`, async (t) => {
    await chunk(t, c);
  });
}
