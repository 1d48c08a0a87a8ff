import { Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { count } from '../../text.js';
import { renderKernel, renderTable } from '../../sctp/render.js';
import { parseDuration, parseTargets, sctpStats, type StatsResult } from '../../sctp/session.js';
import { attachedText } from '../../sctp/tracer.js';
import { devFlag, maxAssocFlag, attachFlag, detectFlags, detectOptions } from '../../sctp/cli-flags.js';

export default class SctpStats extends NodectlCommand {
  static override summary = 'One snapshot of the SCTP associations seen on the wire, with stalled/throttled/lossy flags.';

  static override description = `Without --dev, reads the association tables of the tracing sessions already running on
this host (nodectl sctp trace / top / serve publish theirs): an association several sessions
trace is one row (the record of the session that saw the most of it), and -n NETNS keeps only
the interfaces in that namespace. With --dev, attaches the wire
tracer to those interfaces for --duration, then prints what it saw and detaches.

The wire tracer is a tc program (ingress and egress) that parses every SCTP packet — Ethernet
with up to two VLAN tags, IPv4 options, IPv6 extension headers, every chunk — so it needs no
SCTP in the kernel. Both directions of an association are one row: "→" is what the lower
endpoint (address, port) sent, "←" what the higher one sent.

Flags per association:
  stalled     DATA outstanding and no cumulative TSN progress for --stall-after, even if
              heartbeats are answered (the peer is alive but moves no data)
  throttled   the receiver advertises a_rwnd 0 (flow control: it is not reading)
  lossy       retransmitted DATA at or above --lossy percent of the DATA sent
  malformed   chunks that could not be parsed (length < 4, beyond the packet, …)

RWND shows last/min a_rwnd advertised by each endpoint; RTT is the heartbeat round trip seen
at the tap. --json gives every counter per direction.

Where the kernel has SCTP (modprobe sctp), the kernel-side tracer runs too (--no-kernel to
skip; --kernel alone to run only it): cwnd, ssthresh, flight size, srtt, RTO and state of each
path, the peer's rwnd and unacknowledged data as the kernel's SCTP stack has them, and
retransmissions by reason (T3 timeout, fast, PMTU, T1); what limited each sender ("limited
by: rwnd 62 %, cwnd 3 %, sndbuf 30 %, app 5 %") and the errors sendmsg/recvmsg returned to the
application (EAGAIN, EPIPE, ECONNRESET, …). It prints which probes are active (tp_btf or
classic tracepoint, fentry or kprobe) and why the others are not.`;

  static override examples = [
    '<%= config.bin %> sctp stats',
    { description: 'Watch eth1 for 5 seconds', command: '<%= config.bin %> sctp stats --dev eth1 --duration 5s' },
    { description: 'An interface inside a namespace, for scripts', command: '<%= config.bin %> sctp stats -n blue --dev veth0 --json | jq \'.associations[] | select(.health.conditions | index("stalled"))\'' },
  ];

  static override flags = {
    dev: devFlag,
    duration: Flags.string({ summary: 'With --dev: how long to watch before printing.', default: '2s', helpValue: 'DURATION' }),
    ...detectFlags,
    kernel: Flags.boolean({ summary: 'Also run the kernel-side tracer (sctp_probe/sctp_probe_path tracepoints, retransmission probes) when the kernel has SCTP; alone without --dev.', allowNo: true }),
    'max-associations': maxAssocFlag,
    attach: attachFlag,
  };

  async run(): Promise<StatsResult> {
    const { flags } = await this.parse(SctpStats);
    const r = await sctpStats({
      targets: flags.dev ? parseTargets(flags.dev, flags.netns) : undefined,
      netns: flags.dev ? undefined : flags.netns,
      kernel: flags.kernel,
      durationMs: parseDuration(flags.duration, '--duration'),
      detect: detectOptions(flags),
      tracer: { maxAssociations: flags['max-associations'], mode: flags.attach },
    });
    if (!this.jsonEnabled()) {
      if (r.kernel) this.log(renderKernel(r.kernel));
      if (r.source === 'sessions' && r.tracers.length === 0) {
        this.log('no SCTP tracing session is running: use --dev IFACE to watch an interface, or start nodectl sctp trace/top/serve');
      } else if (r.tracers.length) {
        this.log(renderTable(r.associations.map((a) => ({ assoc: a, health: a.health }))));
        const g = r.globals;
        this.log(`\ntracer: ${r.tracers.map(attachedText).join(', ')}; ${count(g.sctpPackets ?? 0, 'SCTP packet')}, ${count(g.chunks ?? 0, 'chunk')}, ${g.malformedChunks ?? 0} malformed, ${count(g.fragments ?? 0, 'fragment')} skipped, ${count(g.eventsLost ?? 0, 'event')} lost`);
      }
    }
    return r;
  }
}
