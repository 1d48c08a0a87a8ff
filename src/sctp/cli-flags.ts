// oclif flags shared by the sctp commands (kept in one place so --dev and --stall-after read the same everywhere).
import { Flags } from '@oclif/core';
import { UsageError } from '../errors.js';
import type { DetectOptions } from './detect.js';
import { parseDuration } from './session.js';

const devSummary = 'Interface to trace on tc ingress and egress; repeat or comma-separate. IFACE@NETNS picks a namespace per interface (default: --netns).';

export const devFlag = Flags.string({ char: 'd', multiple: true, helpValue: 'IFACE[@NETNS]', summary: devSummary });

export const requiredDevFlag = Flags.string({ char: 'd', multiple: true, required: true, helpValue: 'IFACE[@NETNS]', summary: devSummary });

const stallAfterFlag = Flags.string({
  summary: 'Data outstanding with no cumulative-TSN progress for this long is "stalled", even while heartbeats succeed.',
  default: '2s', helpValue: 'DURATION',
});

const lossyFlag = Flags.string({
  summary: 'Retransmitted/sent DATA ratio from which an association is "lossy" (percent).',
  default: '5', helpValue: 'PERCENT',
});

export const maxAssocFlag = Flags.integer({
  summary: 'Size of the association table; the least recently active are evicted when it is full.',
  default: 16384, min: 64, max: 4_194_304,
});

const pathFailAfterFlag = Flags.integer({
  summary: 'HEARTBEATs unanswered in a row on a path of an association that mark the path failed (path-down).',
  default: 3, min: 1, max: 1000,
});

const expireAfterFlag = Flags.string({
  summary: 'An association with no packet for this long, and no SHUTDOWN COMPLETE or ABORT seen, is "gone": its row is closed.',
  default: '5m', helpValue: 'DURATION',
});

export const attachFlag = Flags.option({
  summary: 'tc hook: tcx links (Linux 6.6+, gone with the process even on a crash), clsact filters (any kernel, shown by tc filter show), or auto (tcx if the kernel has it).',
  options: ['auto', 'tcx', 'clsact'] as const, default: 'auto' as const,
})();

/** The detection thresholds of every sctp command that watches associations, declared once. */
export const detectFlags = {
  'stall-after': stallAfterFlag,
  'expire-after': expireAfterFlag,
  'path-fail-after': pathFailAfterFlag,
  lossy: lossyFlag,
};

/** What detectFlags' values mean to the detector; a bad duration or percentage is a usage error. */
export function detectOptions(flags: { 'stall-after': string; 'expire-after': string; 'path-fail-after': number; lossy: string }): Partial<DetectOptions> {
  const lossy = Number(flags.lossy);
  if (!(lossy > 0 && lossy <= 100)) throw new UsageError(`--lossy takes a percentage in (0, 100]; got "${flags.lossy}"`);
  return {
    stallAfterMs: parseDuration(flags['stall-after'], '--stall-after'),
    expireAfterMs: parseDuration(flags['expire-after'], '--expire-after'),
    lossyRatio: lossy / 100,
    pathFailAfter: flags['path-fail-after'],
  };
}
