// Stall, throttle and loss detection: the questions operators ask of an SCTP transport
// ("is it moving?", "who is holding it back?", "is the path losing?"). Pure functions of one
// or two decoded snapshots, so every rule is unit tested with an injected clock.
import { count } from '../text.js';
import { endpointText, PATH_FAIL_AFTER, pathStates, refreshAddressStates, type Association, type DirStats } from './model.js';

export interface DetectOptions {
  /** Data outstanding and no cumulative-TSN progress for this long → stalled (default 2000). */
  stallAfterMs: number;
  /** Retransmitted / sent DATA at or above this ratio → lossy (default 0.05). */
  lossyRatio: number;
  /** ... counted over at least this many DATA chunks (default 20), so one retransmit of two chunks is not "50 % loss". */
  lossyMinChunks: number;
  /**
   * No packet for this long and neither SHUTDOWN COMPLETE nor ABORT seen → the association is
   * "gone" (default 5 min): its row is closed, never "established, stalled" forever.
   */
  expireAfterMs: number;
  /** HEARTBEATs unanswered in a row on a path that mark it failed (default 3: model.ts pathStates). */
  pathFailAfter: number;
}

export const DEFAULT_DETECT: DetectOptions = { stallAfterMs: 2000, lossyRatio: 0.05, lossyMinChunks: 20, expireAfterMs: 300_000, pathFailAfter: PATH_FAIL_AFTER };

/** Did the association vanish without SHUTDOWN / ABORT (no packet for expireAfterMs)? */
export function expired(a: Pick<Association, 'state' | 'lastSeenAgoMs'>, expireAfterMs = DEFAULT_DETECT.expireAfterMs): boolean {
  return a.state !== 'closed' && a.state !== 'aborted' && a.lastSeenAgoMs >= expireAfterMs;
}

/** The association as the readers show it: state "gone" once expired (the record itself is left as the tracer wrote it). */
export function withExpiry(a: Association, opts: Partial<DetectOptions> = {}): Association {
  const out = a.state !== 'gone' && expired(a, opts.expireAfterMs ?? DEFAULT_DETECT.expireAfterMs) ? { ...a, state: 'gone' as const } : a;
  // path states were decided with the default count when decoded: another --path-fail-after decides them again
  if (opts.pathFailAfter === undefined || opts.pathFailAfter === PATH_FAIL_AFTER || out.paths.length === 0) return out;
  const paths = out.paths.map((p) => ({ ...p }));
  pathStates(paths, opts.pathFailAfter);
  const again = { ...out, paths };
  return { ...again, addresses: refreshAddressStates(again) };
}

/**
 * impaired: the association lives but one of its paths has failed (its HEARTBEATs went
 * unanswered --path-fail-after times): what Oracle's DSR calls "SCTP Connection Impaired" and
 * Ericsson "SCTP IP Path is Down". It still carries traffic over its other paths, if any.
 */
export type Condition = 'stalled' | 'throttled' | 'lossy' | 'impaired';

export interface Finding {
  condition: Condition;
  /** The endpoint whose DATA is affected (the sender). */
  sender: 0 | 1;
  detail: string;
}

export interface Health {
  conditions: Condition[];
  findings: Finding[];
}

/**
 * Assess one association. With `previous` (an earlier snapshot of the same association) the
 * loss ratio is computed over the interval; without, over the association's lifetime.
 */
/** What assess() compares with an earlier look at the same association. */
export interface PreviousCounts { dir: [Pick<DirStats, 'dataChunks' | 'retransChunks'>, Pick<DirStats, 'dataChunks' | 'retransChunks'>] }

export function assess(a: Association, opts: Partial<DetectOptions> = {}, previous?: PreviousCounts): Health {
  const o = { ...DEFAULT_DETECT, ...opts };
  const live = a.state !== 'aborted' && a.state !== 'closed' && !expired(a, o.expireAfterMs);
  const findings: Finding[] = [];
  for (const s of [0, 1] as const) {
    const me = a.dir[s];
    const peer = a.dir[s ^ 1 as 0 | 1];
    const sender = endpointText(a.endpoints[s]);
    const receiver = endpointText(a.endpoints[s ^ 1]);

    // The receiver advertising a zero window is flow control working as designed, but the
    // sender can only probe: name who throttles whom.
    if (peer.zeroWindow) {
      findings.push({
        condition: 'throttled', sender: s,
        detail: `throttled by receiver: ${receiver} advertises a_rwnd 0${peer.zeroWindowForMs !== null ? ` for ${fmtMs(peer.zeroWindowForMs)}` : ''}, ${sender} cannot send`,
      });
    }

    // Heartbeats prove the path, not progress: only the cumulative TSN counts.
    if (me.outstanding && me.sinceProgressMs !== null && me.sinceProgressMs >= o.stallAfterMs && live) {
      const hb = me.heartbeatAcks + peer.heartbeatAcks > 0 ? ', heartbeats still answered' : '';
      const n = me.outstandingTsns !== null ? `${me.outstandingTsns} TSN${me.outstandingTsns === 1 ? '' : 's'} outstanding` : 'data outstanding';
      findings.push({
        condition: 'stalled', sender: s,
        detail: `stalled: ${sender} → ${receiver} made no cumulative TSN progress for ${fmtMs(me.sinceProgressMs)} with ${n}${hb}`,
      });
    }

    const prev = previous?.dir[s];
    const data = prev && me.dataChunks >= prev.dataChunks ? me.dataChunks - prev.dataChunks : me.dataChunks;
    const retrans = prev && me.retransChunks >= prev.retransChunks ? me.retransChunks - prev.retransChunks : me.retransChunks;
    if (data >= o.lossyMinChunks && retrans / data >= o.lossyRatio) {
      findings.push({
        condition: 'lossy', sender: s,
        detail: `lossy: ${sender} → ${receiver} retransmitted ${retrans} of ${count(data, 'DATA chunk')} (${(100 * retrans / data).toFixed(1)} %)${me.spuriousRetrans ? `, ${me.spuriousRetrans} spurious` : ''}`,
      });
    }
  }
  const failed = live ? a.paths.filter((p) => !p.mirror && p.state === 'failed') : [];
  if (failed.length) {
    const others = a.paths.filter((p) => !p.mirror && p.state !== 'failed').length;
    for (const p of failed) {
      const by: 0 | 1 = p.dir[1].hbUnanswered > p.dir[0].hbUnanswered ? 1 : 0;
      const n = p.dir[by].hbUnanswered;
      findings.push({
        condition: 'impaired', sender: by,
        detail: `impaired: path ${p.endpoints[0].address} ↔ ${p.endpoints[1].address} dev ${p.ifname ?? p.ifindex} failed (${count(n, 'heartbeat')} from ${endpointText(a.endpoints[by])} unanswered); ${others ? `the association carries on over ${count(others, 'other path')}` : 'no path left that answers'}`,
      });
    }
  }
  const conditions = [...new Set(findings.map((f) => f.condition))];
  return { conditions, findings };
}

export function fmtMs(v: number): string {
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 120_000) return `${(v / 1000).toFixed(1)} s`;
  return `${Math.round(v / 60_000)} min`;
}
