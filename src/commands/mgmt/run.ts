import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { DEFAULT_CONFIG_FILE } from '../../failover/service.js';
import { mgmtRun } from '../../failover/fast-run.js';
import { DEFAULT_CONTROL_SOCKET } from '../../failover/control.js';
import { DEFAULT_STATE_FILE } from '../../failover/state-file.js';

export default class MgmtRun extends NodectlCommand {
  static override summary = 'Run the management-IP failover daemon: keep the mgmt address(es) on exactly one working interface.';

  static override description = `Reads the \`mgmt:\` section of the config file (a whole node config, or a file with only
\`mgmt:\`), takes over the kernel's current state (after a crash or SIGKILL too: no gap, no
duplicate) and then reacts to rtnetlink link/address notifications. When the holder loses admin
up, carrier, operstate up or (optionally) its ARP probe of the gateway, the addresses move to the
best healthy candidate by priority, the default route follows, and gratuitous ARP / unsolicited
NA are sent as a burst, then refreshed. An address deleted by hand is put back.

Every decision is one JSON object per line on stderr (journald-friendly). The state for
\`nodectl mgmt status\` goes to --state-file; \`nodectl mgmt move\` talks to --socket.
SIGTERM/SIGINT stop the daemon and leave the addresses where they are.`;

  static override examples = [
    '<%= config.bin %> mgmt run --config /etc/nodectl/node.yaml',
    { description: 'With a Prometheus endpoint on loopback port 9187', command: '<%= config.bin %> mgmt run --config /etc/nodectl/node.yaml --metrics 9187' },
    { description: 'Inside a lab namespace, with its own state and socket', command: '<%= config.bin %> mgmt run -n node --config mgmt.yaml --state-file /run/nodectl/lab-mgmt.json --socket /run/nodectl/lab-mgmt.sock' },
  ];

  static override flags = {
    config: Flags.string({ char: 'c', summary: `Config file with a mgmt: section (default ${DEFAULT_CONFIG_FILE}).` }),
    'state-file': Flags.string({ summary: `Where the daemon writes its state for "mgmt status" (default ${DEFAULT_STATE_FILE}).` }),
    socket: Flags.string({ summary: `Control socket for "mgmt move" and "mgmt status" (default ${DEFAULT_CONTROL_SOCKET}).` }),
    metrics: Flags.string({ summary: 'Serve Prometheus metrics on GET /metrics at [HOST:]PORT (loopback when only a port; off by default).' }),
    rcvbuf: Flags.integer({ summary: 'Receive buffer of the notification socket, bytes (tests shrink it to provoke ENOBUFS).', hidden: true, min: 256 }),
  };

  async run(): Promise<{ stoppedBy: string; holder: string | null }> {
    const { flags } = await this.parse(MgmtRun);
    return this.output(await mgmtRun(flags, {}, this.jsonEnabled()));
  }
}
