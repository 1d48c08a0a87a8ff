// The steps of `nodectl lab demo`, in order. Each one runs real nodectl features against the
// lab and shows the commands an operator would type; each checks first that the feature is
// part of this build.
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { PLAN_DRIFT } from '../cli/exit-codes.js';
import { linkTree } from '../interfaces/query.js';
import { renderTreeText } from '../interfaces/render.js';
import { Handle } from '../netlink/handle.js';
import { DemoAborted } from './demo-abort.js';
import type { DemoContext, DemoStep } from './demo.js';
import { readLinks } from './inspect.js';
import { runScenario } from '../sctp/generator.js';
import { renderEvent, renderTable, viewsOf } from '../sctp/render.js';
import { WireTracer } from '../sctp/tracer.js';
import { MGMT, NODE_DATA, SCTP_PEER, SCTP_SIM, type OptionalKind } from './plan.js';
import { renderLabConfig } from './config-file.js';
import { configStateDir, recordLabPid } from './topology.js';
import { setUp } from './wire.js';

const need = (ctx: DemoContext, ...ids: string[]): string | null => {
  const absent = ids.filter((id) => !ctx.hasCommand(id));
  return absent.length ? absent.map((a) => a.replace(/:/g, ' ')).join(', ') : null;
};

const treeStep: DemoStep = {
  id: 'tree',
  title: 'The interface hierarchy of the node',
  missing: () => null,
  async run(ctx) {
    ctx.out.say('Physical NICs are roots; ports hang under their bridge or bond, vlans and macvlans under their lower device.');
    ctx.out.command(`nodectl link tree -n ${ctx.names.node}`);
    const { roots } = await linkTree({ netns: ctx.names.node });
    ctx.out.block(renderTreeText(roots));
    for (const k of ctx.lab.kinds.filter((x) => !x.available)) ctx.out.note(`${k.kind} is not in this tree: this kernel lacks it (${k.why}); run the demo in the VM to see it`);
  },
};

const configStep: DemoStep = {
  id: 'config',
  title: 'Change the configuration: validate, plan, then apply all-or-nothing',
  missing: (ctx) => need(ctx, 'config:validate', 'config:plan', 'config:apply'),
  async run(ctx) {
    const { names, lab, out } = ctx;
    const has = Object.fromEntries(lab.kinds.map((k) => [k.kind, k.available])) as Record<OptionalKind, boolean>;
    const changed = `${lab.stateDir}/node-changed.yaml`;
    const broken = `${lab.stateDir}/node-broken.yaml`;
    const text = renderLabConfig({ kinds: has, variant: 'changed' }, []);
    writeFileSync(changed, text);
    // The same change with a typo an operator could make: an MTU below the IPv4 minimum.
    writeFileSync(broken, text.replace(/mtu: 1400/, 'mtu: 40'));
    const sd = ['--state-dir', configStateDir(names.prefix)];
    out.say(`The change: br-int gets MTU 1400, an alias and the address ${NODE_DATA.bridgeAddedAddresses.join(', ')} (${changed}).`);
    out.say('First with a typo: validation names the file, line and column, and changes nothing.');
    const bad = await ctx.nodectl(['config', 'validate', broken], { allowFail: true });
    // The problem list, without the one-line summary that repeats its first entry.
    const lines = `${bad.stdout}${bad.stderr}`.trim().split('\n');
    const problems = lines.filter((l) => !l.startsWith('nodectl: '));
    out.block((problems.length ? problems : lines).join('\n'));
    out.note(`exit status ${bad.status}`);
    if (bad.status === 0) throw new Error('config validate accepted an MTU of 40');

    out.say('The plan: the exact netlink operations, in order (exit status 100 means "there is drift"; no error exits 100):');
    const p = await ctx.nodectl(['config', 'plan', changed, '-n', names.node, ...sd], { allowFail: true });
    out.block(`${p.stdout}${p.stderr}`.trim());
    if (p.status !== PLAN_DRIFT) throw new Error(`config plan exited ${p.status}, expected ${PLAN_DRIFT} (changes pending)`);

    out.say('Apply: snapshot, journaled steps, verification by re-reading the kernel; any failure rolls every step back.');
    out.block((await ctx.nodectl(['config', 'apply', changed, '-n', names.node, ...sd])).stdout.trim());

    out.say('Planned again, the file is now a no-op:');
    const again = await ctx.nodectl(['config', 'plan', changed, '-n', names.node, ...sd], { allowFail: true });
    out.block(`${again.stdout}${again.stderr}`.trim());
    if (again.status !== 0) throw new Error(`config plan after apply exited ${again.status}, expected 0 (no changes)`);
    if (ctx.hasCommand('link:show')) out.block((await ctx.nodectl(['link', 'show', NODE_DATA.bridge.name, '-n', names.node])).stdout.trim());
  },
};

/** A daemon's JSON timeline on stderr, collected as it comes. */
function collectTimeline(child: import('node:child_process').ChildProcess): { entries: Record<string, unknown>[]; raw: string[] } {
  const entries: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let buf = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        entries.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        raw.push(line);
      }
    }
  });
  return { entries, raw };
}

