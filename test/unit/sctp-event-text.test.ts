// An event's text line names it as its --json does: one name per event (issue 23: the text
// said "rtx-burst" where the JSON said "retrans-burst").
import test from 'ava';
import type { WireEvent } from '../../src/sctp/model.js';
import { renderEvent } from '../../src/sctp/render.js';

test('sctp trace text: a retransmission burst is "retrans-burst", as in --json', (t) => {
  const e: WireEvent = {
    type: 'retrans-burst', tsNs: 0, association: '192.0.2.1:5000-192.0.2.2:5001', ifindex: 2,
    endpoints: [{ address: '192.0.2.1', port: 5000 }, { address: '192.0.2.2', port: 5001 }], by: 0,
    cause: null, causeName: null, value: 5, durationMs: 420,
  };
  const line = renderEvent(e, new Date(0));
  t.regex(line, new RegExp(`^\\S+ ${e.type} `), line);
  t.notRegex(line, /rtx-burst/);
  t.regex(line, /5 retransmissions within/);
});
