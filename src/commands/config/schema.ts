import { NodectlCommand } from '../../cli/base-command.js';
import { configJsonSchema } from '../../config/schema.js';

export default class ConfigSchema extends NodectlCommand {
  static override summary = 'Print the JSON Schema of the config file (for editors).';

  static override description = `The schema the config file is checked against, as JSON Schema (draft 2020-12). Point your editor at it for completion and inline errors, e.g. with the YAML language server: a first line "# yaml-language-server: $schema=/etc/nodectl/config.schema.json". Every object is closed: a key the schema does not list is an error.`;

  static override examples = [
    '<%= config.bin %> config schema > /etc/nodectl/config.schema.json',
    { description: 'The keys an interface may have', command: '<%= config.bin %> config schema | jq \'.properties.interfaces.items.anyOf[].title\'' },
  ];

  async run(): Promise<Record<string, unknown>> {
    await this.parse(ConfigSchema);
    const s = configJsonSchema();
    // the schema IS the output: printed the same with or without --json
    if (!this.jsonEnabled()) this.log(JSON.stringify(s, null, 2));
    return s;
  }
}
