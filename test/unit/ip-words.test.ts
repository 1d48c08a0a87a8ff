// `link add NAME type veth peer name PEER [netns NS]`, as ip spells it (src/cli/ip-words.ts).
import test from 'ava';
import { vethPeerWords } from '../../src/cli/ip-words.js';
import { UsageError } from '../../src/errors.js';

test('the spellings ip takes for the other end', (t) => {
  t.deepEqual(vethPeerWords('veth', []), {});
  t.deepEqual(vethPeerWords('veth', ['peer', 'name', 've0b']), { peer: 've0b' });
  t.deepEqual(vethPeerWords('veth', ['peer', 'name', 've0b', 'netns', 'blue']), { peer: 've0b', peerNetns: 'blue' });
  t.deepEqual(vethPeerWords('veth', ['peer', 'netns', 'blue', 'name', 've0b']), { peer: 've0b', peerNetns: 'blue' });
  t.deepEqual(vethPeerWords('veth', ['peer', 've0b', 'netns', 'blue']), { peer: 've0b', peerNetns: 'blue' });
});

test('anything else is a one-line usage error', (t) => {
  for (const [kind, words, msg] of [
    ['bridge', ['peer', 'name', 'x'], /only veth takes words there/],
    ['veth', ['name', 'x'], /expected "peer" after type veth, not "name"/],
    ['veth', ['peer'], /name of the other end is missing/],
    ['veth', ['peer', 'netns', 'blue'], /name of the other end is missing/],
    ['veth', ['peer', 'name'], /"name" needs a value/],
    ['veth', ['peer', 'name', 'a', 'name', 'b'], /given twice/],
    ['veth', ['peer', 'name', 'a', 'mtu', '1400'], /"mtu" is not understood here/],
    ['veth', ['peer', 'name', 'a', 'netns', 'x', 'netns', 'y'], /netns is given twice/],
  ] as const) {
    const err = t.throws(() => vethPeerWords(kind, words), { instanceOf: UsageError }, words.join(' '));
    t.regex(err.message, msg);
    t.false(err.message.includes('\n'));
  }
});
