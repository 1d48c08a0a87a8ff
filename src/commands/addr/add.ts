import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { addAddress } from '../../interfaces/manage.js';
import type { AddrView } from '../../interfaces/model.js';

export default class AddrAdd extends NodectlCommand {
  static override summary = 'Add an IPv4 or IPv6 address to an interface.';

  static override description = `Like "ip addr add ADDRESS/PREFIX dev IFACE". An address that is already there is an error (EEXIST), never silently accepted. --label (IPv4 only) must begin with the interface name, as iproute2 requires; --nodad (IPv6 only) skips Duplicate Address Detection so the address is usable at once.`;

  static override examples = [
    '<%= config.bin %> addr add eth0 192.0.2.10/24',
    { description: 'A labelled secondary address', command: '<%= config.bin %> addr add eth0 192.0.2.11/24 --label eth0:vip' },
    { description: 'IPv6 without DAD, in a namespace', command: '<%= config.bin %> addr add br0 2001:db8::1/64 --nodad -n lab' },
  ];

  static override args = {
    iface: Args.string({ description: 'interface name or ifindex', required: true }),
    address: Args.string({ description: 'ADDRESS/PREFIX, e.g. 192.0.2.10/24 or 2001:db8::1/64', required: true }),
  };

  static override flags = {
    label: Flags.string({ summary: 'IPv4 address label (IFACE or IFACE:something).' }),
    nodad: Flags.boolean({ summary: 'IPv6: no Duplicate Address Detection.' }),
  };

  async run(): Promise<AddrView> {
    const { args, flags } = await this.parse(AddrAdd);
    const a = await addAddress({ netns: flags.netns }, args.iface, { address: args.address, label: flags.label, nodad: flags.nodad });
    if (!this.jsonEnabled()) this.log(`${a.address}/${a.prefixlen} added to ${a.ifname}${a.flags.length ? ` (${a.flags.join(' ')})` : ''}`);
    return a;
  }
}
