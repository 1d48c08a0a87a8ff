// Events the wire program cannot raise itself, found by comparing two looks at the association
// table: a stall starts when time passes without a packet (no packet runs the program then),
// and loss, malformed chunks and a vanished association are judged over counters. The watcher
// keeps the previous look (an AssocTable: typed arrays, no object per association) and turns
// every change of a row's condition into an event of the same shape as the ring buffer's:
//
//   stall-start  an endpoint's DATA made no cumulative-TSN progress for --stall-after
//   stall-end    it moved again (reason "progress"), or the association ended while stalled
//                (reason "closed", "aborted", "gone", "restart"), with how long the stall lasted
//   lossy        retransmitted DATA reached --lossy percent of the DATA sent (lifetime ratio,
//                over at least 20 chunks, as `stats` judges it)
//   malformed    malformed chunks since the last look (value: how many)
//   gone         no packet for --expire-after without SHUTDOWN COMPLETE or ABORT: closed
//   path-down    a path of a multi-homed association failed (its heartbeats went unanswered
//                PATH_FAIL_AFTER times in a row: model.ts pathStates)
//   path-up      a failed path answers again
//   path-switch  the association's DATA moved to another path, with why it looks that way
//                (retransmissions on the new path, heartbeats unanswered on the old); on the
//                first look at an association, its DATA is taken to have started on its home
//                path (the one of the handshake)
//   impaired     a live association has a failed path (detect.ts: the association carries
//                on over its other paths, if any); value: failed paths
//   impaired-end no path failed any more (reason "paths-up"), or the association ended
//                (reason "closed", "aborted", "gone"), with how long it was impaired
//
// Events are stamped when seen (at most one check interval after the fact); durations are
// taken from the record's own times.
import { assess, fmtMs, type DetectOptions } from './detect.js';
import { endpointText, ms, type Association, type Path, type WireEvent } from './model.js';
import { ROW, type AssocTable } from './table.js';
import { count } from '../text.js';

export const WATCH_EVENTS = ['stall-start', 'stall-end', 'lossy', 'malformed', 'gone', 'path-down', 'path-up', 'path-switch', 'impaired', 'impaired-end'] as const;

/**
 * What the watcher keeps of a multi-path association between looks: per path (its id) its
 * state, retransmissions and unanswered heartbeats, and which path was active.
 */
export interface PathMemory { paths: Map<string, { state: Path['state']; retrans: number; unanswered: number }>; active: string | null }

const pathText = (p: Pick<Path, 'endpoints' | 'ifname' | 'ifindex'>) => `${endpointText(p.endpoints[0])}-${endpointText(p.endpoints[1])} dev ${p.ifname ?? p.ifindex}`;
const rtx = (p: Path) => p.dir[0].retransChunks + p.dir[1].retransChunks;
const unanswered = (p: Path) => Math.max(p.dir[0].hbUnanswered, p.dir[1].hbUnanswered);

/**
 * Path events of one association against what the last look saw of it. Within one look the
 * order is the likely order of what happened: downs, then a switch, then ups, except that a
 * path coming up goes before a switch to it. A switch away from a path that was down at the
 * last look and is up now happened while it was down (its DATA moved because it failed):
 * reporting its path-up first would tell the story backwards, and a look every 100 ms can
 * see both when the other end answers soon after the move.
 */
export function pathEvents(a: Association, m: PathMemory | undefined, ev: (type: string, by: 0 | 1, value: number, extra: Partial<WireEvent>) => WireEvent): { events: WireEvent[]; memory: PathMemory } {
  const downs: WireEvent[] = [];
  const ups: Array<{ id: string; event: WireEvent }> = [];
  const memory: PathMemory = { paths: new Map(), active: null };
  for (const p of a.paths) {
    memory.paths.set(p.id, { state: p.state, retrans: rtx(p), unanswered: unanswered(p) });
    if (p.state === 'active') memory.active = p.id;
    const was = m?.paths.get(p.id)?.state;
    const by: 0 | 1 = p.dir[1].hbUnanswered > p.dir[0].hbUnanswered ? 1 : 0;
    if (p.state === 'failed' && was !== 'failed') downs.push(ev('path-down', by, p.dir[by].hbUnanswered, { path: pathText(p) }));
    else if (was === 'failed' && p.state !== 'failed') ups.push({ id: p.id, event: ev('path-up', by, 0, { path: pathText(p) }) });
  }
  // the first look: DATA started on the home path
  const before = m ? m.active : a.paths.find((p) => p.home)?.id ?? null;
  // no path active now (the old one failed, DATA not yet elsewhere): the last one stays the reference
  memory.active ??= before;
  if (!(memory.active && before && memory.active !== before)) return { events: [...downs, ...ups.map((u) => u.event)], memory };
  const from = a.paths.find((p) => p.id === before);
  const to = a.paths.find((p) => p.id === memory.active)!;
  const why: string[] = [];
  const newRtx = rtx(to) - (m?.paths.get(to.id)?.retrans ?? 0);
  if (newRtx > 0) why.push(`${count(newRtx, 'retransmission')} on the new path`);
  // the old path may have answered again since the last look: its count then is the reason
  const old = from ? Math.max(unanswered(from), m?.paths.get(from.id)?.unanswered ?? 0) : 0;
  if (old > 0) why.push(`${count(old, 'heartbeat')} unanswered on the old`);
  const by: 0 | 1 = to.dir[1].lastDataAgoMs !== null && (to.dir[0].lastDataAgoMs === null || to.dir[1].lastDataAgoMs < to.dir[0].lastDataAgoMs) ? 1 : 0;
  const sw = ev('path-switch', by, newRtx > 0 ? newRtx : 0, { fromPath: from ? pathText(from) : before, path: pathText(to), reasons: why });
  const upTo = ups.filter((u) => u.id === to.id).map((u) => u.event);
  const otherUps = ups.filter((u) => u.id !== to.id).map((u) => u.event);
  return { events: [...downs, ...upTo, sw, ...otherUps], memory };
}

