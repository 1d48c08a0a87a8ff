// `lab up`, `lab down`, `lab status`: a sandboxed appliance made of network namespaces.
// Everything lives in namespaces named PREFIX{node,switch,sctp-peer}; every veth is created
// inside a lab namespace with its peer moved straight into another one, so the root
// namespace never sees a lab interface.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PermissionError, StateError } from '../errors.js';
import { Handle } from '../netlink/handle.js';
import { renderLabConfig } from './config-file.js';
import { readLinks, type LabLink } from './inspect.js';
import { listNetns, netnsAdd, netnsDel, netnsPids } from './iproute.js';
import {
  LAB_ROLES, MGMT, NODE_DATA, NODE_NICS, OPTIONAL_KINDS, SCTP_PEER, SWITCH_BRIDGES,
  labNames, labStateDir, type LabNames, type LabRole, type OptionalKind,
} from './plan.js';
import { addAddr, addBridge, addDefaultRoute, addVeth, probeKind, setMaster, setUp } from './wire.js';
import { applyConfig } from '../config/apply.js';
import { loadConfig } from '../config/load.js';
import { count } from '../text.js';

export type Progress = (line: string) => void;

export interface LabKindSupport {
  kind: OptionalKind;
  available: boolean;
  why: string | null;
}

export interface LabUpResult {
  prefix: string;
  namespaces: { node: string; switch: string; sctpPeer: string };
  stateDir: string;
  configFile: string;
  kinds: LabKindSupport[];
  /** How the node's logical interfaces were built. */
  appliedWith: string;
  notes: string[];
}

/** What the lab remembers between commands (in its state directory). */
interface LabState {
  prefix: string;
  createdAt: string;
  namespaces: string[];
  kinds: LabKindSupport[];
  /** Processes the lab started (demo daemons), stopped by `lab down`. */
  pids?: number[];
}

function stateFile(prefix: string): string {
  return `${labStateDir(prefix)}/lab.json`;
}

/** config apply's state (ownership records, journal) for the lab's node: lives and dies with the lab. */
export function configStateDir(prefix: string): string {
  return `${labStateDir(prefix)}/config`;
}

export function configFilePath(prefix: string): string {
  return `${labStateDir(prefix)}/node.yaml`;
}

function readState(prefix: string): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(prefix), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function writeState(s: LabState): void {
  mkdirSync(labStateDir(s.prefix), { recursive: true, mode: 0o700 });
  writeFileSync(stateFile(s.prefix), JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
}

/** Record a process the lab started so `lab down` stops it even after a crash of its parent. */
export function recordLabPid(prefix: string, pid: number): void {
  const s = readState(prefix);
  if (!s) throw new StateError(`lab ${prefix} has no state file; is it up?`);
  s.pids = [...new Set([...(s.pids ?? []), pid])];
  writeState(s);
}

/**
 * Namespaces are created under /run/netns (a bind mount: CAP_SYS_ADMIN) and filled over
 * rtnetlink (CAP_NET_ADMIN); say so before touching anything rather than fail half-way.
 */
export function requirePrivileges(doing: string): void {
  if (process.geteuid?.() === 0) return;
  let eff = 0n;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) eff = BigInt(`0x${m[1]}`);
  } catch {
    /* no /proc: treat as unprivileged */
  }
  const CAP_NET_ADMIN = 12n;
  const CAP_SYS_ADMIN = 21n;
  if (!(eff & (1n << CAP_SYS_ADMIN))) throw new PermissionError('CAP_SYS_ADMIN', doing);
  if (!(eff & (1n << CAP_NET_ADMIN))) throw new PermissionError('CAP_NET_ADMIN', doing);
}

export interface LabUpOptions {
  prefix: string;
  /** Tear down an existing lab of this prefix first instead of refusing. */
  recreate?: boolean;
  progress?: Progress;
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  requirePrivileges('lab up (it creates network namespaces)');
  const names = labNames(opts.prefix);
  const say = opts.progress ?? (() => {});
  const present = names.all.filter((n) => listNetns(n).includes(n));
  if (present.length > 0) {
    if (!opts.recreate) {
      throw new StateError(`lab "${opts.prefix}" is already up (${present.join(', ')}): run \`nodectl lab down\` first, or \`lab up --recreate\``);
    }
    say(`removing the existing lab ${opts.prefix}`);
    await labDown({ prefix: opts.prefix, progress: say });
  }
  const state: LabState = { prefix: opts.prefix, createdAt: new Date().toISOString(), namespaces: names.all, kinds: [] };
  writeState(state);
  try {
    return await build(names, state, say);
  } catch (err) {
    // All or nothing: a half-built lab is only confusing; the original error is what matters.
    say(`lab up failed, removing what was built: ${(err as Error).message}`);
    await labDown({ prefix: opts.prefix }).catch(() => {});
    throw err;
  }
}

