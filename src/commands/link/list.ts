import { NodectlCommand } from '../../cli/base-command.js';
import type { LinkJson } from '../../interfaces/link-json.js';
import { READ_ACTIONS } from '../../cli/fast-read.js';

export default class LinkList extends NodectlCommand {
  static override summary = 'List network interfaces with kind, state, MTU, MAC, master and lower device.';

  static override description = `Like \`ip -d link show\`, one interface per line: index, name, state (DOWN when administratively down, NO-CARRIER when up without carrier, else the operational state), MTU, MAC, master (bridge/bond), lower device (vlan/macvlan) and the kind-specific summary (vlan id and protocol, bond mode and active slave, bridge STP, macvlan mode, veth peer, bridge-port state).

--json prints every field of every link as an array, by the keys and nesting of \`ip -j -d -s -s link show\` (ifindex, ifname, operstate, linkinfo.info_data, linkinfo.info_slave_data, stats64 …) plus nodectl's own (kind, admin, carrier, parent, peer, ports); docs/netlink.md lists where values differ from ip's.`;

  static override examples = [
    '<%= config.bin %> link list',
    { description: 'Inside a network namespace (like ip -n)', command: '<%= config.bin %> link list --netns blue' },
    { description: 'Names of all bridge ports', command: "<%= config.bin %> link list --json | jq -r '.[] | select(.linkinfo.info_slave_kind==\"bridge\") | .ifname'" },
  ];

  async run(): Promise<LinkJson[]> {
    const { args, flags } = await this.parse(LinkList);
    return this.output(await READ_ACTIONS['link list'](flags, args, this.jsonEnabled()));
  }
}
