// The running kernel's build configuration, where the system keeps it: /boot/config-<release>
// (Debian, Fedora, Ubuntu install it with the kernel) or /proc/config.gz (CONFIG_IKCONFIG_PROC).
// libbpf reads the same two for `__kconfig` externs, but libbpf 1.1 (Debian 12) then refuses to
// load an object when neither exists, even for externs marked weak: programs that can do
// without a value take it from here, through .rodata, and fall back when it is unknown.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

let cached: Map<string, string> | null | undefined;

/** `CONFIG_X=value` lines of a kernel config; comments ("# CONFIG_X is not set") are left out. */
export function parseKernelConfig(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('CONFIG_') && eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1).trimEnd());
  }
  return m;
}

function read(): Map<string, string> | null {
  const sources: Array<() => string> = [
    () => readFileSync(`/boot/config-${release()}`, 'utf8'),
    () => gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'),
  ];
  for (const source of sources) {
    let text: string;
    try {
      text = source();
    } catch {
      continue;
    }
    return parseKernelConfig(text);
  }
  return null;
}

/** One option's value as written in the config ("y", "250", "\"…\""); undefined when unknown. */
export function kernelConfig(name: string): string | undefined {
  if (cached === undefined) cached = read();
  return cached?.get(name);
}

/** TICK_NSEC for a CONFIG_HZ value as the config writes it: (NSEC_PER_SEC + HZ/2) / HZ; 0 when absent or implausible. */
export function tickNs(hz: string | undefined): number {
  const n = hz === undefined || hz === '' ? NaN : Number(hz);
  return Number.isInteger(n) && n >= 24 && n <= 10_000 ? Math.floor((1e9 + Math.floor(n / 2)) / n) : 0;
}

/** The length of a jiffy in ns on the running kernel; 0 when its config is not readable. */
export function jiffyNs(): number {
  return tickNs(kernelConfig('CONFIG_HZ'));
}
