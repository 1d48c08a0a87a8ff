import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { resolvePrefix } from '../../lab/plan.js';
import { labUp, type LabUpResult } from '../../lab/topology.js';

export default class LabUp extends NodectlCommand {
  static override summary = 'Build the sandboxed appliance: node, switch and SCTP peer network namespaces.';

  static override description = `Creates three network namespaces on this kernel, named PREFIX + node, switch and sctp-peer (default prefix "nctl-lab-"). The node gets four "physical" NICs eth0..eth3 (veth) cabled to ports swp0..swp3 of two bridges in the switch namespace: br-mgmt (gateway 192.0.2.1/24, 2001:db8:0:1::1/64) and br-data (gateway 198.51.100.1/24, 2001:db8:0:2::1/64). The SCTP peer (198.51.100.20) sits on br-data. The node's logical interfaces come from a config file written to the lab's state directory (/run/nodectl/lab/PREFIX/node.yaml); the management address 192.0.2.10/24 starts on eth0. Logical kinds this kernel lacks (vlan, bond, dummy) are left out with a note. Nothing outside the lab's namespaces is touched; \`nodectl lab down\` removes all.`;

  static override examples = [
    { description: 'Build the lab, then look inside the node', command: '<%= config.bin %> lab up && <%= config.bin %> link tree -n nctl-lab-node' },
    { description: 'A second, independent lab (e.g. for tests)', command: '<%= config.bin %> lab up --prefix nctl-t1-' },
    { description: 'Start over', command: '<%= config.bin %> lab up --recreate' },
  ];

  static override flags = {
    prefix: Flags.string({ summary: 'Namespace name prefix (default: $NODECTL_LAB_PREFIX or "nctl-lab-").' }),
    recreate: Flags.boolean({ summary: 'Remove an existing lab of this prefix first instead of refusing.' }),
  };

  async run(): Promise<LabUpResult> {
    const { flags } = await this.parse(LabUp);
    const prefix = resolvePrefix(flags.prefix);
    const quiet = this.jsonEnabled();
    const r = await labUp({ prefix, recreate: flags.recreate, progress: quiet ? undefined : (l) => this.log(`  ${l}`) });
    if (!quiet) {
      this.log('');
      this.log(`node namespace:  ${r.namespaces.node}     (nodectl link tree -n ${r.namespaces.node})`);
      this.log(`switch:          ${r.namespaces.switch}   (carrier loss: ip -n ${r.namespaces.switch} link set swp0 down)`);
      this.log(`SCTP peer:       ${r.namespaces.sctpPeer}`);
      this.log(`config file:     ${r.configFile}`);
    }
    return r;
  }
}
