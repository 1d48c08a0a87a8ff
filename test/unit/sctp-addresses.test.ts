// The addresses log (struct sw_addrs of sctp_addrs) replayed into each endpoint's addresses,
// on bytes laid out as the program writes them: announced, deleted, re-announced, used by a
// path or not, and what the path states make of each.
import test from 'ava';
import { addressesOf, decodeAddressLogs, refreshAddressStates, type Association, type Path } from '../../src/sctp/model.js';
import { SwAddrs, SwKey } from '../../src/sctp/generated/sctp-wire.js';
import { SW_MAX_ADDRS } from '../../src/sctp/wire-consts.js';
import { encodeStruct } from '../helpers/sctp-records.js';

const v4 = (a: string) => Buffer.concat([Buffer.from(a.split('.').map(Number)), Buffer.alloc(12)]);
const OP = { init: 1, 'init-ack': 2, asconf: 3, add: 4, delete: 5 } as const;

function dump(ops: [Array<[string, keyof typeof OP]>, Array<[string, keyof typeof OP]>], dropped: [number, number] = [0, 0]) {
  const key = encodeStruct(SwKey, { addr: [v4('10.1.0.1'), v4('10.1.0.2')], port: [5000, 6000], ifindex: 7, family: 4 });
  const a = ops.map((list) => Array.from({ length: SW_MAX_ADDRS }, (_, i) => (list[i] ? { addr: v4(list[i]![0]), family: 4, op: OP[list[i]![1]] } : {})));
  const value = encodeStruct(SwAddrs, { a, n: ops.map((l) => Math.min(l.length, SW_MAX_ADDRS)), dropped });
  return { count: 1, keys: key, values: value };
}

const path = (a: string, b: string, state: Path['state'], mirror = false): Path => ({ endpoints: [{ address: a, port: 5000 }, { address: b, port: 6000 }], state, mirror } as unknown as Path);

test('the log is keyed by the association id and replayed in order: deleted addresses go, the others stay unconfirmed until a path uses them', (t) => {
  const logs = decodeAddressLogs(dump([
    [['10.1.1.1', 'init'], ['10.1.2.1', 'init'], ['10.1.2.1', 'delete'], ['10.1.3.1', 'add'], ['10.1.0.1', 'asconf']],
    [['10.1.1.2', 'init-ack']],
  ], [0, 2]));
  const log = logs.get('10.1.0.1:5000-10.1.0.2:6000@7');
  t.truthy(log, [...logs.keys()].join());
  t.deepEqual(log!.dropped, [0, 2]);
  const paths = [path('10.1.0.1', '10.1.0.2', 'active'), path('10.1.1.1', '10.1.1.2', 'failed'), path('10.1.9.1', '10.1.9.2', 'standby', true)];
  const [a, b] = addressesOf(paths, log);
  t.deepEqual(a, [
    { address: '10.1.0.1', from: 'path', state: 'active' }, // its ASCONF's own Address Parameter: still the path's
    { address: '10.1.1.1', from: 'init', state: 'failed' },
    { address: '10.1.3.1', from: 'asconf', state: 'unconfirmed' },
  ]);
  t.deepEqual(b, [{ address: '10.1.0.2', from: 'path', state: 'active' }, { address: '10.1.1.2', from: 'init-ack', state: 'failed' }]);
  // without a log: the paths' addresses only (the mirror's are another tap's view of a path)
  t.deepEqual(addressesOf(paths).map((l) => l.map((x) => x.address)), [['10.1.0.1', '10.1.1.1'], ['10.1.0.2', '10.1.1.2']]);
  // path states decided again (another --path-fail-after): the addresses follow
  const assoc = { paths: [paths[0], { ...paths[1], state: 'standby' }, paths[2]], addresses: [a, b] } as unknown as Association;
  t.is(refreshAddressStates(assoc)[0][1]!.state, 'standby');
  t.is(refreshAddressStates(assoc)[0][2]!.state, 'unconfirmed');
});

test('an address deleted and announced again is back, once', (t) => {
  const log = decodeAddressLogs(dump([[['10.1.1.1', 'init'], ['10.1.1.1', 'delete'], ['10.1.1.1', 'add'], ['10.1.1.1', 'add']], []])).get('10.1.0.1:5000-10.1.0.2:6000@7')!;
  t.deepEqual(addressesOf([path('10.1.0.1', '10.1.0.2', 'active')], log)[0].map((x) => [x.address, x.from]), [['10.1.0.1', 'path'], ['10.1.1.1', 'asconf']]);
});
