import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { resolvePrefix } from '../../lab/plan.js';
import { labDown, type LabDownResult } from '../../lab/topology.js';
import { count } from '../../text.js';

export default class LabDown extends NodectlCommand {
  static override summary = 'Remove the lab: its namespaces, the processes it started, its state directory.';

  static override description = `Idempotent, and works after a crash: the lab's namespaces are found by their names (PREFIX + node, switch, sctp-peer), not only from the state file. Deleting a namespace removes every interface in it (the veth pairs go with their ends). Daemons the lab started (the demo's \`mgmt run\`) are stopped; other processes still inside a namespace are listed and left alone.`;

  static override examples = [
    '<%= config.bin %> lab down',
    { description: 'Remove a test lab', command: '<%= config.bin %> lab down --prefix nctl-t1-' },
  ];

  static override flags = {
    prefix: Flags.string({ summary: 'Namespace name prefix (default: $NODECTL_LAB_PREFIX or "nctl-lab-").' }),
  };

  async run(): Promise<LabDownResult> {
    const { flags } = await this.parse(LabDown);
    const prefix = resolvePrefix(flags.prefix);
    const quiet = this.jsonEnabled();
    const r = await labDown({ prefix, progress: quiet ? undefined : (l) => this.log(`  ${l}`) });
    if (!quiet) {
      if (r.alreadyDown) this.log(`lab ${prefix} is not up: nothing to remove`);
      else this.log(`lab ${prefix} removed (${count(r.removed.length, 'namespace')})`);
      for (const l of r.lingering) this.log(`note: processes not started by the lab were still in ${l.netns}: ${l.pids.join(' ')}`);
    }
    return r;
  }
}
