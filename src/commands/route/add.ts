import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { addRouteView, type RouteView } from '../../interfaces/routes.js';
import { routeLine } from './list.js';

export const routeFlags = {
  via: Flags.string({ summary: 'Gateway address (ip route … via GW).' }),
  dev: Flags.string({ char: 'd', summary: 'Output interface (ip route … dev IFACE).' }),
  metric: Flags.integer({ summary: 'Route metric (priority); lower wins.', min: 0, max: 4294967295 }),
  table: Flags.integer({ summary: 'Routing table number (default 254, main).', min: 1, max: 4294967295 }),
  family: Flags.string({ char: 'f', summary: 'Address family of "default" without --via (inet or inet6).', options: ['inet', 'inet6'] }),
};

export default class RouteAdd extends NodectlCommand {
  static override summary = 'Add a route, like ip route add.';

  static override description = `Like "ip route add TO [via GW] [dev IFACE] [metric N] [table N]": TO is "default" or ADDRESS/PREFIX (a bare address is a host route; host bits set are an error, not silently cleared). The route is installed with protocol static; one that is already there is an error (EEXIST). The route as the kernel keeps it is read back and printed.`;

  static override examples = [
    '<%= config.bin %> route add 10.99.0.0/16 --via 192.0.2.1',
    '<%= config.bin %> route add default --via 2001:db8::1 --dev eth0 --metric 100',
    { description: 'On-link, in a namespace', command: '<%= config.bin %> route add 198.51.100.0/24 --dev br0 -n lab' },
  ];

  static override args = {
    to: Args.string({ description: '"default" or ADDRESS/PREFIX', required: true }),
  };

  static override flags = routeFlags;

  async run(): Promise<RouteView> {
    const { args, flags } = await this.parse(RouteAdd);
    const family = flags.family === 'inet' ? 4 : flags.family === 'inet6' ? 6 : undefined;
    const r = await addRouteView({ netns: flags.netns }, { to: args.to, via: flags.via, dev: flags.dev, metric: flags.metric, table: flags.table }, family);
    if (!this.jsonEnabled()) this.log(`added: ${routeLine(r)}`);
    return r;
  }
}
