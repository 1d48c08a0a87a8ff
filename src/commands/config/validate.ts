import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { readConfig } from '../../config/read.js';
import { count } from '../../text.js';

export interface ValidateResult {
  file: string;
  valid: true;
  interfaces: number;
}

export default class ConfigValidate extends NodectlCommand {
  static override summary = 'Check a config file: every problem, with file:line:col, JSON path and reason.';

  static override description = `Reads a YAML or JSON config file and reports EVERY problem, not just the first, one per line as FILE:LINE:COLUMN: /json/path: reason — the form editors and CI annotate. Checked: syntax, the schema (unknown keys, types, ranges), and meaning: unknown lower devices, masters and ports, dependency cycles, duplicate names, vlan ids, invalid or duplicate addresses, an interface that is a port of two masters (a bond port that is also a bridge port), label and nodad rules, MTU too small for IPv6; and what the kernel or "mgmt run" would refuse: MTUs out of range or above a lower device's or a port's, a bridge in a bridge and other loops, a macvlan on lo or on a bridge port, labels/aliases too long in bytes or with NUL, unspecified, multicast, loopback and /0 addresses, zones, unknown YAML tags, invalid UTF-8, the mgmt: section by the rules of "mgmt run". FILE is a regular file or - (standard input). The kernel is not consulted (see "config plan" for that).

Exit status: 0 valid, 3 invalid (--json: {"error":{"code":"CONFIG_INVALID","problems":[…]}}).`;

  static override examples = [
    '<%= config.bin %> config validate /etc/nodectl/node.yaml',
    { description: 'In CI, as JSON', command: '<%= config.bin %> config validate node.yaml --json | jq \'.error.problems[] | "\\(.line):\\(.column) \\(.reason)"\'' },
  ];

  static override args = {
    file: Args.string({ description: 'config file (YAML or JSON)', required: true }),
  };

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(ConfigValidate);
    const config = await readConfig(args.file);
    if (!this.jsonEnabled()) this.log(`${args.file}: valid (${count(config.interfaces.length, 'interface')})`);
    return { file: args.file, valid: true, interfaces: config.interfaces.length };
  }
}
