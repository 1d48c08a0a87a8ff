import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { type FlushResult, flushNeighbours } from '../../arp/neigh.js';

export default class NeighFlush extends NodectlCommand {
  static override summary = 'Flush the neighbour entries of an interface.';

  static override description = `Like "ip neigh flush dev IFACE": deletes the interface's entries and lists what went. As with iproute2, PERMANENT and NOARP entries stay unless --state names them (they were put there on purpose); --state selects exactly which states go (repeatable), --family limits to IPv4 (inet) or IPv6 (inet6).`;

  static override examples = [
    '<%= config.bin %> neigh flush eth0',
    { description: 'Only failed IPv4 entries', command: '<%= config.bin %> neigh flush eth0 --family inet --state failed' },
    { description: 'Everything, static entries included', command: '<%= config.bin %> neigh flush eth0 --state permanent --state noarp --state reachable --state stale --state delay --state probe --state failed --state incomplete' },
  ];

  static override args = {
    iface: Args.string({ description: 'Interface name or ifindex.', required: true }),
  };

  static override flags = {
    family: Flags.option({ char: 'f', summary: 'Only this family (inet = IPv4, inet6 = IPv6).', options: ['inet', 'inet6'] as const })(),
    state: Flags.string({ summary: 'Flush entries in this NUD state (repeatable; default: all but permanent and noarp).', multiple: true, options: ['permanent', 'noarp', 'reachable', 'stale', 'delay', 'probe', 'failed', 'incomplete'] }),
  };

  async run(): Promise<FlushResult> {
    const { args, flags } = await this.parse(NeighFlush);
    const r = await flushNeighbours({ netns: flags.netns }, args.iface, {
      family: flags.family === 'inet' ? 4 : flags.family === 'inet6' ? 6 : undefined, states: flags.state,
    });
    if (!this.jsonEnabled()) {
      for (const n of r.flushed) this.log(`flushed ${n.address} ${n.lladdr ?? '-'} ${n.state}`);
      this.log(`${r.flushed.length} entr${r.flushed.length === 1 ? 'y' : 'ies'} flushed from ${r.ifname}${r.kept ? `, ${r.kept} kept (permanent/noarp or not selected)` : ''}`);
    }
    return r;
  }
}
