import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import { vethPeerWords } from '../../cli/ip-words.js';
import { UsageError } from '../../errors.js';
import { CREATABLE_KINDS, createLink, type CreatableKind } from '../../interfaces/manage.js';
import { type LinkJson, linkJson } from '../../interfaces/link-json.js';
import { renderLinkDetail } from '../../interfaces/render.js';

export default class LinkAdd extends NodectlCommand {
  static override summary = 'Create a logical interface: vlan, bond, bridge, macvlan, veth or dummy.';

  static override description = `Like "ip link add": NAME, the word "type" and a KIND, then the options of that kind as flags (a veth's other end also as ip spells it: peer name NAME [netns NS]). An option that does not belong to KIND is an error, never ignored. The interface is created in one RTM_NEWLINK request (NLM_F_CREATE|NLM_F_EXCL: an existing name is an error and is left untouched) and is printed as the kernel reports it afterwards.

Kind options:
  vlan     --link DEV --id 1-4094 [--protocol 802.1Q|802.1ad]
  bond     [--mode MODE] [--miimon MS] [--arp-interval MS] [--arp-ip-target IPV4 …],
           MODE one of balance-rr active-backup balance-xor broadcast 802.3ad balance-tlb balance-alb
  bridge   [--stp | --no-stp] [--vlan-filtering]
  macvlan  --link DEV [--mode private|vepa|bridge|passthru|source]
  veth     --peer NAME [--peer-netns NS], or the words peer name NAME [netns NS]
  dummy    (none)
Common: --mtu, --mac, --master, --up.

Interfaces made here are not owned by "nodectl config": a config apply never prunes them.`;

  static override examples = [
    { description: 'VLAN 100 on eth0', command: '<%= config.bin %> link add eth0.100 type vlan --link eth0 --id 100' },
    { description: 'An active-backup bond with MII monitoring', command: '<%= config.bin %> link add bond0 type bond --mode active-backup --miimon 100' },
    { description: 'A bridge with STP, brought up', command: '<%= config.bin %> link add br0 type bridge --stp --up' },
    { description: 'A macvlan in bridge mode', command: '<%= config.bin %> link add mv0 type macvlan --link eth0 --mode bridge' },
    { description: 'A veth pair with one end in namespace blue', command: '<%= config.bin %> link add ve0 type veth --peer ve0b --peer-netns blue' },
    { description: 'The same as ip spells it', command: '<%= config.bin %> link add ve0 type veth peer name ve0b netns blue' },
    { description: 'Inside a namespace, JSON result', command: '<%= config.bin %> link add d0 type dummy -n lab --json' },
  ];

  static override args = {
    name: Args.string({ description: 'name of the new interface (1-15 characters)', required: true }),
    type: Args.string({ description: 'the word "type" (as in ip link add)', required: true, options: ['type'] }),
    kind: Args.string({ description: 'interface kind', required: true, options: [...CREATABLE_KINDS] }),
    words: Args.string({ description: 'veth only, as in ip: peer name NAME [netns NS]', multiple: true }),
  };

  static override flags = {
    link: Flags.string({ summary: 'vlan, macvlan: the lower device.', helpGroup: 'KIND' }),
    id: Flags.integer({ summary: 'vlan: the VLAN id (1-4094).', helpGroup: 'KIND' }),
    protocol: Flags.string({ summary: 'vlan: tag protocol.', options: ['802.1Q', '802.1ad'], helpGroup: 'KIND' }),
    mode: Flags.string({ summary: 'bond or macvlan: the mode.', helpGroup: 'KIND' }),
    miimon: Flags.integer({ summary: 'bond: MII link monitoring interval (ms).', min: 0, helpGroup: 'KIND' }),
    'arp-interval': Flags.integer({ summary: 'bond: ARP monitoring interval (ms).', min: 0, helpGroup: 'KIND' }),
    'arp-ip-target': Flags.string({ summary: 'bond: IPv4 target of the ARP monitor (repeatable, up to 16).', multiple: true, helpGroup: 'KIND' }),
    stp: Flags.boolean({ summary: 'bridge: spanning tree on (--no-stp: off).', allowNo: true, helpGroup: 'KIND' }),
    'vlan-filtering': Flags.boolean({ summary: 'bridge: VLAN filtering on.', helpGroup: 'KIND' }),
    peer: Flags.string({ summary: 'veth: name of the other end.', helpGroup: 'KIND' }),
    'peer-netns': Flags.string({ summary: 'veth: create the other end in this namespace.', helpGroup: 'KIND' }),
    mtu: Flags.integer({ summary: 'MTU in bytes.' }),
    mac: Flags.string({ summary: 'link-layer address (xx:xx:xx:xx:xx:xx).' }),
    master: Flags.string({ summary: 'enslave to this bridge or bond.' }),
    up: Flags.boolean({ summary: 'bring the interface up.' }),
  };

  async run(): Promise<LinkJson> {
    const { args, flags } = await this.parse(LinkAdd);
    const words = vethPeerWords(args.kind, (args.words as string[] | undefined) ?? []);
    if (words.peer !== undefined && (flags.peer !== undefined || flags['peer-netns'] !== undefined)) {
      throw new UsageError('the veth peer is given both as words (peer name …) and as --peer/--peer-netns: give it once');
    }
    const link = await createLink({ netns: flags.netns }, {
      name: args.name, kind: args.kind as CreatableKind,
      link: flags.link, id: flags.id, protocol: flags.protocol, mode: flags.mode, miimon: flags.miimon,
      arpInterval: flags['arp-interval'], arpIpTargets: flags['arp-ip-target'], stp: flags.stp,
      vlanFiltering: flags['vlan-filtering'] ? true : undefined, peer: words.peer ?? flags.peer, peerNetns: words.peerNetns ?? flags['peer-netns'],
      mtu: flags.mtu, mac: flags.mac, master: flags.master, up: flags.up || undefined,
    });
    if (!this.jsonEnabled()) this.log(renderLinkDetail(link));
    // the link as link show --json prints it
    return linkJson(link);
  }
}
