// The equality contract as a property, on real namespaces: random topologies (bridges, macvlans,
// veths, addresses, ARP settings, plus hand-made addresses with flags, routes, permanent
// neighbours and bridge port options nodectl does not manage) and random target files; the apply of the target fails
// at a random step k; afterwards the iproute2 snapshot must equal the one before. Every trial is
// reproducible from its seed: NODECTL_PROPERTY_SEED=S (and NODECTL_PROPERTY_TRIALS=N per chunk);
// NODECTL_PROPERTY_LOG=1 prints one line per trial (its files by hash and its draws).
//
// npm test (and so CI) runs the 100 trials of one fixed seed, which passed whole; random seeds
// (NODECTL_PROPERTY_SEED=random, or a loop of them for a soak) look for new cases. They have
// found two defects a random CI run could draw, both fixed, and failing here again if they recur
// (config-rollback.test.ts has a regression test for each):
//   - 1033456143, trial 1034056166: a carrier-less bridge's ff00::/8 route was gone after
//     rollback (the replay used NLM_F_EXCL);
//   - 559773962, trial 560273979: a bridge kept the IPv6 link-local it got while a failed
//     apply had given it a port (and carrier).
// Random seeds may still find new ones, so `npm test` keeps one fixed seed.
import { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError } from '../../src/errors.js';
import { baseSeed, classify, propertyNamespace, startTrial, trialLine } from '../helpers/config-property.js';
import { diffSnapshots, ipSnapshot } from '../helpers/ip-snapshot.js';
import { netnsFor } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

// 10 × 10 = 100 trials; chunks run one after another so that each finishes well inside ava's
// timeout and the trials are not slowed by each other
const CHUNKS = 10;
const TRIALS = Number(process.env.NODECTL_PROPERTY_TRIALS ?? 10);
const BASE_SEED = baseSeed(1323362591);

const cfg = (text: string) => parseConfig(text, 'trial.yaml').config;

async function chunk(t: ExecutionContext, c: number): Promise<void> {
  const ns = netnsFor(t);
  propertyNamespace(ns);
  const sd = mkdtempSync(join(tmpdir(), 'nctl-prop-'));
  t.teardown(() => rmSync(sd, { recursive: true, force: true }));
  let checked = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const tr = await startTrial(t, ns, sd, BASE_SEED, c, trial);
    if (tr === 'fail') return;
    if (tr === 'skip') continue;
    const { rnd, where, a, b, n } = tr;
    const k = 1 + Math.floor(rnd() * n);
    const line = trialLine(where, a, b, `n=${n} k=${k}`);
    if (line) t.log(line);
    const before = await ipSnapshot(ns.name);
    try {
      await applyConfig(cfg(b), { netns: ns.name, stateDir: sd, failAtStep: k });
      t.fail(`${where}: the injected failure at step ${k}/${n} did not happen`);
      return;
    } catch (err) {
      if (!(err instanceof ApplyError)) { t.fail(`${where}: ${(err as Error).message}`); return; }
      if (err.rollbackErrors.length) { t.fail(`${where}: step ${k}/${n}: ${err.message}`); return; }
    }
    const after = await ipSnapshot(ns.name);
    const all = diffSnapshots(before, after);
    const { known, differences: d } = classify(all);
    if (known.length) t.log(`${where}: known limits, not restorable: ${known.join('; ')}`);
    if (d.length) {
      t.fail(`${where}: failure at step ${k}/${n} left the namespace different:\n${d.join('\n')}\nstart:\n${a}target:\n${b}`);
      return;
    }
    checked++;
  }
  t.log(`chunk ${c}: ${checked} of ${TRIALS} trials checked (seeds ${(BASE_SEED + c * 100_003) >>> 0}…+${TRIALS - 1}, NODECTL_PROPERTY_SEED=${BASE_SEED})`);
  t.pass();
}

for (let c = 0; c < CHUNKS; c++) {
  testIf('root').serial(`property: a failure at a random step of a random apply leaves the namespace identical (chunk ${c + 1}/${CHUNKS})`, async (t) => {
    await chunk(t, c);
  });
}
