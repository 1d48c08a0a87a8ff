import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { UsageError } from '../../errors.js';
import { parseDuration, parseTargets, sctpTop } from '../../sctp/session.js';
import { requiredDevFlag, maxAssocFlag, attachFlag, detectFlags, detectOptions } from '../../sctp/cli-flags.js';

export default class SctpTop extends NodectlCommand {
  static override summary = 'A refreshing table of SCTP associations on the wire, flagged rows first.';

  static override description = `Attaches the wire tracer to each --dev and redraws the association table every
--interval: stalled, throttled and lossy associations on top, then by the sort key.
Keys: s cycles the sort (activity, data, retrans, rwnd, name), f (or space) freezes and
unfreezes the display (and its clock), j/k (or the arrow keys) select a row, p (or Enter)
shows or hides its paths under it (and, where the kernel has SCTP, what limits
each local sender), q quits and restores the screen (top draws on the
alternate screen). Lossy is judged over each association's life, as stats judges it. When stdout is not a terminal it prints one table per
interval (like top -b), for --iterations times or until Ctrl-C / SIGTERM.`;

  static override examples = [
    '<%= config.bin %> sctp top --dev eth1',
    { description: 'Three samples a second apart into a file', command: '<%= config.bin %> sctp top --dev eth1 --iterations 3 --interval 1s > top.txt' },
  ];

  static override flags = {
    dev: requiredDevFlag,
    interval: Flags.string({ summary: 'Refresh period.', default: '1s', helpValue: 'DURATION' }),
    iterations: Flags.integer({ summary: 'Stop after this many refreshes.', min: 1 }),
    ...detectFlags,
    'max-associations': maxAssocFlag,
    attach: attachFlag,
  };

  async run(): Promise<{ refreshes: number }> {
    const { flags } = await this.parse(SctpTop);
    const interval = parseDuration(flags.interval, '--interval');
    if (interval < 100) throw new UsageError('--interval must be at least 100ms');
    const tty = !this.jsonEnabled() && process.stdout.isTTY === true;
    return sctpTop({
      targets: parseTargets(flags.dev, flags.netns),
      intervalMs: interval,
      iterations: flags.iterations,
      detect: detectOptions(flags),
      tracer: { maxAssociations: flags['max-associations'], mode: flags.attach },
      tty,
      write: (s) => {
        if (!this.jsonEnabled()) process.stdout.write(s);
      },
    });
  }
}
