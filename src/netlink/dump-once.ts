// One-shot dumps for short-lived readers (the CLI's read commands, config apply): a fresh socket
// in the namespace, blocking reads of the answer (native/src/netlink_dump.cc) and the messages
// walked in place. No Handle, hence no `netlink` package, no event-loop round trip per receive
// and no object per message: for a 4,000-link dump that was most of the time a fresh
// `nodectl link list` spent next to `ip link` (bench/link-dump). Long-lived code (daemons)
// keeps using Handle, which never blocks the event loop.
import { closeSync } from 'node:fs';
import native from '../../native/index.js';
import { NLMSG_DONE, NLMSG_ERROR, parseAck } from './ack.js';
import { DumpInterruptedError, NLM_F_DUMP, NLM_F_DUMP_INTR, refusal, type RequestOptions } from './handle.js';
import { withNetns } from './netns.js';

const NETLINK_ROUTE = 0;
const NLMSG_HDRLEN = 16;
const NLM_F_MULTI = 0x2;
/** Bytes per recv(): more than the kernel's 32 KiB cap on dump skbs, so each one fits. */
const RECV_BUFFER = 64 << 10;

let recvBuf: Buffer | null = null;

/**
 * Send the request and hand each receive to onChunk(buf, end): whole reply messages in
 * buf[0, end), up to (not including) the NLMSG_DONE/ERROR that ends the dump. buf is reused by
 * the next receive. A refusal throws what Handle.request would. A message marked
 * NLM_F_DUMP_INTR (the table changed during the dump) throws DumpInterruptedError at once,
 * before its receive is handed on: what was handed on so far is to be thrown away, and the
 * caller reads again (consistently() in handle.ts).
 */
function readReplies(
  netns: string | undefined, type: number, payload: Uint8Array, opts: RequestOptions, onChunk: (buf: Buffer, end: number) => void,
  index?: { rows: Int32Array; hdrLen: number },
): void {
  const fd = withNetns(netns, () => native.netlinkDumpOpen(NETLINK_ROUTE, type, NLM_F_DUMP, payload));
  // Not from the pool: decoders read 32-bit words, which needs a 4-aligned start. One buffer,
  // reused, so the bytes are still in cache when they are decoded.
  const buf = (recvBuf ??= Buffer.allocUnsafeSlow(RECV_BUFFER));
  try {
    for (;;) {
      const n = index ? native.netlinkDumpRead(fd, buf, index.rows, index.hdrLen) : native.netlinkDumpRead(fd, buf);
      let p = 0;
      let last = false;
      while (p + NLMSG_HDRLEN <= n) {
        const len = buf.readUInt32LE(p);
        if (len < NLMSG_HDRLEN || p + len > n) break;
        const mtype = buf.readUInt16LE(p + 4);
        const flags = buf.readUInt16LE(p + 6);
        if (flags & NLM_F_DUMP_INTR) throw new DumpInterruptedError(type, 1, opts);
        if (mtype === NLMSG_ERROR || mtype === NLMSG_DONE) {
          const ack = parseAck(buf.subarray(p + NLMSG_HDRLEN, p + len), flags, mtype === NLMSG_DONE);
          if (ack.errno !== 0) throw refusal(type, ack, opts, Buffer.from(payload));
          last = true;
          break;
        }
        p += (len + 3) & ~3;
        if (!(flags & NLM_F_MULTI)) {
          last = true;
          break;
        }
      }
      if (p > 0) onChunk(buf, p);
      if (last) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Dump every object of a kind, streaming: fn(buf, type, start, end) for each reply message, its
 * payload at buf[start, end) in place. buf is reused by the next receive, so fn must copy what it
 * keeps (the decoders make strings and numbers).
 */
export function dumpEach(
  netns: string | undefined, type: number, payload: Uint8Array, opts: RequestOptions,
  fn: (buf: Buffer, type: number, start: number, end: number) => void,
): void {
  readReplies(netns, type, payload, opts, (buf, end) => {
    for (let p = 0; p < end; ) {
      const len = buf.readUInt32LE(p);
      fn(buf, buf.readUInt16LE(p + 4), p + NLMSG_HDRLEN, p + len);
      p += (len + 3) & ~3;
    }
  });
}

/** Ints per index row: [start, end) for each attribute type below 72 (native/src/netlink_dump.cc). */
export const INDEX_ROW = 144;
let indexRows: Int32Array | null = null;

/**
 * dumpEach with each message's top-level attributes indexed natively while it is received:
 * fn(buf, type, start, end, idx, row) gets [start, end) of the value of attribute type t at
 * idx[row + 2t], idx[row + 2t + 1] (start 0 when absent), the attributes being those after the
 * message's fixed header of hdrLen bytes; row is -1 for a message the index had no room for
 * (the caller walks that one itself). idx is reused like buf.
 */
export function dumpEachIndexed(
  netns: string | undefined, type: number, payload: Uint8Array, opts: RequestOptions, hdrLen: number,
  fn: (buf: Buffer, type: number, start: number, end: number, idx: Int32Array, row: number) => void,
): void {
  // Room for every message a receive can hold (each at least a header and its fixed part).
  const rows = (indexRows ??= new Int32Array(Math.ceil(RECV_BUFFER / 32) * INDEX_ROW));
  const capacity = rows.length / INDEX_ROW;
  readReplies(netns, type, payload, opts, (buf, end) => {
    let i = 0;
    for (let p = 0; p < end; i++) {
      const len = buf.readUInt32LE(p);
      fn(buf, buf.readUInt16LE(p + 4), p + NLMSG_HDRLEN, p + len, rows, i < capacity ? i * INDEX_ROW : -1);
      p += (len + 3) & ~3;
    }
  }, { rows, hdrLen });
}
