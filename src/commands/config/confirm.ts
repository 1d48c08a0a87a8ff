import { NodectlCommand } from '../../cli/base-command.js';
import { confirmConfig, type RecoverResult } from '../../config/apply.js';
import { stateDirFlag } from '../../cli/config-flags.js';

export default class ConfigConfirm extends NodectlCommand {
  static override summary = 'Keep an apply made with --confirm (stops the automatic revert).';

  static override description = `After "config apply --confirm SECONDS", the change is reverted unless this runs before the deadline. Too late (the deadline passed): the apply is reverted and this fails (exit 1).`;

  static override examples = [
    '<%= config.bin %> config confirm',
    { description: 'For one namespace', command: '<%= config.bin %> config confirm -n lab' },
  ];

  static override flags = {
    'state-dir': stateDirFlag,
  };

  async run(): Promise<RecoverResult> {
    const { flags } = await this.parse(ConfigConfirm);
    const r = await confirmConfig({ netns: flags.netns, stateDir: flags['state-dir'] });
    if (!this.jsonEnabled()) this.log('confirmed: the applied configuration stays');
    return r;
  }
}
