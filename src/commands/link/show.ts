import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import type { LinkJson } from '../../interfaces/link-json.js';
import { READ_ACTIONS } from '../../cli/fast-read.js';

export default class LinkShow extends NodectlCommand {
  static override summary = 'Show one network interface in detail.';

  static override description = `Everything nodectl reads about one interface: flags, admin/oper/carrier state, MTU and its limits, MAC, master, lower device, veth peer, bridge ports or bond slaves, alias, kind-specific settings, bridge-port or bond-slave state and the RX/TX counters.

IFACE is a name, an alternative name or an ifindex. An interface that does not exist is an error (exit status 4, errno ENODEV).`;

  static override examples = [
    '<%= config.bin %> link show eth0',
    { description: 'By ifindex, in a namespace', command: '<%= config.bin %> link show 3 --netns blue' },
    { description: 'The active slave of a bond, by name', command: '<%= config.bin %> link show bond0 --json | jq .linkinfo.info_data.active_slave' },
  ];

  static override args = {
    iface: Args.string({ description: 'interface name, alternative name or ifindex', required: true }),
  };

  async run(): Promise<LinkJson> {
    const { args, flags } = await this.parse(LinkShow);
    return this.output(await READ_ACTIONS['link show'](flags, args, this.jsonEnabled()));
  }
}
