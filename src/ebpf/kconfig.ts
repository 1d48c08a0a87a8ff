// The running kernel's build configuration, where the system keeps it: /boot/config-<release>
// (Debian, Fedora, Ubuntu install it with the kernel) or /proc/config.gz (CONFIG_IKCONFIG_PROC).
// libbpf reads the same two for `__kconfig` externs, but libbpf 1.1 (Debian 12) then refuses to
// load an object when neither exists, even for externs marked weak: programs that can do
// without a value take it from here, through .rodata, and fall back when it is unknown.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

let cached: Map<string, string> | null | undefined;

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
    const m = new Map<string, string>();
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (line.startsWith('CONFIG_') && eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return m;
  }
  return null;
}

/** One option's value as written in the config ("y", "250", "\"…\""); undefined when unknown. */
export function kernelConfig(name: string): string | undefined {
  if (cached === undefined) cached = read();
  return cached?.get(name);
}

/** The length of a jiffy in ns as the kernel counts it (TICK_NSEC from CONFIG_HZ); 0 when unknown. */
export function jiffyNs(): number {
  const hz = Number(kernelConfig('CONFIG_HZ'));
  return Number.isInteger(hz) && hz >= 24 && hz <= 10_000 ? Math.floor((1e9 + Math.floor(hz / 2)) / hz) : 0;
}
