import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { arpProbe, PROBE_DEFAULTS, type ArpProbeResult } from '../../arp/probe.js';
import { TimeoutError } from '../../errors.js';

export default class ArpProbe extends NodectlCommand {
  static override summary = 'Ask who-has TARGET out of one interface and report the validated reply (MAC, RTT).';

  static override description = `Sends an ARP request for TARGET through a packet socket bound to IFACE (not via the routing table), up to --count times, waiting --timeout ms for each. Only a reply that answers the request counts, as bonding's arp_validate does: an ARP reply unicast to IFACE's MAC, whose sender IP is TARGET and whose target IP and MAC are ours. Gratuitous ARP for TARGET, or replies addressed to another host, are ignored (counted as "ignored" in --json), so a broadcast from elsewhere cannot fake health. This is the health check the management failover uses.

The request's sender IP is IFACE's address in TARGET's subnet (else its first IPv4 address, else 0.0.0.0, an RFC 5227 probe); --source overrides it.

Exit status: 0 with a reply; 1 with "no reply from TARGET on IFACE after N tries".`;

  static override examples = [
    '<%= config.bin %> arp probe eth0 192.0.2.1',
    { description: 'Quick check for scripts', command: '<%= config.bin %> arp probe eth0 192.0.2.1 --count 1 --timeout 200 --json' },
    { description: 'From a namespace', command: '<%= config.bin %> arp probe -n blue veth0 10.0.0.1' },
  ];

  static override args = {
    iface: Args.string({ description: 'Interface to ask through.', required: true }),
    target: Args.string({ description: 'IPv4 address to ask for.', required: true }),
  };

  static override flags = {
    timeout: Flags.integer({ char: 't', summary: 'Milliseconds to wait for the reply to each request.', default: PROBE_DEFAULTS.timeoutMs, min: 1 }),
    count: Flags.integer({ char: 'c', summary: 'Requests to send before giving up.', default: PROBE_DEFAULTS.count, min: 1, max: 10000 }),
    source: Flags.string({ char: 's', summary: 'Sender IP of the request (default: IFACE\'s address in TARGET\'s subnet).' }),
  };

  async run(): Promise<ArpProbeResult> {
    const { args, flags } = await this.parse(ArpProbe);
    const r = await arpProbe({
      netns: flags.netns, ifname: args.iface, target: args.target, timeoutMs: flags.timeout, count: flags.count, source: flags.source,
    });
    if (!r.reply) throw new TimeoutError(`no reply from ${r.target} on ${r.ifname} after ${r.tries} ${r.tries === 1 ? 'try' : 'tries'}`);
    if (!this.jsonEnabled()) {
      this.log(`reply from ${r.target} [${r.reply.mac}] on ${r.ifname}: ${r.reply.rttMs.toFixed(3)} ms (try ${r.reply.try} of ${flags.count}, source ${r.source})`);
    }
    return r;
  }
}
