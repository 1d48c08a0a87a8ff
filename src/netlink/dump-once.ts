// One-shot dumps for short-lived readers (the CLI's read commands): a fresh socket in the
// namespace, one blocking read of the whole answer into one buffer (native/src/netlink_dump.cc),
// and the messages walked in place. No Handle, hence no `netlink` package, no event-loop round
// trip per receive and no object per message: for a 4,000-link dump that was most of the time a
// fresh `nodectl link list` spent next to `ip link` (bench/link-dump). Long-lived code (daemons,
// apply) keeps using Handle, which never blocks the event loop.
import native from '../../native/index.js';
import { NLMSG_DONE, NLMSG_ERROR, parseAck } from './ack.js';
import { NLM_F_DUMP, refusal, type RequestOptions } from './handle.js';
import { withNetns } from './netns.js';

const NETLINK_ROUTE = 0;
const NLMSG_HDRLEN = 16;

/**
 * The kernel's whole answer to a dump request, as one buffer of nlmsghdr-framed messages; a
 * refusal (NLMSG_ERROR, or an error in the closing NLMSG_DONE) throws what Handle.request would.
 * Walk the messages with forEachMessage.
 */
export function dumpOnce(netns: string | undefined, type: number, payload: Uint8Array, opts: RequestOptions = {}): Buffer {
  const buf = withNetns(netns, () => native.netlinkDump(NETLINK_ROUTE, type, NLM_F_DUMP, payload));
  // Only the last message can end the dump; the native side stops reading there.
  let last = -1;
  for (let p = 0; p + NLMSG_HDRLEN <= buf.length; ) {
    last = p;
    p += (buf.readUInt32LE(p) + 3) & ~3;
  }
  if (last >= 0) {
    const mtype = buf.readUInt16LE(last + 4);
    if (mtype === NLMSG_ERROR || mtype === NLMSG_DONE) {
      const ack = parseAck(buf.subarray(last + NLMSG_HDRLEN, last + buf.readUInt32LE(last)), buf.readUInt16LE(last + 6), mtype === NLMSG_DONE);
      if (ack.errno !== 0) throw refusal(type, ack, opts);
    }
  }
  return buf;
}

/**
 * Call fn(payloadStart, payloadEnd) for each message of type `type` in a dumpOnce buffer. The
 * payload is addressed in place (no Buffer per message): buf[payloadStart, payloadEnd).
 */
export function forEachMessage(buf: Buffer, type: number, fn: (start: number, end: number) => void): void {
  for (let p = 0; p + NLMSG_HDRLEN <= buf.length; ) {
    const len = buf.readUInt32LE(p);
    if (len < NLMSG_HDRLEN || p + len > buf.length) break;
    if (buf.readUInt16LE(p + 4) === type) fn(p + NLMSG_HDRLEN, p + len);
    p += (len + 3) & ~3;
  }
}
