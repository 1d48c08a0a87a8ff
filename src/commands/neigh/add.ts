import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { addNeighbour, NEIGH_ADD_STATES } from '../../arp/neigh.js';
import type { NeighView } from '../../interfaces/model.js';

export default class NeighAdd extends NodectlCommand {
  static override summary = 'Add (or replace) a neighbour entry on an interface.';

  static override description = `Like "ip neigh replace ADDRESS lladdr LLADDR dev IFACE nud STATE": creates the entry, or overwrites the one already there, then reads it back from the kernel. ADDRESS may be IPv4 (an ARP entry) or IPv6 (an NDP entry). --state permanent (the default) never ages and is never re-probed; reachable and stale entries are subject to the kernel's normal neighbour state machine; noarp entries are used as they are without ever being validated.`;

  static override examples = [
    '<%= config.bin %> neigh add eth0 192.0.2.1 52:54:00:12:34:56',
    { description: 'A stale entry the kernel will confirm on first use', command: '<%= config.bin %> neigh add eth0 192.0.2.1 52:54:00:12:34:56 --state stale' },
    '<%= config.bin %> neigh add eth0 2001:db8::1 52:54:00:12:34:56',
  ];

  static override args = {
    iface: Args.string({ description: 'Interface name or ifindex.', required: true }),
    address: Args.string({ description: 'IPv4 or IPv6 address of the neighbour.', required: true }),
    lladdr: Args.string({ description: 'Its link-layer address, aa:bb:cc:dd:ee:ff.', required: true }),
  };

  static override flags = {
    state: Flags.option({ summary: 'NUD state of the entry.', options: NEIGH_ADD_STATES, default: 'permanent' as const })(),
  };

  async run(): Promise<NeighView> {
    const { args, flags } = await this.parse(NeighAdd);
    const n = await addNeighbour({ netns: flags.netns }, args.iface, { address: args.address, lladdr: args.lladdr, state: flags.state });
    if (!this.jsonEnabled()) this.log(`${n.address} lladdr ${n.lladdr ?? '-'} ${n.state} on ${n.ifname}`);
    return n;
  }
}
