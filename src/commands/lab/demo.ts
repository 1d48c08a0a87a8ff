import { Flags } from '@oclif/core';
import { fileURLToPath } from 'node:url';
import { NodectlCommand } from '../../cli/base-command.js';
import { EXIT } from '../../cli/exit-codes.js';
import { StateError } from '../../errors.js';
import { DEMO_PREFIX, runDemo, type DemoResult } from '../../lab/demo.js';
import { demoOutput } from '../../lab/demo-output.js';
import { resolvePrefix } from '../../lab/plan.js';
import { requirePrivileges } from '../../lab/topology.js';

export default class LabDemo extends NodectlCommand {
  static override summary = 'A guided tour of nodectl in a lab of its own: hierarchy, config plan/apply, failover, SCTP tracing.';

  static override description = `Builds a lab (prefix "nctl-demo-", so a lab you keep under "nctl-lab-" is not touched), then shows, with the commands an operator would type and their real output:
1. the interface hierarchy (link tree);
2. a configuration change: validate (a typo caught at file:line:col), the plan, then an all-or-nothing apply;
3. the management-IP failover: the daemon runs in the node, eth0's switch port goes down, the address moves to eth1 (timeline), comes back after hold-down and preempt delay;
4. an SCTP association with generated traffic under the tracer: flowing, throttled by a zero receive window, then stalled (data outstanding, no progress);
5. lab down.

The lab is removed at the end also on failure, Ctrl-C or SIGTERM (exit 130). Output is plain text when stdout is not a terminal; --step-delay pauses between steps for people following along. Exit status 0 only if every step ran and succeeded.`;

  static override examples = [
    '<%= config.bin %> lab demo',
    { description: 'At a human pace, keeping the lab to explore afterwards', command: '<%= config.bin %> lab demo --step-delay 3000 --keep' },
    { description: 'In CI', command: '<%= config.bin %> lab demo --json > demo.json' },
  ];

  static override flags = {
    prefix: Flags.string({ summary: `Namespace name prefix (default "${DEMO_PREFIX}").` }),
    'step-delay': Flags.integer({ summary: 'Pause after each step, in ms (default 1500 on a terminal, 0 otherwise).', min: 0, max: 600_000 }),
    keep: Flags.boolean({ summary: 'Leave the lab up at the end (remove it with `nodectl lab down --prefix …`).' }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(LabDemo);
    const prefix = resolvePrefix(flags.prefix ?? DEMO_PREFIX);
    requirePrivileges('lab demo (it builds a lab of network namespaces and loads eBPF)');
    const tty = process.stdout.isTTY === true && !this.jsonEnabled();
    // Under --json the tour goes to stderr so stdout stays one JSON document.
    const out = demoOutput(this.jsonEnabled() ? process.stderr : process.stdout);
    const ac = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      process.stderr.write(`\n${sig}: stopping the demo and removing the lab…\n`);
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let r: DemoResult;
    try {
      r = await runDemo({
        prefix,
        stepDelayMs: flags['step-delay'] ?? (tty ? 1500 : 0),
        keep: flags.keep,
        out,
        cli: [process.execPath, fileURLToPath(new URL('../../../bin/run.js', import.meta.url))],
        hasCommand: (id) => this.config.findCommand(id) !== undefined,
        signal: ac.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (ac.signal.aborted) this.exit(130);
    if (!r.ok) {
      const bad = r.steps.filter((s) => s.status !== 'ok').map((s) => `${s.id}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`);
      if (this.jsonEnabled()) {
        process.exitCode = EXIT.STATE;
        return r;
      }
      throw new StateError(`the demo did not complete: ${bad.join('; ')}`);
    }
    return r;
  }
}
