import { errnoName } from '../errors.js';

// struct nlmsgerr and its extended-ACK TLVs (include/uapi/linux/netlink.h). The `netlink`
// package reads only the errno of an ERROR message and drops the kernel's text, so this is
// decoded here.
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;
const NLMSGERR_ATTR_MISS_TYPE = 5;

export interface Ack {
  /** 0 for a plain ACK, else the positive errno. */
  errno: number;
  errnoName: string;
  /** The kernel's own sentence (NLMSGERR_ATTR_MSG), when it gave one. */
  message?: string;
  /** Byte offset of the offending attribute in the request. */
  offset?: number;
  /** Attribute type the kernel found missing. */
  missingType?: number;
}

/**
 * Decode the payload of an NLMSG_ERROR message (everything after the outer nlmsghdr), or with
 * done=true of an NLMSG_DONE ending a dump: its int is the dump's error (0 when it went through)
 * and its TLVs follow at once, with no echoed request.
 */
export function parseAck(data: Buffer, flags: number, done = false): Ack {
  const raw = data.length >= 4 ? data.readInt32LE(0) : 0;
  const errno = -raw;
  const ack: Ack = { errno, errnoName: errno === 0 ? 'OK' : errnoName(errno) };
  if (!(flags & NLM_F_ACK_TLVS) || data.length < (done ? 8 : 20)) return ack;
  // The echoed request header follows; with NLM_F_CAPPED only the 16-byte header is echoed.
  const echoedLen = done ? 0 : flags & NLM_F_CAPPED ? 16 : data.readUInt32LE(4);
  let off = 4 + align4(echoedLen);
  while (off + 4 <= data.length) {
    const len = data.readUInt16LE(off);
    const type = data.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4 || off + len > data.length) break;
    const val = data.subarray(off + 4, off + len);
    if (type === NLMSGERR_ATTR_MSG) ack.message = val.toString('utf8').replace(/\0.*$/s, '');
    else if (type === NLMSGERR_ATTR_OFFS && val.length >= 4) ack.offset = val.readUInt32LE(0);
    else if (type === NLMSGERR_ATTR_MISS_TYPE && val.length >= 4) ack.missingType = val.readUInt32LE(0);
    off += align4(len);
  }
  return ack;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}
