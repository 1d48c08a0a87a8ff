// The read commands' behaviour in one place: what each returns (its --json output) and how it
// prints as text. Both the oclif commands and the fast dispatcher (src/cli/fast-read.ts) call
// these, so the two paths cannot drift apart.
import { UsageError } from '../errors.js';
import type { AddrView, NeighView } from './model.js';
import { type LinkJson, linkJson, linksJson } from './link-json.js';
import { linkTree, listAddrViews, listLinkViews, listNeighViews, showLink } from './query.js';
import { renderAddrs, renderLinkDetail, renderLinkTable, renderNeighs, renderTreeDot, renderTreeText } from './render.js';
import type { TreeNode } from './tree.js';

export interface ReadOutput<T> {
  /** The typed result: what --json prints. */
  result: T;
  /** Text for people; null when the chosen format is the JSON itself (link tree --format json). */
  text: (() => string) | null;
}

export type FamilyName = 'inet' | 'inet6';
const family = (f: FamilyName | undefined): 4 | 6 | undefined => (f === 'inet' ? 4 : f === 'inet6' ? 6 : undefined);

// --json prints links by iproute2's keys (link-json.ts); the text is rendered from the views.
export async function readLinkList(o: { netns?: string }): Promise<ReadOutput<LinkJson[]>> {
  const links = await listLinkViews({ netns: o.netns });
  return { result: linksJson(links), text: () => renderLinkTable(links) };
}

export async function readLinkShow(o: { netns?: string; iface: string }): Promise<ReadOutput<LinkJson>> {
  const link = await showLink({ netns: o.netns }, o.iface);
  return { result: linkJson(link), text: () => renderLinkDetail(link) };
}

export type TreeFormat = 'text' | 'json' | 'dot';

export async function readLinkTree(o: { netns?: string; format?: TreeFormat; json?: boolean }): Promise<ReadOutput<TreeNode[]>> {
  // `--format dot --json` printed JSON without a word: two answers to one question is an error.
  if (o.json && o.format !== undefined && o.format !== 'json') throw new UsageError(`link tree: --format ${o.format} and --json contradict each other (--json is --format json)`);
  const { roots, links } = await linkTree({ netns: o.netns });
  const format = o.format ?? 'text';
  return { result: roots, text: format === 'json' ? null : format === 'dot' ? () => renderTreeDot(roots, links) : () => renderTreeText(roots) };
}

export async function readAddrList(o: { netns?: string; dev?: string; family?: FamilyName }): Promise<ReadOutput<AddrView[]>> {
  const addrs = await listAddrViews({ netns: o.netns }, { dev: o.dev, family: family(o.family) });
  return { result: addrs, text: () => renderAddrs(addrs) };
}

/** The NUD states `neigh list --nud` takes (ip neigh's `nud` words); `all` is every entry. */
export const NUD_FILTERS = ['permanent', 'noarp', 'reachable', 'stale', 'delay', 'probe', 'failed', 'incomplete', 'none', 'all'] as const;

/**
 * Like `ip neigh show`: without --nud every entry but NOARP ones (the kernel's own multicast and
 * broadcast mappings, which ip hides too); with --nud, entries in any of those states.
 */
export function neighShown(state: string, nud?: readonly string[]): boolean {
  const mine = state.toLowerCase().split(',');
  if (!nud?.length) return !mine.includes('noarp');
  return nud.includes('all') || mine.some((s) => nud.includes(s));
}

export async function readNeighList(o: { netns?: string; dev?: string; family?: FamilyName; nud?: readonly string[] }): Promise<ReadOutput<NeighView[]>> {
  const neighs = (await listNeighViews({ netns: o.netns }, { dev: o.dev, family: family(o.family) })).filter((n) => neighShown(n.state, o.nud));
  return { result: neighs, text: () => renderNeighs(neighs) };
}
