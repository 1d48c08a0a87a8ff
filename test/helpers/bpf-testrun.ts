// Runs a tc program over crafted frames with BPF_PROG_TEST_RUN, through bpftool (an
// independent loader), inside a private mount namespace with its own bpffs: nothing of the
// host is touched and everything disappears with the process. Returns the maps as bpftool
// dumps them (raw bytes plus bpftool's own BTF-formatted decoding).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MapEntry { key: Buffer; value: Buffer; formatted?: { key: unknown; value: unknown } }
export interface TestRunResult { maps: Record<string, MapEntry[]>; durationsNs: number[]; retvals: number[] }

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

function parseDump(json: string): MapEntry[] {
  const rows = JSON.parse(json) as Array<{ key: string[] | unknown; value: string[] | unknown; formatted?: { key: unknown; value: unknown }; values?: Array<{ value: string[] }> }>;
  return rows.map((r) => {
    const bytes = (x: unknown) => Buffer.from((x as string[]).map((h) => parseInt(h, 16)));
    // per-CPU maps: "values": [{cpu, value}] — summed by the caller
    const value = r.values ? Buffer.concat(r.values.map((v) => bytes(v.value))) : bytes(r.value);
    return { key: bytes(r.key), value, formatted: r.formatted };
  });
}

/**
 * Load `object`, run `program` once per frame (in order) or `repeat` times on one frame,
 * then dump `maps`.
 */
export function bpfTestRun(object: string, program: string, frames: Buffer[], maps: string[], opts: { repeat?: number; arrayHeads?: Record<string, number> } = {}): TestRunResult {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-testrun-'));
  try {
    const lines = ['set -e', 'mount -t bpf bpf /sys/fs/bpf', 'mkdir /sys/fs/bpf/o /sys/fs/bpf/m',
      `bpftool prog loadall ${object} /sys/fs/bpf/o pinmaps /sys/fs/bpf/m >/dev/null`];
    frames.forEach((f, i) => {
      writeFileSync(join(dir, `f${i}`), f);
      lines.push(`bpftool -j prog run pinned /sys/fs/bpf/o/${program} data_in ${dir}/f${i} repeat ${opts.repeat ?? 1} > ${dir}/r${i}.json`);
    });
    for (const m of maps) lines.push(`echo '=== ${m}'`, `bpftool -j map dump pinned /sys/fs/bpf/m/${m}`, 'echo');
    // arrayHeads: elements 0..n-1 of big array maps, one lookup each (a whole dump of 16384
    // large elements as JSON takes bpftool seconds)
    for (const [m, n] of Object.entries(opts.arrayHeads ?? {})) {
      lines.push(`echo '=== ${m}'`, "echo '['");
      for (let i = 0; i < n; i++) lines.push(`bpftool -j map lookup pinned /sys/fs/bpf/m/${m} key ${i & 255} ${(i >> 8) & 255} ${(i >> 16) & 255} ${i >>> 24}`, i < n - 1 ? "echo ','" : "echo ']'");
    }
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', lines.join('\n')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`bpftool test run failed (${r.status}): ${r.stderr.slice(-4000)}`);
    const out: TestRunResult = { maps: {}, durationsNs: [], retvals: [] };
    for (const part of r.stdout.split('=== ').slice(1)) {
      const nl = part.indexOf('\n');
      out.maps[part.slice(0, nl).trim()] = parseDump(part.slice(nl + 1));
    }
    frames.forEach((_, i) => {
      const res = JSON.parse(spawnSync('cat', [join(dir, `r${i}.json`)], { encoding: 'utf8' }).stdout) as { retval: number; duration: number };
      out.retvals.push(res.retval);
      out.durationsNs.push(res.duration);
    });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { hex };
