import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { READ_ACTIONS } from '../../cli/fast-read.js';
import type { TreeNode } from '../../interfaces/tree.js';

export default class LinkTree extends NodectlCommand {
  static override summary = 'Show the interface hierarchy: ports under bridges and bonds, vlans and macvlans under their lower device.';

  static override description = `Every interface hangs under its master (bridge ports, bond slaves) or else under its lower device (vlan, macvlan); interfaces with neither are roots (physical devices, loopback, veths, bridges and bonds). A veth's other end is shown as "veth peer NAME", not as a parent.

--format text (default) draws the tree; json prints the same forest (roots with nested children; --json is the same as --format json); dot prints a Graphviz digraph whose edges run down the tree as the text draws it: from a master to its port (labelled "port"), from a lower device to the device built on it (labelled "lower": the edge starts at the lower device); veth pairs as dashed lines.`;

  static override examples = [
    '<%= config.bin %> link tree',
    { description: 'Render a diagram', command: '<%= config.bin %> link tree --format dot | dot -Tsvg > links.svg' },
    { description: 'The ports of br0', command: "<%= config.bin %> link tree --json | jq '.[] | select(.name==\"br0\") | .children[].name'" },
  ];

  static override flags = {
    format: Flags.string({ char: 'f', summary: 'Output format (default text).', options: ['text', 'json', 'dot'] }),
  };

  async run(): Promise<TreeNode[]> {
    const { args, flags } = await this.parse(LinkTree);
    return this.output(await READ_ACTIONS['link tree'](flags, args, this.jsonEnabled()));
  }
}
