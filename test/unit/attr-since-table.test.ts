// attr-since.ts has no list of its own: what it refuses is derived from the link kind tables'
// `since` (link-kinds.ts). Shown by changing the tables before attr-since.ts is first loaded (a
// copied list could not know the change) and by checking the rule over every table entry.
import test from 'ava';
import { type AttrDef, BRIDGE_PORT, IFLA, IFLA_SINCE, KIND_TABLE, SLAVE_TABLE } from '../../src/netlink/link-kinds.js';

// This file's own module graph (ava runs each test file in its own worker): the change is seen
// here only. An attribute no kernel has, and LOCKED dated later than it is.
const portAttrs = BRIDGE_PORT.attrs as AttrDef[];
portAttrs.push({ name: 'IFLA_BRPORT_TEST_ONLY', id: 99, type: 'u32', key: 'testOnly', since: '6.9', absent: 0 });
const locked = portAttrs.findIndex((d) => d.name === 'IFLA_BRPORT_LOCKED');
portAttrs[locked] = { ...portAttrs[locked]!, since: '6.1' };
const { AFTER_FLOOR, AT_FLOOR, KERNEL_FLOOR, kernelAtLeast, tooNewFor } = await import('../../src/netlink/attr-since.js');

/** The release just before `v` (major.minor): 6.2 -> 6.1, 6.0 -> 5.99. */
function before(v: string): string {
  const [maj, min] = v.split('.').map(Number) as [number, number];
  return min > 0 ? `${maj}.${min - 1}.0` : `${maj - 1}.99.0`;
}

test('a change to the tables is a change to the refusals', (t) => {
  t.deepEqual(tooNewFor([{ name: 'IFLA_BRPORT_TEST_ONLY', value: 1 }], '6.8.0'), [{ attribute: 'IFLA_BRPORT_TEST_ONLY', minKernel: '6.9' }]);
  t.deepEqual(tooNewFor([{ name: 'IFLA_BRPORT_TEST_ONLY', value: 0 }], '6.8.0'), [], 'its `absent` value is not refused');
  t.deepEqual(tooNewFor(['IFLA_BRPORT_LOCKED'], '6.0.0'), [{ attribute: 'IFLA_BRPORT_LOCKED', minKernel: '6.1' }]);
  t.deepEqual(tooNewFor(['IFLA_BRPORT_LOCKED'], '6.1.0'), []);
});

test('every attribute with a `since` after the floor is refused below it and only there; nothing else is refused', (t) => {
  const all = [...new Set([...KIND_TABLE.values(), ...SLAVE_TABLE.values()])].flatMap((tb) => tb.attrs);
  const dated = new Map<string, { since: string; absent?: number }>();
  for (const [k, since] of Object.entries(IFLA_SINCE)) dated.set(`IFLA_${k}`, { since });
  for (const d of all) if (d.since !== undefined) dated.set(d.name, { since: d.since, ...(d.absent !== undefined ? { absent: d.absent } : {}) });
  const late = [...dated].filter(([, v]) => !kernelAtLeast(v.since, KERNEL_FLOOR));
  t.true(late.length >= 7, 'the six bridge port options after 5.10, and the test one');
  // the exported lists are the tables', exactly
  t.deepEqual(Object.keys(AFTER_FLOOR).sort(), late.map(([n]) => n).sort());
  t.deepEqual([...AT_FLOOR].sort(), [...dated.keys()].filter((n) => !(n in AFTER_FLOOR)).sort());
  for (const [name, { since, absent }] of late) {
    const value = absent === undefined ? 1 : absent + 1; // not what an older kernel does without it
    t.deepEqual(tooNewFor([{ name, value }], before(since)), [{ attribute: name, minKernel: since }], `${name} refused on ${before(since)}`);
    t.deepEqual(tooNewFor([name], `${KERNEL_FLOOR}.0`), [{ attribute: name, minKernel: since }], `${name} refused on the floor`);
    t.deepEqual(tooNewFor([{ name, value }], `${since}.0`), [], `${name} accepted on ${since}`);
    if (absent !== undefined) t.deepEqual(tooNewFor([{ name, value: absent }], `${KERNEL_FLOOR}.0`), [], `${name} at ${absent} accepted on the floor`);
  }
  // every other name the tables know, and every top-level one, passes on the floor kernel
  const others = [...new Set([...all.map((d) => d.name), ...Object.keys(IFLA).map((k) => `IFLA_${k}`)])].filter((n) => !late.some(([l]) => l === n));
  t.true(others.length > 100);
  t.deepEqual(tooNewFor(others.map((name) => ({ name, value: 7 })), `${KERNEL_FLOOR}.0`), []);
  // an attribute the tables do not date is not refused, on any kernel
  t.deepEqual(tooNewFor(['IFLA_BRPORT_NOT_IN_ANY_TABLE'], '3.0'), []);
});
