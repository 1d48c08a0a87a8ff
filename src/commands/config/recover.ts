import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { recoverConfig, type RecoverResult } from '../../config/apply.js';
import { stateDirFlag } from '../../cli/config-flags.js';
import { count } from '../../text.js';

export default class ConfigRecover extends NodectlCommand {
  static override summary = 'Finish the rollback of an interrupted apply, or revert an unconfirmed one.';

  static override description = `Reads the journal in the state directory. An apply that was killed mid-way is rolled back (each step begun is undone, in reverse); an apply waiting for "config confirm" is reverted now; a journal from an earlier boot is discarded (the kernel state it described is gone). With no journal, does nothing. "config apply" does the same before anything else.`;

  static override examples = [
    '<%= config.bin %> config recover',
    { description: 'For one namespace', command: '<%= config.bin %> config recover -n lab --state-dir /tmp/lab-state' },
  ];

  static override flags = {
    'state-dir': stateDirFlag,
    watchdog: Flags.string({ summary: 'Internal: wait for the confirm deadline of this journal id, then revert it unless confirmed.', hidden: true }),
  };

  async run(): Promise<RecoverResult> {
    const { flags } = await this.parse(ConfigRecover);
    const r = await recoverConfig({ netns: flags.netns, stateDir: flags['state-dir'], watchdog: flags.watchdog });
    if (!this.jsonEnabled() && flags.watchdog === undefined) {
      this.log(r.action === 'none' ? 'nothing to recover' : `${r.action}: ${r.reason}${r.undone ? ` (${count(r.undone, 'step')} undone)` : ''}`);
      // "rolled back" is only the whole truth when the comparison with the pre-apply state agrees
      if (r.action === 'rolled-back') {
        for (const i of r.interference ?? []) this.log(`another program: ${i}`);
        // differences are an error (recoverConfig throws: exit 1), so reaching here means none
        this.log('the node is as it was before the apply (compared)');
      }
    }
    return r;
  }
}
