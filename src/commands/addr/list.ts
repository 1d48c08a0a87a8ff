import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import type { AddrView } from '../../interfaces/model.js';
import { READ_ACTIONS } from '../../cli/fast-read.js';

export default class AddrList extends NodectlCommand {
  static override summary = 'List IPv4 and IPv6 addresses, optionally of one interface.';

  static override description = `Like \`ip addr show\`: interface, family, address/prefix (with peer and broadcast), scope and flags (secondary, tentative, dadfailed, nodad, permanent, …). An IPv4 label that differs from the interface name is shown as "label NAME".`;

  static override examples = [
    '<%= config.bin %> addr list',
    '<%= config.bin %> addr list --dev eth0 --family inet',
    { description: 'Addresses of a namespace, as JSON', command: '<%= config.bin %> addr list --netns blue --json' },
  ];

  static override flags = {
    dev: Flags.string({ char: 'd', summary: 'Only addresses of this interface (name or ifindex).' }),
    family: Flags.string({ char: 'f', summary: 'Only this address family (inet = IPv4, inet6 = IPv6), like ip -f.', options: ['inet', 'inet6'] }),
  };

  async run(): Promise<AddrView[]> {
    const { args, flags } = await this.parse(AddrList);
    return this.output(await READ_ACTIONS['addr list'](flags, args, this.jsonEnabled()));
  }
}
