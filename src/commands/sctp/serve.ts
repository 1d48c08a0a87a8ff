import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { count } from '../../text.js';
import { parseTargets, sctpServe } from '../../sctp/session.js';
import { targetText } from '../../sctp/tracer.js';
import { requiredDevFlag, maxAssocFlag, attachFlag, detectFlags, detectOptions } from '../../sctp/cli-flags.js';

export default class SctpServe extends NodectlCommand {
  static override summary = 'Serve SCTP association metrics in the Prometheus text format.';

  static override description = `Attaches the wire tracer to each --dev and answers GET /metrics with one series per
association and direction (packets, bytes, DATA chunks and bytes, retransmissions, spurious
retransmissions, SACKs, gap blocks, duplicate TSNs, zero-window SACKs, heartbeats, a_rwnd,
heartbeat RTT, seconds since progress) plus 0/1 gauges nodectl_sctp_stalled, _throttled and
_lossy. Where the kernel has SCTP, the kernel tracer adds per kernel association
nodectl_sctp_limited_seconds_total{by=rwnd|cwnd|sndbuf|app} and
nodectl_sctp_send_errors_total / _recv_errors_total{errno}. Loss is judged between two scrapes. Listens on loopback unless told otherwise: the
metrics name your peers' addresses. Runs until Ctrl-C or SIGTERM; tracing detaches on exit.`;

  static override examples = [
    '<%= config.bin %> sctp serve --dev eth1',
    { description: 'Another port, two interfaces', command: '<%= config.bin %> sctp serve --dev eth1,eth2 --metrics 127.0.0.1:9500' },
  ];

  static override flags = {
    dev: requiredDevFlag,
    metrics: Flags.string({ summary: 'ADDRESS:PORT to listen on.', default: '127.0.0.1:9464', helpValue: 'ADDR:PORT' }),
    ...detectFlags,
    'max-associations': maxAssocFlag,
    attach: attachFlag,
  };

  async run(): Promise<{ scrapes: number }> {
    const { flags } = await this.parse(SctpServe);
    const r = await sctpServe({
      targets: parseTargets(flags.dev, flags.netns),
      listen: flags.metrics,
      detect: detectOptions(flags),
      tracer: { maxAssociations: flags['max-associations'], mode: flags.attach },
      onListening: (url, ts) => process.stderr.write(`nodectl: serving SCTP metrics at ${url} for ${ts.map(targetText).join(', ')} — Ctrl-C to stop\n`),
    });
    if (!this.jsonEnabled()) this.log(`served ${count(r.scrapes, 'scrape')}`);
    return r;
  }
}
