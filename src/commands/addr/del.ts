import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { deleteAddress } from '../../interfaces/manage.js';

export default class AddrDel extends NodectlCommand {
  static override summary = 'Remove an address from an interface.';

  static override description = `Like "ip addr del ADDRESS/PREFIX dev IFACE". The prefix length must match the address as configured; an address that is not there is an error (exit status 4).`;

  static override examples = [
    '<%= config.bin %> addr del eth0 192.0.2.10/24',
    { description: 'IPv6, in a namespace', command: '<%= config.bin %> addr del br0 2001:db8::1/64 -n lab' },
  ];

  static override args = {
    iface: Args.string({ description: 'interface name or ifindex', required: true }),
    address: Args.string({ description: 'ADDRESS/PREFIX', required: true }),
  };

  async run(): Promise<{ deleted: string; ifname: string }> {
    const { args, flags } = await this.parse(AddrDel);
    const r = await deleteAddress({ netns: flags.netns }, args.iface, args.address);
    if (!this.jsonEnabled()) this.log(`${r.deleted} removed from ${r.ifname}`);
    return r;
  }
}
