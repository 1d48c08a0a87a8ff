import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { runScenario, SCENARIOS, type ScenarioName, type ScenarioResult } from '../../sctp/generator.js';

// multihomed needs a second interface and address on each side, which no flag gives yet (the tests play it)
const CLI_SCENARIOS = SCENARIOS.filter((s) => s !== 'multihomed');
import { parseDuration } from '../../sctp/session.js';

export default class SctpGenerate extends NodectlCommand {
  static override hidden = true;
  static override summary = 'Play a crafted SCTP association over packet sockets (test traffic for kernels without SCTP).';

  static override description = `Sends both endpoints' packets of one scenario: A from --dev (in --netns), B from
--peer-dev (in --peer-netns), so B's packets really arrive on A's interface. Checksums are
correct CRC32c. Scenarios: ${CLI_SCENARIOS.join(', ')}.`;

  static override examples = [
    '<%= config.bin %> sctp generate -n ns1 --dev va --peer-netns ns2 --peer-dev vb --src 10.0.0.1 --dst 10.0.0.2 --scenario zero-window --hold 5s',
  ];

  static override flags = {
    dev: Flags.string({ char: 'd', required: true, summary: 'Interface of endpoint A.' }),
    'peer-dev': Flags.string({ summary: 'Interface of endpoint B (default: --dev).' }),
    'peer-netns': Flags.string({ summary: 'Namespace of --peer-dev (default: --netns).' }),
    src: Flags.string({ required: true, summary: 'Address of A.' }),
    dst: Flags.string({ required: true, summary: 'Address of B.' }),
    sport: Flags.integer({ default: 5000, min: 1, max: 65535, summary: 'Port of A.' }),
    dport: Flags.integer({ default: 5000, min: 1, max: 65535, summary: 'Port of B.' }),
    scenario: Flags.string({ options: CLI_SCENARIOS, default: 'normal', summary: 'What to play.' }),
    messages: Flags.integer({ default: 20, min: 1, summary: 'DATA chunks in the data phase.' }),
    hold: Flags.string({ default: '3s', summary: 'Length of the zero-window / stall phase.' }),
  };

  async run(): Promise<ScenarioResult> {
    const { flags } = await this.parse(SctpGenerate);
    const r = await runScenario({
      a: { netns: flags.netns, ifname: flags.dev, ip: flags.src, port: flags.sport },
      b: { netns: flags['peer-netns'] ?? flags.netns, ifname: flags['peer-dev'] ?? flags.dev, ip: flags.dst, port: flags.dport },
      onStep: (s) => { if (!this.jsonEnabled()) this.log(`${s.from === 'a' ? 'A → B' : 'B → A'}  ${s.note}`); },
    }, flags.scenario as ScenarioName, { messages: flags.messages, holdMs: parseDuration(flags.hold, '--hold') });
    return r;
  }
}
