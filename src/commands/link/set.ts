import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { changeLink } from '../../interfaces/manage.js';
import { type LinkJson, linkJson } from '../../interfaces/link-json.js';
import { renderLinkDetail } from '../../interfaces/render.js';

export default class LinkSet extends NodectlCommand {
  static override summary = 'Change an interface: state, MTU, MAC, name, master, alias.';

  static override description = `Like "ip link set": all the given changes go to the kernel in ONE request, so they apply together or not at all. The interface is printed as the kernel reports it afterwards. --master accepts only a bridge or a bond; --nomaster releases the interface from its master.`;

  static override examples = [
    '<%= config.bin %> link set eth0 --up',
    { description: 'Jumbo frames', command: '<%= config.bin %> link set eth0 --mtu 9000' },
    { description: 'Make eth1 a port of br0', command: '<%= config.bin %> link set eth1 --master br0' },
    { description: 'Release it again and describe it', command: '<%= config.bin %> link set eth1 --nomaster --alias "spare uplink"' },
    { description: 'Rename (the interface must be down)', command: '<%= config.bin %> link set eth9 --name wan0' },
  ];

  static override args = {
    iface: Args.string({ description: 'interface name or ifindex', required: true }),
  };

  static override flags = {
    up: Flags.boolean({ summary: 'bring the interface up.', exclusive: ['down'] }),
    down: Flags.boolean({ summary: 'bring the interface down.', exclusive: ['up'] }),
    mtu: Flags.integer({ summary: 'MTU in bytes.' }),
    mac: Flags.string({ summary: 'link-layer address (xx:xx:xx:xx:xx:xx).' }),
    name: Flags.string({ summary: 'new interface name.' }),
    master: Flags.string({ summary: 'enslave to this bridge or bond.', exclusive: ['nomaster'] }),
    nomaster: Flags.boolean({ summary: 'release from the master.', exclusive: ['master'] }),
    alias: Flags.string({ summary: 'free-text description (ifalias).' }),
  };

  async run(): Promise<LinkJson> {
    const { args, flags } = await this.parse(LinkSet);
    const link = await changeLink({ netns: flags.netns }, args.iface, {
      up: flags.up ? true : flags.down ? false : undefined,
      mtu: flags.mtu, mac: flags.mac, name: flags.name,
      master: flags.nomaster ? null : flags.master, alias: flags.alias,
    });
    if (!this.jsonEnabled()) this.log(renderLinkDetail(link));
    // the link as link show --json prints it
    return linkJson(link);
  }
}