async function build(names: LabNames, state: LabState, say: Progress): Promise<LabUpResult> {
  for (const ns of names.all) {
    say(`namespace ${ns}`);
    await netnsAdd(ns);
  }
  const node = Handle.open({ netns: names.node });
  const sw = Handle.open({ netns: names.switch });
  const peer = Handle.open({ netns: names.sctpPeer });
  try {
    for (const h of [node, sw, peer]) await setUp(h, 'lo');

    say(`switch: bridges ${SWITCH_BRIDGES.map((b) => b.name).join(', ')} with gateway addresses`);
    for (const br of SWITCH_BRIDGES) {
      await addBridge(sw, br.name);
      await setUp(sw, br.name);
      for (const a of br.addresses) await addAddr(sw, br.name, a);
    }

    for (const nic of NODE_NICS) {
      say(`node: ${nic.name} cabled to switch port ${nic.switchPort} on ${nic.bridge}`);
      await addVeth(node, nic.name, nic.switchPort, names.switch);
      await setMaster(sw, nic.switchPort, nic.bridge);
      await setUp(sw, nic.switchPort);
      await setUp(node, nic.name);
    }

    say(`sctp-peer: ${SCTP_PEER.nic} cabled to switch port ${SCTP_PEER.switchPort} (${SCTP_PEER.addresses.join(', ')})`);
    await addVeth(peer, SCTP_PEER.nic, SCTP_PEER.switchPort, names.switch);
    await setMaster(sw, SCTP_PEER.switchPort, SCTP_PEER.bridge);
    await setUp(sw, SCTP_PEER.switchPort);
    await setUp(peer, SCTP_PEER.nic);
    for (const a of SCTP_PEER.addresses) await addAddr(peer, SCTP_PEER.nic, a);
    await addDefaultRoute(peer, SCTP_PEER.gateway, SCTP_PEER.nic);

    const kinds: LabKindSupport[] = [];
    const notes: string[] = [];
    for (const kind of OPTIONAL_KINDS) {
      const r = await probeKind(node, kind, 'eth2');
      kinds.push({ kind, available: r.ok, why: r.ok ? null : r.why });
      if (!r.ok) notes.push(`${kind} left out: this kernel refused it (${r.why}); the VM kernel has it (docs/vm.md)`);
    }
    for (const n of notes) say(`note: ${n}`);
    state.kinds = kinds;
    writeState(state);

    const has = Object.fromEntries(kinds.map((k) => [k.kind, k.available])) as Record<OptionalKind, boolean>;
    const configFile = configFilePath(names.prefix);
    const missingKinds = kinds.filter((k) => !k.available).map((k) => ({ kind: k.kind, why: k.why ?? '' }));
    writeFileSync(configFile, renderLabConfig({ kinds: has }, missingKinds, { file: configFile, netns: names.node, stateDir: configStateDir(names.prefix) }), { mode: 0o644 });
    say(`config: ${configFile}`);

    say(`node: nodectl config apply ${configFile}`);
    const { config } = await loadConfig(configFile);
    const applied = await applyConfig(config, { netns: names.node, stateDir: configStateDir(names.prefix), file: configFile });
    for (const st of applied.steps) say(`  ${st.marker} ${st.text}`);
    const appliedWith = `config apply (${count(applied.steps.length, 'step')})`;

    // The management address starts on the first candidate, as an installer would leave it;
    // `nodectl mgmt run` takes over from the kernel's state when it starts.
    say(`node: management address ${MGMT.addresses.join(', ')} on ${MGMT.candidates[0]}, default via ${MGMT.gateway}`);
    for (const a of MGMT.addresses) await addAddr(node, MGMT.candidates[0], a);
    await addDefaultRoute(node, MGMT.gateway, MGMT.candidates[0]);

    say(`lab ${names.prefix} is up`);
    return {
      prefix: names.prefix,
      namespaces: { node: names.node, switch: names.switch, sctpPeer: names.sctpPeer },
      stateDir: labStateDir(names.prefix),
      configFile,
      kinds,
      appliedWith,
      notes,
    };
  } finally {
    for (const h of [node, sw, peer]) h.close();
  }
}

export interface LabDownResult {
  prefix: string;
  removed: string[];
  stopped: number[];
  /** Processes still inside a removed namespace that the lab did not start (left alone). */
  lingering: { netns: string; pids: number[] }[];
  alreadyDown: boolean;
}

