import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { type DeleteResult, deleteLink } from '../../interfaces/manage.js';

export default class LinkDel extends NodectlCommand {
  static override summary = 'Delete an interface (refuses to orphan the interfaces built on it).';

  static override description = `Like "ip link del", with one difference: the kernel silently deletes the vlans and macvlans built on an interface together with it; nodectl refuses instead, and names them. --cascade deletes them first (deepest first), then the interface. Deleting one end of a veth deletes both (the other end is named in the output, and what is built on it counts as built on the interface); deleting a bridge or bond releases its ports (they are not deleted).`;

  static override examples = [
    '<%= config.bin %> link del mv0',
    { description: 'A NIC\'s VLANs and macvlans, then the bond they sit on', command: '<%= config.bin %> link del bond0 --cascade' },
  ];

  static override args = {
    iface: Args.string({ description: 'interface name or ifindex', required: true }),
  };

  static override flags = {
    cascade: Flags.boolean({ summary: 'delete the interfaces built on it first.' }),
  };

  async run(): Promise<DeleteResult> {
    const { args, flags } = await this.parse(LinkDel);
    const r = await deleteLink({ netns: flags.netns }, args.iface, { cascade: flags.cascade });
    if (!this.jsonEnabled()) this.log(`deleted ${r.deleted.join(', ')}${r.alsoDeleted.length ? `; with it the kernel deleted ${r.alsoDeleted.join(', ')} (veth peer)` : ''}`);
    return r;
  }
}