// The failover step's bounds are ceilings for polled conditions, not expectations: a fast
// machine meets them in well under a second, while in an emulated guest (TCG) on a loaded host
// the daemon's start alone (Node, the addon, the first probes) took more than 15 s.
const FAILOVER_PATIENCE_MS = 120_000;

async function waitFor(ctx: DemoContext, what: string, timeoutMs: number, test: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test()) return;
    await ctx.sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function holderOf(ns: string, address: string): Promise<string[]> {
  const links = await readLinks(ns);
  return links.filter((l) => l.addresses.includes(address)).map((l) => l.name);
}

function formatEntry(e: Record<string, unknown>, t0: number): string {
  const at = Date.parse(String(e.ts));
  const rel = Number.isFinite(at) ? `${at - t0 >= 0 ? '+' : ''}${at - t0} ms`.padStart(9) : '';
  const { ts: _ts, level: _level, event, actions, from, to, reason, ...all } = e;
  // Absolute timestamps (…At) repeat what the relative column says.
  const rest = Object.fromEntries(Object.entries(all).filter(([k]) => !k.endsWith('At')));
  const head = from !== undefined || to !== undefined ? `${String(from ?? '-')} -> ${String(to ?? '-')}: ${String(reason ?? '')}` : '';
  const detail = Object.entries(rest)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const lines = [`${rel}  ${String(event).padEnd(8)} ${[head, detail].filter(Boolean).join(' ')}`];
  if (Array.isArray(actions)) for (const a of actions) lines.push(`${' '.repeat(20)}${String(a)}`);
  return lines.join('\n');
}

const failoverStep: DemoStep = {
  id: 'failover',
  title: 'Break the management interface: the failover timeline',
  missing: (ctx) => need(ctx, 'mgmt:run', 'mgmt:status'),
  async run(ctx) {
    const { names, lab, out } = ctx;
    const stateFile = `${lab.stateDir}/mgmt.json`;
    const socket = `${lab.stateDir}/mgmt.sock`;
    const mgmtAddr = MGMT.addresses[0];
    const args = ['mgmt', 'run', '-n', names.node, '--config', lab.configFile, '--state-file', stateFile, '--socket', socket];
    out.say(`The daemon keeps ${MGMT.addresses.join(' and ')} on exactly one healthy candidate (${MGMT.candidates.join(', ')}), probing the gateway ${MGMT.gateway} by ARP.`);
    out.command(`nodectl ${args.join(' ')} &`);
    const daemon = ctx.spawnNodectl(args);
    if (daemon.pid) recordLabPid(names.prefix, daemon.pid);
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    const tl = collectTimeline(daemon);
    try {
      const status = async () => JSON.parse((await ctx.nodectl(['mgmt', 'status', '--json', '--state-file', stateFile, '--socket', socket], { show: false, allowFail: true })).stdout || '{}') as {
        running?: boolean; holder?: string | null; candidates?: { name: string; healthy: boolean }[];
      };
      await waitFor(ctx, 'the daemon to trust both candidates', FAILOVER_PATIENCE_MS, async () => {
        if (gone) throw new Error(`mgmt run exited: ${[...tl.raw, ...tl.entries.map((e) => JSON.stringify(e))].slice(-3).join(' | ')}`);
        const s = await status();
        return s.running === true && (s.candidates ?? []).length > 0 && (s.candidates ?? []).every((c) => c.healthy);
      });
      out.say('Both candidates are healthy; the address is on the first one:');
      out.block((await ctx.nodectl(['mgmt', 'status', '--state-file', stateFile, '--socket', socket])).stdout);

      // Carrier loss on eth0, the way a pulled cable looks: its switch port goes down.
      const seen = tl.entries.length;
      const t0 = Date.now();
      out.say('Pull the cable of eth0 (its switch port goes down, so eth0 loses carrier):');
      out.command(`ip -n ${names.switch} link set swp0 down`);
      const sw = Handle.open({ netns: names.switch });
      try {
        await setUp(sw, 'swp0', false);
        await waitFor(ctx, `${mgmtAddr} to move to eth1`, FAILOVER_PATIENCE_MS, async () => (await holderOf(names.node, mgmtAddr)).join() === 'eth1');
        const moved = Date.now() - t0;
        await ctx.sleep(300);
        out.say(`The daemon's timeline (its stderr, one JSON object per decision), relative to the pull; the address was on eth1 after ${moved} ms:`);
        out.block(tl.entries.slice(seen).map((e) => formatEntry(e, t0)).join('\n') || '(no entries)');
        out.block((await ctx.nodectl(['mgmt', 'status', '--state-file', stateFile, '--socket', socket])).stdout);

        const seen2 = tl.entries.length;
        const t1 = Date.now();
        out.say('Plug it back in: eth0 must stay up for the hold-down, then the preempt delay, before the address returns.');
        out.command(`ip -n ${names.switch} link set swp0 up`);
        await setUp(sw, 'swp0', true);
        await waitFor(ctx, `${mgmtAddr} to move back to eth0`, FAILOVER_PATIENCE_MS, async () => (await holderOf(names.node, mgmtAddr)).join() === 'eth0');
        await ctx.sleep(200);
        out.block(tl.entries.slice(seen2).map((e) => formatEntry(e, t1)).join('\n') || '(no entries)');
      } finally {
        // Whatever happened, the lab's cable is plugged back in for the next steps.
        await setUp(sw, 'swp0', true).catch(() => {});
        sw.close();
      }
    } catch (err) {
      // What the daemon last said is usually the explanation.
      const last = [...tl.entries.slice(-4).map((e) => JSON.stringify(e)), ...tl.raw.slice(-4)];
      if (last.length && !(err instanceof DemoAborted)) (err as Error).message += `; the daemon's last words: ${last.join(' | ')}`;
      throw err;
    } finally {
      if (!gone) daemon.kill('SIGTERM');
      await Promise.race([exited, ctx.sleep(5000).catch(() => {})]);
    }
  },
};

