// `link list --json` written natively (native/src/link_json.cc): a link dump decoded straight
// into the bytes the TypeScript path prints, JSON.stringify(linksJson(toViews(listLinksOnce(netns))),
// null, indent) + '\n' (iproute2's keys: src/interfaces/link-json.ts), in one write. A cold process otherwise spends more time decoding, building and
// stringifying 4,000 links than the kernel spends dumping them (bench/link-dump). Kept apart from
// link.ts, with nothing but the addon and withNetns, so the executable's entry for this command
// (src/cli/fast-link-json.ts) loads little. Parity: test/unit/link-json.test.ts and
// test/netns/link-json.test.ts.
import { closeSync } from 'node:fs';
import native from '../../native/index.js';
import { withNetns } from './netns.js';

const NETLINK_ROUTE = 0;
const RTM_GETLINK = 18;
const NLM_F_DUMP = 0x300;

/**
 * Write the JSON of every link in the namespace to fd, indented by `indent` (-1: as writeJson
 * indents stdout, 2 when fd is a terminal, else not at all). false: nothing was written, because the
 * links hold something the native writer does not render exactly like the TypeScript decoder (a
 * string that is not UTF-8, an attribute shorter than its type) or the kernel refused the dump;
 * the caller then takes the TypeScript path, which prints or says why. A namespace that cannot be
 * entered throws what every reader throws (withNetns).
 */
export function writeLinkListJson(netns: string | undefined, indent: number, fd: number): boolean {
  const sock = withNetns(netns, () => native.netlinkDumpOpen(NETLINK_ROUTE, RTM_GETLINK, NLM_F_DUMP, new Uint8Array(16) /* ifinfomsg */));
  try {
    return native.linkListJson(sock, indent, fd) === true;
  } finally {
    closeSync(sock);
  }
}

/** The same JSON for recorded dump bytes (nlmsghdr-framed messages), or null (see writeLinkListJson). */
export function linkListJsonOf(messages: Uint8Array, indent: number): Buffer | null {
  return native.linkListJson(messages, indent) as Buffer | null;
}
