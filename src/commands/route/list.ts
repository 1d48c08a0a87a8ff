import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { listRouteViews, type RouteView } from '../../interfaces/routes.js';

export function routeLine(r: RouteView): string {
  return [r.dst, r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : '', `proto ${r.protocol}`, r.scope !== 'global' ? `scope ${r.scope}` : '', r.metric ? `metric ${r.metric}` : '', r.type !== 'unicast' ? r.type : '']
    .filter(Boolean).join(' ');
}

export default class RouteList extends NodectlCommand {
  static override summary = 'List the routes of a table (the main one by default), like ip route show.';

  static override description = `Destination ("default" or ADDRESS/PREFIX), gateway, output device, protocol (kernel, static, boot, dhcp, ra, …), scope, metric and type; IPv4 and IPv6 unless --family says one.`;

  static override examples = [
    '<%= config.bin %> route list',
    '<%= config.bin %> route list --family inet6 --dev eth0',
    { description: 'The default routes as JSON', command: "<%= config.bin %> route list --json | jq '.[] | select(.dst==\"default\")'" },
  ];

  static override flags = {
    family: Flags.string({ char: 'f', summary: 'Only this address family (inet = IPv4, inet6 = IPv6), like ip -f.', options: ['inet', 'inet6'] }),
    dev: Flags.string({ char: 'd', summary: 'Only routes through this interface (name or ifindex).' }),
    table: Flags.integer({ summary: 'Routing table number (default 254, main).', min: 1 }),
  };

  async run(): Promise<RouteView[]> {
    const { flags } = await this.parse(RouteList);
    const family = flags.family === 'inet' ? 4 : flags.family === 'inet6' ? 6 : undefined;
    const out = await listRouteViews({ netns: flags.netns }, { family, table: flags.table, dev: flags.dev });
    if (!this.jsonEnabled()) for (const r of out) this.log(routeLine(r));
    return out;
  }
}
