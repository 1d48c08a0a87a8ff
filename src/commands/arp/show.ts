import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { type ArpPolicy, showArpPolicy } from '../../arp/policy.js';
import { renderArpPolicy } from '../../arp/render.js';

export default class ArpShow extends NodectlCommand {
  static override summary = 'Show the ARP policy of interfaces, with the all/default rows and the effective values.';

  static override description = `Lists arp_ignore, arp_announce, arp_filter, arp_accept, arp_notify, proxy_arp and drop_gratuitous_arp for each interface (read over rtnetlink: IFLA_AF_SPEC/AF_INET), and the "all" and "default" rows of /proc/sys/net/ipv4/conf.

The kernel never uses an interface's value alone: it combines it with the "all" row — the larger of the two for arp_ignore, arp_announce, arp_accept and arp_notify, either one being on for arp_filter, proxy_arp and drop_gratuitous_arp. A cell reading "0→2" means the interface has 0 but the kernel acts on 2 because of "all". --json gives, per key, the interface's value, the effective value and its source ("interface", "all" or "both"). "default" only seeds interfaces created later; it never affects existing ones.`;

  static override examples = [
    '<%= config.bin %> arp show',
    { description: 'One interface, for scripts', command: '<%= config.bin %> arp show eth0 --json | jq .interfaces[0].settings.arp_ignore' },
    { description: 'Inside a namespace', command: '<%= config.bin %> arp show -n blue' },
  ];

  static override args = {
    iface: Args.string({ description: 'Interface name or index (default: all interfaces).', required: false }),
  };

  async run(): Promise<ArpPolicy> {
    const { args, flags } = await this.parse(ArpShow);
    const r = await showArpPolicy({ netns: flags.netns }, args.iface);
    if (!this.jsonEnabled()) for (const l of renderArpPolicy(r)) this.log(l);
    return r;
  }
}