/** The three associations of the SCTP step: what each shows, on well-known telecom ports. */
const SCTP_PHASES = [
  { scenario: 'normal', port: 2905, label: 'M3UA-like traffic flowing, then a graceful SHUTDOWN' },
  { scenario: 'zero-window', port: 3868, label: 'Diameter-like: the peer advertises a_rwnd 0 (throttled), then opens the window' },
  { scenario: 'stall', port: 36412, label: 'S1AP-like: data outstanding, never acknowledged, heartbeats still answered (stalled)' },
] as const;

const sctpStep: DemoStep = {
  id: 'sctp',
  title: 'An SCTP association under the tracer: flowing, throttled (zero window), stalled',
  missing: () => null,
  async run(ctx) {
    const { names, out } = ctx;
    const node = { netns: names.node, ifname: 'eth2', ip: SCTP_SIM.node };
    const peer = { netns: names.sctpPeer, ifname: SCTP_PEER.nic, ip: SCTP_SIM.peer };
    out.say('The generator plays both endpoints over packet sockets: real frames from the node\'s eth2 to the SCTP peer and back across the lab');
    out.say(`switch, addressed ${SCTP_SIM.node} <-> ${SCTP_SIM.peer} (owned by no kernel here, so no SCTP stack answers them; none is needed).`);
    out.say('The wire tracer (eBPF on tc ingress+egress of eth2) folds both directions of each association into one record.');
    const tracer = await WireTracer.open({ targets: [{ dev: 'eth2', netns: names.node }], publish: true });
    const events: string[] = [];
    const seen = new Set<string>();
    tracer.on('event', (e) => {
      seen.add(e.type);
      events.push(renderEvent(e, new Date()));
    });
    tracer.startEvents();
    try {
      const attached = tracer.targets.flatMap((t) => t.hooks.map((hk) => `${t.dev} ${hk.direction} (${hk.kind})`)).join(', ');
      out.note(`tracer attached: ${attached}; the tables below are what \`nodectl sctp top --dev eth2 -n ${names.node}\` draws, taken at three moments`);
      const frame = (title: string) => {
        out.say(title);
        out.block(renderTable(viewsOf(tracer.snapshot().associations)));
      };
      const play = async (i: number, params: Record<string, number | string>) => {
        // One signal per scenario: the generator adds a listener per step it sleeps.
        const ac = new AbortController();
        setMaxListeners(0, ac.signal);
        const stop = () => ac.abort();
        ctx.signal.addEventListener('abort', stop, { once: true });
        try {
          return await runScenario({
            a: { ...node, port: SCTP_PHASES[i]!.port },
            b: { ...peer, port: SCTP_PHASES[i]!.port },
            params: { intervalMs: 5, ...params },
            signal: ac.signal,
          }, SCTP_PHASES[i]!.scenario);
        } finally {
          ctx.signal.removeEventListener('abort', stop);
        }
      };

      out.say(`1) ${SCTP_PHASES[0].label}`);
      const r0 = await play(0, { messages: 40 });
      frame(`sctp top, after ${r0.frames} frames:`);

      out.say(`2) ${SCTP_PHASES[1].label}`);
      const zw = play(1, { messages: 20, holdMs: 3000 });
      await waitFor(ctx, 'the zero-window event', 5000, () => seen.has('zero-window-start'));
      await ctx.sleep(1200);
      frame('sctp top, while the receiver advertises a zero window:');
      await zw;

      out.say(`3) ${SCTP_PHASES[2].label}`);
      await play(2, { messages: 20, holdMs: 2800 });
      await waitFor(ctx, 'the tracer to flag the stall', 5000, () => viewsOf(tracer.snapshot().associations).some((v) => v.health.conditions.includes('stalled')));
      frame('sctp top, with no cumulative TSN progress for over 2 s:');

      out.say('The tracer\'s event stream over the whole run (nodectl sctp trace):');
      out.block(events.join('\n') || '(no events)');
      if (ctx.hasCommand('sctp:stats')) {
        out.say('One snapshot from another process, reading the maps this session published:');
        out.block((await ctx.nodectl(['sctp', 'stats'])).stdout);
      }
    } finally {
      tracer.close();
    }
  },
};

export const DEMO_STEPS: DemoStep[] = [treeStep, configStep, failoverStep, sctpStep];
