import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { renderEvent } from '../../sctp/render.js';
import { parseDuration, parseTargets, sctpTrace, type TraceSummary } from '../../sctp/session.js';
import { attachedText } from '../../sctp/tracer.js';
import { requiredDevFlag, maxAssocFlag, attachFlag, detectFlags, detectOptions } from '../../sctp/cli-flags.js';
import type { WireEvent } from '../../sctp/model.js';
import { count } from '../../text.js';

export default class SctpTrace extends NodectlCommand {
  static override summary = 'Stream SCTP association events seen on the wire: up, down, abort, zero window, retransmission bursts, stalls, loss, malformed chunks, vanished associations.';

  static override description = `Attaches the wire tracer to tc ingress and egress of each --dev (tcx links where the
kernel has them: they vanish with the process, even on a crash; otherwise clsact filters,
removed on exit; --attach chooses) and prints one line per event until Ctrl-C, SIGTERM or --duration:

  init        an INIT: a new association (or incarnation) starts
  up          COOKIE ACK: established, with the INIT → COOKIE ACK set-up time
  down        SHUTDOWN COMPLETE
  abort       ABORT, with its error cause (e.g. user-initiated abort, protocol violation)
  restart     a new INIT replaced an established association
  zero-win    an endpoint advertises a_rwnd 0: its peer is throttled
  window      the window opened again, with how long it was zero
  retrans-burst  --burst retransmissions within a second
  stall       an endpoint's DATA made no cumulative TSN progress for --stall-after, with the
              TSNs outstanding (heartbeats answered or not)
  stall-end   it moves again, or the association ended while stalled; how long it lasted
  lossy       retransmissions reached --lossy percent of the DATA sent (at least 20 chunks)
  malformed   malformed chunks since the last look, and how many in all
  gone        no packet for --expire-after without SHUTDOWN or ABORT: the association is closed
  path-down   a path of a multi-homed association: --path-fail-after heartbeats unanswered
  path-up     a failed path answers again
  path-sw     the association's DATA moved to another path, and why it looks that way
  impaired    a live association has a failed path (which, and over how many it carries on)
  impaired-end no path failed any more, or the association ended; how long it
              lasted

The last ten come from looking at the association table (every quarter of --stall-after,
between 100 ms and 1 s): they are stamped when seen, their durations from the record.

With --json, one JSON object per line (NDJSON). At the end, a summary table of the
associations seen goes to stderr (or is the last JSON line with "summary": true).
While it runs, nodectl sctp stats in another shell reads the same association table.`;

  static override examples = [
    '<%= config.bin %> sctp trace --dev eth1',
    { description: 'Two interfaces, one minute, machine-readable', command: '<%= config.bin %> sctp trace --dev eth1,eth2 --duration 1m --json' },
    { description: 'An interface in a namespace', command: '<%= config.bin %> sctp trace --dev veth0@blue' },
  ];

  static override flags = {
    dev: requiredDevFlag,
    duration: Flags.string({ summary: 'Stop after this long (default: until Ctrl-C).', helpValue: 'DURATION' }),
    burst: Flags.integer({ summary: 'Retransmissions within one second that make a burst event.', default: 8, min: 1 }),
    ...detectFlags,
    'max-associations': maxAssocFlag,
    attach: attachFlag,
  };

  protected override logJson(json: unknown): void {
    // events were streamed as NDJSON; only errors and the summary remain
    if (json !== undefined) process.stdout.write(JSON.stringify(json) + '\n');
  }

  async run(): Promise<TraceSummary & { summary: true }> {
    const { flags } = await this.parse(SctpTrace);
    const json = this.jsonEnabled();
    const started = Date.now();
    const bootOffset = Date.now() - Number(process.hrtime.bigint()) / 1e6;
    const r = await sctpTrace({
      targets: parseTargets(flags.dev, flags.netns),
      durationMs: flags.duration ? parseDuration(flags.duration, '--duration') : undefined,
      detect: detectOptions(flags),
      tracer: { burstThreshold: flags.burst, maxAssociations: flags['max-associations'], mode: flags.attach },
      onAttached: (ts, engine) => process.stderr.write(`nodectl: tracing SCTP on ${ts.map(attachedText).join(', ')}; wire tracer: ${engine} — Ctrl-C to stop\n`),
      onEvent: (e: WireEvent, ifname) => {
        const wall = new Date(bootOffset + e.tsNs / 1e6);
        if (json) process.stdout.write(JSON.stringify({ time: wall.toISOString(), ...e }) + '\n');
        else process.stdout.write(renderEvent(e, wall, ifname) + '\n');
      },
    });
    if (!json) {
      process.stderr.write(`nodectl: ${count(r.events, 'event')} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${count(r.associations.length, 'association')} seen (nodectl sctp stats shows them while a session runs)\n`);
      for (const a of r.associations) for (const f of a.health.findings) process.stderr.write(`  ${a.id}: ${f.detail}\n`);
    }
    return { ...r, summary: true };
  }
}
