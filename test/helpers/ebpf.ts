// Shared pieces of the ebpf-ts tests: a veth pair across two throwaway namespaces, a UDP sender
// running inside a namespace, and bpftool as the independent oracle of what is in the kernel.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { netnsFor, sh, type Netns } from './netns.js';

export const BPF_DIR = fileURLToPath(new URL('../../bpf/', import.meta.url));
export const obj = (name: string): string => `${BPF_DIR}${name}.bpf.o`;

export interface VethPair {
  a: Netns;
  b: Netns;
  /** ifindex of "va" inside a, and of "vb" inside b */
  ifA: number;
  ifB: number;
  addrA: string;
  addrB: string;
}

/** a:va 10.77.0.1/24 <-> b:vb 10.77.0.2/24, IPv6 off so only the traffic we send flows. */
export function vethPair(t: ExecutionContext): VethPair {
  const a = netnsFor(t);
  const b = netnsFor(t);
  for (const ns of [a, b]) ns.exec('sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  a.ip('addr', 'add', '10.77.0.1/24', 'dev', 'va');
  b.ip('addr', 'add', '10.77.0.2/24', 'dev', 'vb');
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');
  const ifA = a.ipJson<Array<{ ifindex: number }>>('link', 'show', 'va')[0]!.ifindex;
  const ifB = b.ipJson<Array<{ ifindex: number }>>('link', 'show', 'vb')[0]!.ifindex;
  return { a, b, ifA, ifB, addrA: '10.77.0.1', addrB: '10.77.0.2' };
}

/** Send `count` UDP datagrams from inside `ns` to dst:port, `gapMs` apart (async: the caller's loop keeps running). */
export async function sendUdp(ns: Netns, dst: string, port: number, count: number, gapMs = 0): Promise<void> {
  const script = `const s=require('dgram').createSocket('udp4');let i=0;const go=()=>{if(i++>=${count}){s.close();return}s.send(Buffer.from('nodectl-ebpf-test'),${port},'${dst}',()=>${gapMs > 0 ? `setTimeout(go,${gapMs})` : 'setImmediate(go)'})};go()`;
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`udp sender failed (${code}): ${err}`))));
  });
}

interface BpftoolProg { id: number; name?: string; type: string }
interface BpftoolLink { id: number; prog_id: number; type: string }

/** `bpftool prog show -j`: ids of live programs. */
export function liveProgIds(): Set<number> {
  const r = spawnSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Set((JSON.parse(r.stdout || '[]') as BpftoolProg[]).map((p) => p.id));
}

/** `bpftool link show -j`: program ids that some link holds. */
export function linkedProgIds(): Set<number> {
  const r = spawnSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Set((JSON.parse(r.stdout || '[]') as BpftoolLink[]).map((l) => l.prog_id));
}

/** `bpftool net show -j` inside ns: tc (clsact) filters and XDP programs there. */
export function netShow(ns: Netns): { tc: Array<{ devname: string; kind: string; name?: string; id?: number }>; xdp: Array<{ devname: string; id?: number }> } {
  const out = sh('ip', ['netns', 'exec', ns.name, 'bpftool', 'net', 'show', '-j']);
  const j = (JSON.parse(out) as Array<{ tc?: []; xdp?: [] }>)[0] ?? {};
  return { tc: j.tc ?? [], xdp: j.xdp ?? [] };
}

/** `tc qdisc show dev DEV` inside ns has a clsact qdisc? */
export function hasClsact(ns: Netns, dev: string): boolean {
  return sh('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', dev]).includes('clsact');
}
