import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { deleteRouteView, type RouteView } from '../../interfaces/routes.js';
import { routeFlags } from './add.js';
import { routeLine } from './list.js';

export default class RouteDel extends NodectlCommand {
  static override summary = 'Delete a route, like ip route del.';

  static override description = `Like "ip route del TO [via GW] [dev IFACE] [metric N] [table N]": the options given narrow which route is meant; the first match is deleted and printed. No match is an error (exit status 4).`;

  static override examples = [
    '<%= config.bin %> route del 10.99.0.0/16',
    '<%= config.bin %> route del default --via 192.0.2.1 --dev eth0',
  ];

  static override args = {
    to: Args.string({ description: '"default" or ADDRESS/PREFIX', required: true }),
  };

  static override flags = routeFlags;

  async run(): Promise<{ deleted: RouteView }> {
    const { args, flags } = await this.parse(RouteDel);
    const family = flags.family === 'inet' ? 4 : flags.family === 'inet6' ? 6 : undefined;
    const r = await deleteRouteView({ netns: flags.netns }, { to: args.to, via: flags.via, dev: flags.dev, metric: flags.metric, table: flags.table }, family);
    if (!this.jsonEnabled()) this.log(`deleted: ${routeLine(r.deleted)}`);
    return r;
  }
}