/** Remove the lab: idempotent, and works from what exists (after a crash, without a state file). */
export async function labDown(opts: { prefix: string; progress?: Progress }): Promise<LabDownResult> {
  requirePrivileges('lab down (it deletes network namespaces)');
  const names = labNames(opts.prefix);
  const say = opts.progress ?? (() => {});
  const state = readState(opts.prefix);
  const candidates = [...new Set([...names.all, ...(state?.namespaces ?? [])])];
  const present = candidates.filter((n) => listNetns(n).includes(n));

  const stopped = await stopPids(state?.pids ?? [], say);
  const lingering: LabDownResult['lingering'] = [];
  for (const ns of present) {
    const pids = (await netnsPids(ns)).filter((p) => p !== process.pid);
    if (pids.length) lingering.push({ netns: ns, pids });
    say(`deleting namespace ${ns}`);
    await netnsDel(ns);
  }
  rmSync(labStateDir(opts.prefix), { recursive: true, force: true });
  return { prefix: opts.prefix, removed: present, stopped, lingering, alreadyDown: present.length === 0 && !state };
}

async function stopPids(pids: number[], say: Progress): Promise<number[]> {
  const alive = pids.filter((p) => isAlive(p));
  for (const p of alive) {
    say(`stopping process ${p} started by the lab`);
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (alive.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of alive.filter(isAlive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return alive;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LabNamespaceStatus {
  name: string;
  role: LabRole;
  present: boolean;
  links: LabLink[];
}

export interface LabStatusResult {
  prefix: string;
  state: 'up' | 'down' | 'partial';
  stateDir: string;
  configFile: string | null;
  namespaces: LabNamespaceStatus[];
  /** Expected objects that are absent ("node/eth1", "switch/swp3 master br-mgmt", …). */
  missing: string[];
  kinds: LabKindSupport[];
}

export async function labStatus(opts: { prefix: string }): Promise<LabStatusResult> {
  const names = labNames(opts.prefix);
  const state = readState(opts.prefix);
  const nsNames: Record<LabRole, string> = { node: names.node, switch: names.switch, 'sctp-peer': names.sctpPeer };
  const namespaces: LabNamespaceStatus[] = [];
  for (const role of LAB_ROLES) {
    const name = nsNames[role];
    const present = listNetns(name).includes(name);
    namespaces.push({ name, role, present, links: present ? await readLinks(name) : [] });
  }
  const missing = expectedMissing(namespaces, state?.kinds ?? []);
  const anyPresent = namespaces.some((n) => n.present);
  const configFile = configFilePath(opts.prefix);
  return {
    prefix: opts.prefix,
    state: !anyPresent ? 'down' : missing.length === 0 ? 'up' : 'partial',
    stateDir: labStateDir(opts.prefix),
    configFile: existsSync(configFile) ? configFile : null,
    namespaces,
    missing,
    kinds: state?.kinds ?? [],
  };
}

/** The cabling `lab up` builds, checked object by object. */
function expectedMissing(namespaces: LabNamespaceStatus[], kinds: LabKindSupport[]): string[] {
  const missing: string[] = [];
  const by = Object.fromEntries(namespaces.map((n) => [n.role, n])) as Record<LabRole, LabNamespaceStatus>;
  if (!namespaces.some((n) => n.present)) return namespaces.map((n) => n.name);
  const want = (role: LabRole, dev: string, master?: string) => {
    const ns = by[role];
    if (!ns.present) return;
    const l = ns.links.find((x) => x.name === dev);
    if (!l) missing.push(`${role}/${dev}`);
    else if (master !== undefined && l.master !== master) missing.push(`${role}/${dev} master ${master}`);
  };
  for (const n of namespaces) if (!n.present) missing.push(n.name);
  for (const br of SWITCH_BRIDGES) want('switch', br.name);
  for (const nic of NODE_NICS) {
    want('node', nic.name);
    want('switch', nic.switchPort, nic.bridge);
  }
  want('sctp-peer', SCTP_PEER.nic);
  want('switch', SCTP_PEER.switchPort, SCTP_PEER.bridge);
  want('node', NODE_DATA.macvlan.name);
  want('node', NODE_DATA.bridge.name);
  const has = (k: OptionalKind) => kinds.find((x) => x.kind === k)?.available === true;
  if (has('vlan')) want('node', NODE_DATA.vlan.name);
  if (has('bond')) want('node', NODE_DATA.bond.name, NODE_DATA.bridge.name);
  if (has('dummy')) want('node', NODE_DATA.dummy.name);
  return missing;
}
