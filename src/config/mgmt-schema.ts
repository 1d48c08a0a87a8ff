import { Type, type Static } from '@sinclair/typebox';
import { MGMT_DEFAULTS } from './mgmt-defaults.js';

// The `mgmt:` section of the node configuration: the management address(es) that
// `nodectl mgmt run` keeps on exactly one working interface. Owned by the failover feature;
// the meaning checks (addresses parse, gateway inside an address prefix, candidates distinct)
// live in src/config/mgmt-rules.ts so a file holding only this section can be validated too.

const closed = { additionalProperties: false } as const;
const IFNAME = '^[^/\\s:]{1,15}$';

const Ms = (description: string, minimum: number, dflt: number) =>
  Type.Integer({ minimum, maximum: 86_400_000, description: `${description} Default ${dflt}.` });

export { MGMT_DEFAULTS };

/** The timing keys the ARP and NDP probes share; `answer` names what comes back in time. */
const probeTiming = (answer: string) => ({
  interval_ms: Type.Optional(Ms('Probe every this many ms on every candidate whose link is up.', 10, MGMT_DEFAULTS.probeIntervalMs)),
  timeout_ms: Type.Optional(Ms(`${answer} later than this is a miss.`, 1, MGMT_DEFAULTS.probeIntervalMs)),
  allowed_misses: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: `Consecutive misses tolerated; one more marks the path down. Default ${MGMT_DEFAULTS.probeAllowedMisses}.` })),
});

export const MgmtArpProbe = Type.Object({
  target: Type.Optional(Type.String({ description: 'IPv4 address to ARP for through each candidate; default gateway.ipv4.' })),
  ...probeTiming('A reply'),
}, { ...closed, description: 'Validated ARP probe of the gateway: only a reply from the target to our request counts.' });

export const MgmtNdpProbe = Type.Object({
  target: Type.Optional(Type.String({ description: 'IPv6 address to solicit through each candidate; default gateway.ipv6.' })),
  ...probeTiming('An advertisement'),
}, { ...closed, description: 'Validated NDP probe of the IPv6 gateway (the twin of arp_probe): a Neighbor Solicitation to its solicited-node group; only a solicited Neighbor Advertisement for the target, hop limit 255, back to us counts.' });

export const MgmtDecl = Type.Object({
  addresses: Type.Array(Type.String({ description: 'ADDRESS/PREFIX, IPv4 or IPv6, e.g. 192.0.2.10/24.' }), {
    // Count limits are checked in src/config/mgmt-rules.ts, which can say what is wrong.
    description: 'The management address(es), 1-8; they always move together.',
  }),
  candidates: Type.Array(Type.String({ pattern: IFNAME, description: 'Interface name.' }), {
    description: 'Interfaces that may hold the addresses (1-16), most preferred first.',
  }),
  gateway: Type.Optional(Type.Object({
    ipv4: Type.Optional(Type.String({ description: 'IPv4 gateway, inside the prefix of an IPv4 management address.' })),
    ipv6: Type.Optional(Type.String({ description: 'IPv6 gateway (global or link-local).' })),
    default_route: Type.Optional(Type.Boolean({ description: 'Keep "default via GATEWAY dev HOLDER" in the main table. Default true.' })),
    metric: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: `Metric of that default route. Default ${MGMT_DEFAULTS.routeMetric}.` })),
  }, { ...closed, description: 'The gateway of the management network; the default route follows the addresses.' })),
  health: Type.Optional(Type.Object({
    arp_probe: Type.Optional(MgmtArpProbe),
    ndp_probe: Type.Optional(MgmtNdpProbe),
  }, { ...closed, description: 'Admin up + carrier + operstate up are always required; an ARP probe and an NDP probe can be added (each counts its own misses; a path is up only while both are within theirs).' })),
  damping: Type.Optional(Type.Object({
    hold_down_ms: Type.Optional(Ms('A recovered interface must stay up this long before it is trusted.', 0, MGMT_DEFAULTS.holdDownMs)),
    preempt_delay_ms: Type.Optional(Ms('A trusted, preferred interface must stay so this long before the addresses move back.', 0, MGMT_DEFAULTS.preemptDelayMs)),
    preempt: Type.Optional(Type.Boolean({ description: 'Move back to a preferred interface by itself (after preempt_delay_ms). false: never; the addresses leave their holder only when it fails or an operator moves them (mgmt move). Default true.' })),
  }, { ...closed, description: 'Flap damping.' })),
  announce: Type.Optional(Type.Object({
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `Gratuitous ARPs / unsolicited NAs sent after a move. Default ${MGMT_DEFAULTS.announceCount}.` })),
    interval_ms: Type.Optional(Ms('Between the announcements of a burst.', 0, MGMT_DEFAULTS.announceIntervalMs)),
    refresh_ms: Type.Optional(Ms('Re-announce this often while holding (0 = never).', 0, MGMT_DEFAULTS.announceRefreshMs)),
  }, { ...closed, description: 'Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6).' })),
  // --- issue 19: operators' integration (hooks, control socket access) ---
  hooks: Type.Optional(Type.Object({
    on_move: Type.Optional(Type.String({ minLength: 1, description: 'Absolute path of a program run (no shell) after each placement, move and restore: the event as NODECTL_* variables and JSON on stdin; one hook at a time, in event order; never delays a move.' })),
    on_health: Type.Optional(Type.String({ minLength: 1, description: 'Absolute path of a program run the same way after each change of a candidate\'s health (healthy, hold-down, down).' })),
    timeout_ms: Type.Optional(Ms('A hook still running after this long is killed (SIGKILL) and the next one starts.', 1, MGMT_DEFAULTS.hookTimeoutMs)),
  }, { ...closed, description: 'Programs run on events, strictly in order (unlike concurrent notify scripts).' })),
  control: Type.Optional(Type.Object({
    group: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}\\$?$', description: 'Members of this group may use the control socket (mgmt status, mgmt move) besides root.' })),
  }, { ...closed, description: 'Who may talk to the daemon: root, the daemon\'s own user, and this group (checked with SO_PEERCRED, whatever the file modes).' })),
}, { ...closed, description: 'Management-IP failover (nodectl mgmt run): one address, always on exactly one working interface.' });
export type MgmtDecl = Static<typeof MgmtDecl>;
