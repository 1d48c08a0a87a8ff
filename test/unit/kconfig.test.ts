// Reading CONFIG_HZ from a kernel config as the wire tracer's loader does, and the tick length
// the kernel derives from it (TICK_NSEC = (NSEC_PER_SEC + HZ/2) / HZ).
import test from 'ava';
import { parseKernelConfig, tickNs } from 'ebpf-ts';

const SAMPLE = [
  '#',
  '# Automatically generated file; DO NOT EDIT.',
  '# CONFIG_HZ_100 is not set',
  'CONFIG_HZ_250=y',
  'CONFIG_HZ=250',
  'CONFIG_LOCALVERSION=""',
  'CONFIG_DEFAULT_HOSTNAME="(none)"\r',
  '',
].join('\n');

test('options are read as written; "is not set" comments are not options', (t) => {
  const m = parseKernelConfig(SAMPLE);
  t.is(m.get('CONFIG_HZ'), '250');
  t.is(m.get('CONFIG_HZ_250'), 'y');
  t.is(m.get('CONFIG_LOCALVERSION'), '""');
  t.is(m.get('CONFIG_DEFAULT_HOSTNAME'), '"(none)"');
  t.false(m.has('CONFIG_HZ_100'));
  t.is(m.size, 4);
});

test('the tick in ns from CONFIG_HZ, 0 when it is missing or not a plausible HZ', (t) => {
  t.is(tickNs('100'), 10_000_000);
  t.is(tickNs('250'), 4_000_000);
  t.is(tickNs('300'), 3_333_333);
  t.is(tickNs('1000'), 1_000_000);
  for (const bad of [undefined, '', 'y', '0', '-250', '2.5', '1000000']) t.is(tickNs(bad), 0, String(bad));
});
