// Text renderings of ARP results for the terminal (the --json output is the result itself).
import { ARP_KEY_NAMES, type ArpPolicy, type ArpSetResult, type ArpValues } from './policy.js';
import { formatTable } from '../text.js';

/**
 * One row per interface, one column per key, like a sysctl matrix. A cell shows the
 * interface's own value; when the kernel acts on another one (because of the all row) it
 * reads `own→effective`, so a surprise is visible at a glance.
 */
export function renderArpPolicy(p: ArpPolicy): string[] {
  const head = ['IFACE', ...ARP_KEY_NAMES];
  const rows: string[][] = [];
  const plain = (name: string, v: ArpValues): string[] => [name, ...ARP_KEY_NAMES.map((k) => String(v[k]))];
  rows.push(plain('all', p.all));
  rows.push(plain('default', p.default));
  for (const r of p.interfaces) {
    rows.push([r.ifname, ...ARP_KEY_NAMES.map((k) => {
      const s = r.settings[k];
      return s.effective === s.value ? String(s.value) : `${s.value}→${s.effective}`;
    })]);
  }
  const out = formatTable(head, rows).split('\n');
  if (p.interfaces.some((r) => ARP_KEY_NAMES.some((k) => r.settings[k].source === 'all'))) {
    out.push('', 'a→b: the interface has a, the kernel uses b because of the all row');
  }
  return out;
}

export function renderArpSet(r: ArpSetResult): string[] {
  const keys = Object.keys(r.after) as (keyof ArpValues)[];
  return keys.map((k) => {
    const was = r.before[k] === r.after[k] ? 'unchanged' : `was ${r.before[k]}`;
    const eff = r.effective?.[k];
    const note = eff && eff.effective !== eff.value ? `; effective ${eff.effective} from the all row` : '';
    return `${r.ifname} ${k}=${r.after[k]} (${was}${note})`;
  });
}
