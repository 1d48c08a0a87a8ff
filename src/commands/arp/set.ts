import { Args } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { ARP_KEYS, ARP_KEY_NAMES, type ArpSetResult, parseArpAssignments, setArpPolicy } from '../../arp/policy.js';
import { renderArpSet } from '../../arp/render.js';

const keyHelp = ARP_KEY_NAMES.map((k) => {
  const s = ARP_KEYS[k];
  const range = s.allowed.length === s.max - s.min + 1 ? `${s.min}-${s.max}` : s.allowed.join(',');
  return `  ${k.padEnd(20)} ${range.padEnd(10)} ${s.summary}`;
}).join('\n');

export default class ArpSet extends NodectlCommand {
  static override summary = 'Set ARP policy keys on an interface (or the all/default rows) and verify them.';

  static override strict = false;

  static override description = `Sets one or more keys in ONE rtnetlink message (RTM_SETLINK with IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF), then reads them back and fails if the kernel kept another value. Every key and value is checked before anything is sent: one bad word and nothing changes.

IFACE may also be "all" or "default". Those rows are no device, so rtnetlink cannot set them; nodectl writes /proc/sys/net/ipv4/conf/{all,default}/KEY inside the namespace instead (one file per key, each read back). Remember that "all" raises the effective value of every interface (see arp show), and "default" only applies to interfaces created afterwards.

Keys and valid values:
${keyHelp}`;

  static override examples = [
    { description: 'The classic "answer only for my own address, announce the best source" pair', command: '<%= config.bin %> arp set eth0 arp_ignore=1 arp_announce=2' },
    { description: 'Proxy ARP on a router port', command: '<%= config.bin %> arp set eth1 proxy_arp=1' },
    { description: 'For every interface at once', command: '<%= config.bin %> arp set all arp_filter=1' },
  ];

  static override args = {
    iface: Args.string({ description: 'Interface name or index, or "all" / "default".', required: true }),
  };

  async run(): Promise<ArpSetResult> {
    const { args, argv, flags } = await this.parse(ArpSet);
    const words = (argv as string[]).slice(1);
    const values = parseArpAssignments(words);
    const r = await setArpPolicy({ netns: flags.netns }, args.iface, values);
    if (!this.jsonEnabled()) for (const l of renderArpSet(r)) this.log(l);
    return r;
  }
}
