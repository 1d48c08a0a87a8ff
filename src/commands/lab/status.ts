import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { resolvePrefix } from '../../lab/plan.js';
import { labStatus, type LabStatusResult } from '../../lab/topology.js';

export default class LabStatus extends NodectlCommand {
  static override summary = 'Show what exists of the lab: namespaces, links, masters, addresses.';

  static override description = `Reads the lab's namespaces from the kernel and compares them with the topology \`lab up\` builds. state is "up" when everything is there, "partial" when something is missing (listed), "down" when no namespace exists. Exits 0 in every case; use --json for scripts.`;

  static override examples = [
    '<%= config.bin %> lab status',
    { description: 'For scripts', command: '<%= config.bin %> lab status --json | jq .state' },
  ];

  static override flags = {
    prefix: Flags.string({ summary: 'Namespace name prefix (default: $NODECTL_LAB_PREFIX or "nctl-lab-").' }),
  };

  async run(): Promise<LabStatusResult> {
    const { flags } = await this.parse(LabStatus);
    const r = await labStatus({ prefix: resolvePrefix(flags.prefix) });
    if (!this.jsonEnabled()) {
      this.log(`lab ${r.prefix}: ${r.state}`);
      for (const ns of r.namespaces) {
        this.log(`${ns.name} (${ns.role})${ns.present ? '' : ': absent'}`);
        for (const l of ns.links) {
          const master = l.master ? ` master ${l.master}` : '';
          const addrs = l.addresses.length ? `  ${l.addresses.join(' ')}` : '';
          this.log(`  ${l.name.padEnd(10)} ${l.kind.padEnd(8)} ${l.admin}/${l.oper}${master}${addrs}`);
        }
      }
      for (const k of r.kinds.filter((x) => !x.available)) this.log(`note: ${k.kind} left out: ${k.why}`);
      if (r.missing.length && r.state !== 'down') this.log(`missing: ${r.missing.join(', ')}`);
      if (r.configFile) this.log(`config file: ${r.configFile}`);
    }
    return r;
  }
}
