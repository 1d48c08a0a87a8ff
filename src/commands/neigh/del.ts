import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { deleteNeighbour } from '../../arp/neigh.js';
import type { NeighView } from '../../interfaces/model.js';

export default class NeighDel extends NodectlCommand {
  static override summary = 'Delete a neighbour entry from an interface.';

  static override description = `Like "ip neigh del ADDRESS dev IFACE". An entry that does not exist is an error (exit 4). A non-permanent entry can come back as soon as traffic needs the neighbour again.`;

  static override examples = [
    '<%= config.bin %> neigh del eth0 192.0.2.1',
    '<%= config.bin %> neigh del eth0 2001:db8::1 --json',
  ];

  static override args = {
    iface: Args.string({ description: 'Interface name or ifindex.', required: true }),
    address: Args.string({ description: 'IPv4 or IPv6 address of the neighbour.', required: true }),
  };

  async run(): Promise<{ deleted: NeighView }> {
    const { args, flags } = await this.parse(NeighDel);
    const r = await deleteNeighbour({ netns: flags.netns }, args.iface, args.address);
    if (!this.jsonEnabled()) this.log(`deleted ${r.deleted.address} (${r.deleted.lladdr ?? 'no lladdr'}, ${r.deleted.state}) from ${r.deleted.ifname}`);
    return r;
  }
}
