// iproute2's own spelling of a veth's other end, after `type veth`: `peer name NAME [netns NS]`
// (ip-link(8); `peer NAME` too, options in any order), so that a line from an `ip` script works
// as it is. nodectl's flags (--peer, --peer-netns) say the same; this turns the words into them.
import { UsageError } from '../errors.js';

export interface VethPeerWords {
  peer?: string;
  peerNetns?: string;
}

/** The words after KIND, or a one-line usage error naming what is not understood. */
export function vethPeerWords(kind: string, words: readonly string[]): VethPeerWords {
  if (words.length === 0) return {};
  if (kind !== 'veth') {
    throw new UsageError(`unexpected ${words.map((w) => `"${w}"`).join(' ')} after type ${kind}: only veth takes words there (peer name NAME [netns NS]); the options of ${kind} are flags (see --help)`);
  }
  if (words[0] !== 'peer') throw new UsageError(`expected "peer" after type veth, not "${words[0]}" (as in ip: peer name NAME [netns NS])`);
  const out: VethPeerWords = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const value = (): string => {
      const v = words[++i];
      if (v === undefined || v === '') throw new UsageError(`veth peer: "${w}" needs a value`);
      return v;
    };
    if (w === 'name' || w === 'dev') {
      if (out.peer !== undefined) throw new UsageError(`veth peer: the name is given twice ("${out.peer}", then ${w})`);
      out.peer = value();
    } else if (w === 'netns') {
      if (out.peerNetns !== undefined) throw new UsageError('veth peer: netns is given twice');
      out.peerNetns = value();
    } else if (out.peer === undefined && !/^(address|mtu|link|master|group|txqueuelen|numtxqueues|numrxqueues|type|up|down|addrgenmode)$/.test(w)) {
      out.peer = w;
    } else {
      throw new UsageError(`veth peer: "${w}" is not understood here (only name NAME and netns NS; set the rest on the peer afterwards)`);
    }
  }
  if (out.peer === undefined) throw new UsageError('veth peer: the name of the other end is missing (peer name NAME)');
  return out;
}