/** How often trace and serve look: a quarter of --stall-after, between 100 ms and 1 s. */
export function watchInterval(stallAfterMs: number): number {
  return Math.min(1000, Math.max(100, Math.round(stallAfterMs / 4)));
}

export class EventWatcher {
  #previous: AssocTable | undefined;
  /** Per multi-path association (its key), what the last look saw of its paths. */
  #paths = new Map<string, PathMemory>();
  /** Per impaired association (its key): since when (the look that saw it). */
  #impairedSince = new Map<string, number>();
  readonly #detect: Partial<DetectOptions>;

  constructor(detect: Partial<DetectOptions> = {}) {
    this.#detect = detect;
  }

  /** The table to hand to the next read (AssocTable's `previous`). */
  get previous(): AssocTable | undefined {
    return this.#previous;
  }

  /**
   * Compare `table` (read with `previous: watcher.previous`) with the last look; the events,
   * in a stable order per association (stall-end before gone, stall-start before lossy).
   */
  check(table: AssocTable, nowNs: number): WireEvent[] {
    const prev = this.#previous;
    const out: WireEvent[] = [];
    const paths = new Map<string, PathMemory>();
    for (let i = 0; i < table.count; i++) {
      if (table.paths(i) > 1) {
        // a multi-homed association (rare): its paths are looked at every time
        const key = table.keyOf(i);
        const a = table.view(i, this.#detect).assoc;
        const r = pathEvents(a, this.#paths.get(key), (type, by, value, extra) => ({
          type, tsNs: nowNs, association: a.id, ifindex: a.ifindex, endpoints: a.endpoints, by, cause: null, causeName: null, value, durationMs: null, ...extra,
        }));
        paths.set(key, r.memory);
        out.push(...r.events);
      }
      const bits = table.bits[i]!;
      const j = prev ? table.previousRow(i) : -1;
      const pb = j >= 0 ? prev!.bits[j]! : 0;
      const m0 = table.malformed[2 * i]!, m1 = table.malformed[2 * i + 1]!;
      const pm0 = j >= 0 ? prev!.malformed[2 * j]! : 0, pm1 = j >= 0 ? prev!.malformed[2 * j + 1]! : 0;
      // the common case: nothing to say about this row, no object built
      if (bits === pb && m0 <= pm0 && m1 <= pm1) continue;
      const a = table.view(i, this.#detect).assoc;
      const ev = (type: string, by: 0 | 1, value: number, durationNs: number | null, extra: Partial<WireEvent> = {}): WireEvent => ({
        type, tsNs: nowNs, association: a.id, ifindex: a.ifindex, endpoints: a.endpoints, by, cause: null, causeName: null,
        value, durationMs: durationNs === null ? null : ms(Math.max(0, durationNs)), ...extra,
      });
      for (const d of [0, 1] as const) {
        const stalled = d ? ROW.STALLED1 : ROW.STALLED0;
        const lossy = d ? ROW.LOSSY1 : ROW.LOSSY0;
        if (bits & stalled && !(pb & stalled)) {
          const n = table.outstanding[2 * i + d]!;
          out.push(ev('stall-start', d, n < 0 ? 0 : n, nowNs - table.progressNs[2 * i + d]!, { outstandingTsns: n < 0 ? null : n }));
        } else if (pb & stalled && !(bits & stalled)) {
          const since = prev!.progressNs[2 * j + d]!;
          const p = table.progressNs[2 * i + d]!;
          // progress_ns moves when the peer's cumulative ack does: then the stall lasted until
          // that moment, even if the association has ended since; else it ended with the
          // association (closed, aborted, gone), at its last packet
          // (a restart resets the record: the old incarnation ended with the new INIT)
          const restarted = table.restarts[i] !== prev!.restarts[j];
          const moved = !restarted && p > since;
          const reason = moved ? 'progress' : restarted ? 'restart' : a.state === 'closed' || a.state === 'aborted' || a.state === 'gone' ? a.state : 'progress';
          const until = moved ? p : reason === 'progress' || restarted ? nowNs : nowNs - a.lastSeenAgoMs * 1e6;
          const n = prev!.outstanding[2 * j + d]!;
          out.push(ev('stall-end', d, n < 0 ? 0 : n, until - since, { outstandingTsns: n < 0 ? null : n, reason }));
        }
        if (bits & lossy && !(pb & lossy)) {
          const s = a.dir[d];
          out.push(ev('lossy', d, s.retransChunks, null, { dataChunks: s.dataChunks }));
        }
        const m = d ? m1 : m0, pm = d ? pm1 : pm0;
        if (m > pm) out.push(ev('malformed', d, m - pm, null, { malformedTotal: m }));
      }
      if (bits & ROW.GONE && !(pb & ROW.GONE)) out.push(ev('gone', 0, 0, a.lastSeenAgoMs * 1e6));
      const key = bits & ROW.IMPAIRED || pb & ROW.IMPAIRED ? table.keyOf(i) : '';
      if (bits & ROW.IMPAIRED && !(pb & ROW.IMPAIRED)) {
        const f = assess(a, this.#detect).findings.filter((x) => x.condition === 'impaired');
        this.#impairedSince.set(key, nowNs);
        out.push(ev('impaired', f[0]?.sender ?? 0, f.length, null, { reasons: f.map((x) => x.detail.replace(/^impaired: /, '')) }));
      } else if (pb & ROW.IMPAIRED && !(bits & ROW.IMPAIRED)) {
        const since = this.#impairedSince.get(key);
        this.#impairedSince.delete(key);
        const reason = a.state === 'closed' || a.state === 'aborted' || a.state === 'gone' ? a.state : 'paths-up';
        out.push(ev('impaired-end', 0, 0, since === undefined ? null : nowNs - since, { reason }));
      }
    }
    this.#previous = table;
    this.#paths = paths;
    return out;
  }
}

/** The text of a watcher event for `sctp trace` (render.ts renders the wire program's). */
export function watchEventText(e: WireEvent): string {
  const who = endpointText(e.endpoints[e.by]);
  const other = endpointText(e.endpoints[e.by ^ 1]);
  const dur = e.durationMs === null ? '?' : fmtMs(e.durationMs);
  const tsns = (n: number | null | undefined) => (n === null || n === undefined ? 'data' : `${n} TSN${n === 1 ? '' : 's'}`);
  switch (e.type) {
    case 'stall-start': return `stall     ${who} → ${other} no cumulative TSN progress for ${dur} with ${tsns(e.outstandingTsns)} outstanding`;
    case 'stall-end': return `stall-end ${who} → ${other} ${e.reason === 'progress' ? 'moves again' : `ended (${e.reason})`} after ${dur} stalled, ${tsns(e.outstandingTsns)} were outstanding`;
    case 'lossy': return `lossy     ${who} → ${other} retransmitted ${e.value} of ${e.dataChunks === undefined ? '? DATA chunks' : count(e.dataChunks, 'DATA chunk')} (${e.dataChunks ? (100 * e.value / e.dataChunks).toFixed(1) : '?'} %)`;
    case 'malformed': return `malformed ${who} sent ${count(e.value, 'malformed chunk')} (${e.malformedTotal ?? e.value} in all)`;
    case 'gone': return `gone      ${e.association} no packet for ${dur}: closed`;
    case 'path-down': return `path-down ${e.association} path ${e.path ?? '?'}: ${count(e.value, 'heartbeat')} from ${who} unanswered`;
    case 'impaired': return `impaired  ${e.association} lives with ${count(e.value, 'failed path')}: ${e.reasons?.join('; ') ?? ''}`;
    case 'impaired-end': return `impaired-end ${e.association} ${e.reason === 'paths-up' ? 'every path answers again' : `ended (${e.reason})`} after ${dur} impaired`;
    case 'path-up': return `path-up   ${e.association} path ${e.path ?? '?'} answers again`;
    case 'path-switch': return `path-sw   ${e.association} DATA moved from ${e.fromPath ?? '?'} to ${e.path ?? '?'}${e.reasons?.length ? ` (${e.reasons.join(', ')})` : ''}`;
    default: return `${e.type} ${e.association}`;
  }
}
