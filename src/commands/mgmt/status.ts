import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { mgmtStatus, renderStatus, type StatusResult } from '../../failover/service.js';
import { DEFAULT_CONTROL_SOCKET, DEFAULT_STATE_FILE } from '../../failover/daemon.js';

export default class MgmtStatus extends NodectlCommand {
  static override summary = 'Show the failover daemon\'s holder, each candidate\'s health and why, the last moves and counters.';

  static override description = `Asks the running daemon over its control socket; when none answers, reads the state file
it last wrote and says the daemon is not running. STATE is healthy (usable), hold-down (up
again, not yet trusted) or down; WHY says which check failed.`;

  static override examples = [
    '<%= config.bin %> mgmt status',
    '<%= config.bin %> mgmt status --json',
  ];

  static override flags = {
    'state-file': Flags.string({ summary: `State file written by the daemon (default ${DEFAULT_STATE_FILE}).` }),
    socket: Flags.string({ summary: `Control socket of the daemon (default ${DEFAULT_CONTROL_SOCKET}).` }),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(MgmtStatus);
    const s = await mgmtStatus({ stateFile: flags['state-file'], controlSocket: flags.socket });
    if (!this.jsonEnabled()) for (const l of renderStatus(s)) this.log(l);
    return s;
  }
}
