import { Flags } from '@oclif/core';
import { writeFile } from 'node:fs/promises';
import { NodectlCommand } from '../../cli/base-command.js';
import { exportConfig, type ExportResult } from '../../config/export.js';
import { stateDirFlag } from '../../cli/config-flags.js';

export default class ConfigExport extends NodectlCommand {
  static override summary = 'Write the current interfaces as a config file that re-applies as a no-op.';

  static override description = `Reads the kernel and prints a config file (YAML; --json: the same as JSON) that describes every interface except loopback: logical ones by kind with their options, others as "kind: device"; MTU, state, master, alias, addresses (not the kernel's own IPv6 link-local ones) and ARP settings that are not 0. "config plan" on the result prints no changes. With --mgmt FILE, the mgmt: section of FILE is copied in and its addresses are left out of the candidates: the failover daemon moves them, and a static copy on the current holder would move them back on the next apply.`;

  static override examples = [
    '<%= config.bin %> config export > /etc/nodectl/node.yaml',
    { description: 'A namespace, to a file', command: '<%= config.bin %> config export -n lab --output lab.yaml' },
    { description: 'With management-IP failover: the mgmt addresses go under mgmt:, not under today\'s holder', command: '<%= config.bin %> config export --mgmt /etc/nodectl/node.yaml' },
  ];

  static override flags = {
    'state-dir': stateDirFlag,
    output: Flags.string({ char: 'o', summary: 'Write to this file instead of standard output.' }),
    mgmt: Flags.string({ summary: 'Copy the mgmt: section of this file (the one "nodectl mgmt run" uses); its addresses are written there, not under the interface holding them now.' }),
  };

  async run(): Promise<ExportResult['config']> {
    const { flags } = await this.parse(ConfigExport);
    const r = await exportConfig({ netns: flags.netns, stateDir: flags['state-dir'], mgmtFile: flags.mgmt });
    if (flags.output) await writeFile(flags.output, this.jsonEnabled() ? JSON.stringify(r.config, null, 2) + '\n' : r.text);
    else if (!this.jsonEnabled()) process.stdout.write(r.text);
    return r.config;
  }
}
