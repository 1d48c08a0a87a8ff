// Packet capture in a test namespace as an independent oracle: tcpdump writes a pcap, tshark
// decodes it to JSON fields (arp.opcode, icmpv6.checksum.status, …).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh, type Netns } from './netns.js';
import { patient } from './patience.js';

export type Layers = Record<string, Record<string, unknown>>;

export interface Capture {
  /** Resolves once tcpdump is listening (frames sent before would be missed). */
  ready: Promise<void>;
  /** Resolves with each captured frame's decoded layers after `count` frames or the timeout. */
  done: Promise<Layers[]>;
  /** After done: tcpdump's own report (packets captured / received by filter / dropped) and the pcap size. */
  info: () => string;
}

export function capture(ns: Netns, dev: string, filter: string, count: number, timeoutMs = patient(30_000)): Capture {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-cap-'));
  const file = join(dir, 'cap.pcap');
  // tcpdump may drop to its own user before opening the output file (-Z): let it write here
  chmodSync(dir, 0o777);
  let pcapBytes = -1;
  const p = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-i', dev, '-U', '-n', '-w', file, '-c', String(count), filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    p.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    p.on('error', reject);
    p.on('close', () => reject(new Error(`tcpdump ended before listening: ${err}`)));
  });
  const done = new Promise<Layers[]>((resolve, reject) => {
    const timer = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('close', () => {
      clearTimeout(timer);
      try {
        pcapBytes = statSync(file).size;
        const out = sh('tshark', ['-r', file, '-T', 'json']);
        const pkts = JSON.parse(out || '[]') as Array<{ _source: { layers: Layers } }>;
        resolve(pkts.map((x) => x._source.layers));
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  ready.catch(() => undefined);
  return { ready, done, info: () => `tcpdump: ${err.trim().replace(/\n/g, '; ')}; pcap ${pcapBytes} bytes` };
}
