import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import type { NeighView } from '../../interfaces/model.js';
import { READ_ACTIONS } from '../../cli/fast-read.js';
import { NUD_FILTERS } from '../../interfaces/read.js';

export default class NeighList extends NodectlCommand {
  static override summary = 'List the neighbour table (ARP and NDP entries), optionally of one interface.';

  static override description = `Like \`ip neigh show\`: address, interface, link-layer address, flags (router, proxy, extern_learn, …) and NUD state (REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, NOARP, PERMANENT).

As with ip, NOARP entries (the kernel's own multicast and broadcast mappings) are left out unless --nud asks for them; --nud STATE (repeatable or comma-separated) lists only entries in those states, --nud all every entry.`;

  static override examples = [
    '<%= config.bin %> neigh list',
    '<%= config.bin %> neigh list --dev eth0 --family inet',
    { description: 'Every entry, the kernel\'s NOARP ones included', command: '<%= config.bin %> neigh list --nud all' },
    { description: 'Stale entries as JSON', command: "<%= config.bin %> neigh list --json | jq '.[] | select(.state==\"STALE\")'" },
  ];

  static override flags = {
    dev: Flags.string({ char: 'd', summary: 'Only entries of this interface (name or ifindex).' }),
    family: Flags.string({ char: 'f', summary: 'Only this address family (inet = IPv4, inet6 = IPv6), like ip -f.', options: ['inet', 'inet6'] }),
    nud: Flags.string({ summary: 'Only entries in this NUD state (repeatable; default: all but noarp, like ip neigh).', multiple: true, delimiter: ',', options: [...NUD_FILTERS] }),
  };

  async run(): Promise<NeighView[]> {
    const { args, flags } = await this.parse(NeighList);
    return this.output(await READ_ACTIONS['neigh list'](flags, args, this.jsonEnabled()));
  }
}
