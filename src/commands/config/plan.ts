import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { type PlanResult, planConfig } from '../../config/apply.js';
import { stateDirFlag } from '../../cli/config-flags.js';
import { PLAN_DRIFT } from '../../cli/exit-codes.js';
import { readConfig } from '../../config/read.js';
import { describeDisruption } from '../../interfaces/planner.js';
import { rehearsalText } from '../../config/rehearse.js';

export default class ConfigPlan extends NodectlCommand {
  static override summary = 'Show the exact ordered operations that would bring the node to a config file.';

  static override description = `Compares the file with the kernel (read now, over rtnetlink) and prints the netlink operations "config apply" would run, in the order it would run them, like a diff: "+" creates, "-" removes, "~" changes. Lower devices and masters are created before what builds on them; on removal, dependents go first and ports are released before their master. Only interfaces nodectl created (its ownership record) are ever removed.

Each step is tagged with what it does to the link it names: new, in-place, enslave (a port gets its first master), re-enslave (a port leaves its master), bounce (down, then up), down, recreate (deleted and created again: a new ifindex) or delete (pruned). Steps that re-enslave, bounce, take down or re-create a link that is up now are disruption, listed last ("disruption" under --json): "config apply" refuses them unless --allow-disruption is given.

When there are steps, they are first rehearsed in a throwaway network namespace holding stand-ins for this node's interfaces that they involve, so that what only the kernel refuses (a bridge as a port of a bridge, an MTU a device does not take, a kind this kernel lacks) is reported here, with the kernel's errno and extended-ACK text; the output says whether the rehearsal passed (--no-rehearse skips it).

Exit status: 0 nothing would change, 100 drift (operations listed; like dnf check-update, and distinct from every error's status), 3 invalid file, 1 the file cannot be applied to this node (e.g. a declared device is missing, or the kernel refused a step in the rehearsal), 6 the kernel lacks a kind the file needs, 2 bad usage.`;

  static override examples = [
    '<%= config.bin %> config plan /etc/nodectl/node.yaml',
    { description: 'Drift check in a script (100: drift; any other non-zero status: an error)', command: '<%= config.bin %> config plan node.yaml >/dev/null; test $? -eq 100 && echo drift' },
    { description: 'The operations as JSON', command: '<%= config.bin %> config plan node.yaml --json | jq -r \'.steps[].text\'' },
  ];

  static override args = {
    file: Args.string({ description: 'config file (YAML or JSON)', required: true }),
  };

  static override flags = {
    'state-dir': stateDirFlag,
    'no-prune': Flags.boolean({ summary: 'Do not remove owned interfaces the file no longer declares.' }),
    'no-rehearse': Flags.boolean({ summary: 'Do not rehearse the steps in a throwaway network namespace first.' }),
  };

  async run(): Promise<PlanResult> {
    const { args, flags } = await this.parse(ConfigPlan);
    const config = await readConfig(args.file);
    const r = await planConfig(config, { netns: flags.netns, stateDir: flags['state-dir'], prune: !flags['no-prune'], rehearse: !flags['no-rehearse'] });
    if (!this.jsonEnabled()) {
      if (r.pendingJournal) this.log('note: an interrupted or unconfirmed apply is pending; the next apply reverts it first (nodectl config recover)');
      for (const w of r.warnings) this.log(`warning: ${w}`);
      if (!r.steps.length) this.log('no changes: the node matches the file');
      const width = String(r.steps.length).length;
      // the effect of each step on its link (new, in-place, enslave, re-enslave, bounce, down, recreate, delete)
      const tag = Math.max(0, ...r.steps.map((s) => s.effect.length));
      for (const s of r.steps) this.log(`${String(s.step).padStart(width)} ${s.marker} ${s.effect.padEnd(tag)} ${s.text}`);
      if (r.disruption.length) this.log(`disruption: ${describeDisruption(r.disruption)}; "config apply" needs --allow-disruption`);
      if (r.rehearsal) for (const line of rehearsalText(r.rehearsal)) this.log(line);
    }
    // drift has its own status (no error has it); the result (and --json output) is printed as usual
    if (r.changed) process.exitCode = PLAN_DRIFT;
    return r;
  }
}
