import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { mgmtStatus, renderStatus, STATUS_EXIT, type StatusResult } from '../../failover/service.js';
import { DEFAULT_CONTROL_SOCKET } from '../../failover/control.js';
import { DEFAULT_STATE_FILE } from '../../failover/state-file.js';

export default class MgmtStatus extends NodectlCommand {
  static override summary = 'Show the failover daemon\'s holder, each candidate\'s health and why, the last moves and counters.';

  static override description = `Asks the running daemon over its control socket; only an answer there counts as running
(a pid file does not). When none answers, shows the state file it last wrote. STATE is healthy
(usable), hold-down (up again, not yet trusted) or down; WHY says which check failed.

Exit status, like systemctl is-active: 0 running, holding on a healthy candidate; 1 degraded (no
holder, the holder unhealthy, no healthy candidate, or pinned by an operator); 3 not running;
5 not allowed to ask (not root nor in the configured group).`;

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
    const code = STATUS_EXIT[s.health];
    if (this.jsonEnabled()) {
      if (code === 0) return s;
      this.logJson(s);
    } else {
      for (const l of renderStatus(s)) this.log(l);
    }
    if (code !== 0) this.exit(code);
    return s;
  }
}
