import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { announce, ANNOUNCE_DEFAULTS, type AnnounceResult } from '../../arp/announce.js';

export default class ArpAnnounce extends NodectlCommand {
  static override summary = 'Send gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6) for an address.';

  static override description = `Tells the segment that ADDRESS is at IFACE's MAC, so neighbours and switches update their tables at once (after a failover moved the address, or a MAC changed). Frames leave through a packet socket bound to IFACE, whatever the routing table says.

IPv4 sends RFC 5227 ARP announcements: broadcast ARP requests with sender IP = target IP = ADDRESS and a zero target MAC — the same frame the kernel sends with arp_notify=1 (arping -U is similar). --mode reply sends the arping -A style instead: a broadcast ARP reply whose target MAC is our own, for the few stacks that only learn from replies.

IPv6 sends unsolicited neighbour advertisements (RFC 4861 7.2.6) from ADDRESS to ff02::1 with the Override flag and the target link-layer address option, like the kernel's ndisc_notify.

ADDRESS must be configured on IFACE (announcing someone else's address steals its traffic); --force skips that check. Receivers may ignore gratuitous ARP for addresses they do not know (arp_accept=0 on Linux) but update entries they have.`;

  static override examples = [
    '<%= config.bin %> arp announce eth0 192.0.2.10',
    { description: 'Five announcements, 200 ms apart', command: '<%= config.bin %> arp announce eth0 192.0.2.10 --count 5 --interval 200' },
    { description: 'IPv6: unsolicited neighbour advertisement', command: '<%= config.bin %> arp announce eth0 2001:db8::10' },
    { description: 'Reply-style (arping -A)', command: '<%= config.bin %> arp announce eth0 192.0.2.10 --mode reply' },
  ];

  static override args = {
    iface: Args.string({ description: 'Interface to send on.', required: true }),
    address: Args.string({ description: 'IPv4 or IPv6 address to announce.', required: true }),
  };

  static override flags = {
    count: Flags.integer({ char: 'c', summary: 'Frames to send.', default: ANNOUNCE_DEFAULTS.count, min: 1, max: 10000 }),
    interval: Flags.integer({ char: 'i', summary: 'Milliseconds between frames.', default: ANNOUNCE_DEFAULTS.intervalMs, min: 0 }),
    mode: Flags.option({ summary: 'IPv4 frame style: RFC 5227 announcement (request) or arping -A style (reply).', options: ['request', 'reply'] as const, default: 'request' })(),
    router: Flags.boolean({ summary: 'IPv6: set the Router flag in the advertisement.' }),
    force: Flags.boolean({ summary: 'Announce even if ADDRESS is not configured on IFACE.' }),
  };

  async run(): Promise<AnnounceResult> {
    const { args, flags } = await this.parse(ArpAnnounce);
    const r = await announce({ netns: flags.netns }, {
      ifname: args.iface, address: args.address, count: flags.count, intervalMs: flags.interval,
      mode: flags.mode, router: flags.router, force: flags.force,
    });
    if (!this.jsonEnabled()) {
      const what = r.kind === 'unsolicited-na' ? 'unsolicited neighbour advertisement' : r.kind === 'arp-reply' ? 'gratuitous ARP reply' : 'ARP announcement';
      this.log(`sent ${r.sent} ${what}${r.sent === 1 ? '' : 's'} for ${r.address} (${r.mac}) on ${r.ifname}`);
    }
    return r;
  }
}
