import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { mgmtMove, renderMove, type MoveResult } from '../../failover/service.js';
import { DEFAULT_CONTROL_SOCKET } from '../../failover/control.js';
import { DEFAULT_STATE_FILE } from '../../failover/state-file.js';
import { UsageError } from '../../errors.js';

export default class MgmtMove extends NodectlCommand {
  static override summary = 'Move the management address(es) to IFACE now, for maintenance (or back to automatic with --auto).';

  static override description = `The move skips hold-down and preempt delay, and the addresses stay pinned to IFACE (no
preemption back) until IFACE fails or you run "mgmt move --auto". IFACE must be a candidate and
up (admin, carrier, operstate, probe). --auto answers after the move back by priority that it
causes (waiting out the preempt delay, up to 20 s), or says that no move is due.`;

  static override examples = [
    { description: 'Take eth0 out of service', command: '<%= config.bin %> mgmt move eth1' },
    { description: 'Return to priority order', command: '<%= config.bin %> mgmt move --auto' },
  ];

  static override args = {
    iface: Args.string({ description: 'Candidate interface to move to.', required: false }),
  };

  static override flags = {
    auto: Flags.boolean({ summary: 'Drop the pin: placement by priority, hold-down and preempt delay again.' }),
    socket: Flags.string({ summary: `Control socket of the daemon (default ${DEFAULT_CONTROL_SOCKET}).` }),
    'state-file': Flags.string({ summary: `State file of the daemon to ask (it names its control socket; default ${DEFAULT_STATE_FILE}).` }),
  };

  async run(): Promise<MoveResult> {
    const { args, flags } = await this.parse(MgmtMove);
    if (!args.iface && !flags.auto) throw new UsageError('name the interface to move to, or pass --auto');
    if (args.iface && flags.auto) throw new UsageError('give either IFACE or --auto, not both');
    const r = await mgmtMove({ iface: flags.auto ? null : args.iface!, controlSocket: flags.socket, stateFile: flags['state-file'] });
    if (!this.jsonEnabled()) this.log(renderMove(r));
    return r;
  }
}
