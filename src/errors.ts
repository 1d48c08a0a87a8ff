// The one error hierarchy of nodectl. Every failure that reaches a user is one of these:
// each has a stable `code` (documented in the README), and the CLI maps the class to an exit
// status in one place (src/cli/base-command.ts). Errors are data: fields, not parsed strings.
import { CodedError, describeErrno } from 'ebpf-ts/errors';

// The one errno table (names and texts), kept in ebpf-ts because that package stands alone.
export { describeErrno, errnoName } from 'ebpf-ts/errors';

export type ErrorCode =
  | 'NETLINK'
  | 'NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'BPF'
  | 'VERIFIER'
  | 'UNSUPPORTED'
  | 'PERMISSION'
  | 'USAGE'
  | 'STATE'
  | 'TIMEOUT'
  | 'APPLY_FAILED'
  | 'IO';

/**
 * The root of every nodectl error: ebpf-ts's CodedError itself, so that the eBPF layer's errors
 * (BpfError, VerifierError with its log, UnsupportedFeatureError, BpfNotFoundError; codes BPF,
 * VERIFIER, UNSUPPORTED, NOT_FOUND) are nodectl errors as they are thrown: one hierarchy, one
 * `instanceof`, one mapping to exit statuses (src/cli/exit-codes.ts).
 */
export const NodectlError = CodedError as unknown as new (code: ErrorCode, message: string, options?: { cause?: unknown }) => CodedError<ErrorCode>;
export type NodectlError = CodedError<ErrorCode>;

/** A request the kernel refused, with the kernel's own words (extended ACK) when it gave any. */
export class NetlinkError extends NodectlError {
  readonly op: string;
  readonly errno: string;
  readonly errnoValue: number;
  readonly extack?: string;
  readonly target?: string;
  /** What nodectl knows about this refusal that the kernel did not say (why, what to do). */
  readonly hint?: string;
  /**
   * The attribute of the request the kernel pointed at (extended ACK offset, or the missing
   * attribute it named), by name: "IFLA_MTU", "IFLA_LINKINFO › IFLA_INFO_DATA › attribute 7".
   */
  readonly attribute?: string;
  /** The kernel's release (uname -r), given when the refusal may depend on the kernel. */
  readonly kernel?: string;
  constructor(p: { op: string; errno: string; errnoValue: number; extack?: string; target?: string; action?: string; hint?: string; attribute?: string; kernel?: string }) {
    const what = p.action ? `cannot ${p.action}: ` : p.target ? `${p.target}: ` : '';
    const detail = p.extack ?? describeErrno(p.errno);
    const attr = p.attribute ? `attribute ${p.attribute}${p.kernel ? ` on Linux ${p.kernel}` : ''}` : '';
    const notes = [attr, p.hint].filter(Boolean).join('; ');
    super('NETLINK', `${what}${p.op} ${p.errno}${detail ? `: ${detail}` : ''}${notes ? ` (${notes})` : ''}`);
    this.op = p.op;
    this.errno = p.errno;
    this.errnoValue = p.errnoValue;
    if (p.extack !== undefined) this.extack = p.extack;
    if (p.target !== undefined) this.target = p.target;
    if (p.hint !== undefined) this.hint = p.hint;
    if (p.attribute !== undefined) this.attribute = p.attribute;
    if (p.kernel !== undefined) this.kernel = p.kernel;
  }

  /** The same kernel answer, retold for what the caller was doing. */
  withAction(action: string, target?: string, hint?: string): NetlinkError {
    return new NetlinkError({
      op: this.op, errno: this.errno, errnoValue: this.errnoValue, extack: this.extack, action,
      target: target ?? this.target, hint: hint ?? this.hint, attribute: this.attribute, kernel: this.kernel,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      code: this.code, message: this.message, op: this.op, errno: this.errno, extack: this.extack ?? null, target: this.target ?? null,
      ...(this.hint ? { hint: this.hint } : {}), ...(this.attribute ? { attribute: this.attribute } : {}), ...(this.kernel ? { kernel: this.kernel } : {}),
    };
  }
}

/**
 * The kernel refused a step of a config plan in the rehearsal (src/config/rehearse.ts): the same
 * answer the node's kernel would give at that step, found before anything on the node changed.
 */
export class RehearsalRefusal extends NetlinkError {
  readonly step: number;
  readonly steps: number;
  readonly operation: string;
  constructor(err: NetlinkError, step: number, steps: number, operation: string) {
    super({ op: err.op, errno: err.errno, errnoValue: err.errnoValue, extack: err.extack, target: err.target, hint: err.hint, attribute: err.attribute, kernel: err.kernel });
    this.message = `the kernel refused step ${step}/${steps} (${operation}) in a rehearsal, so nothing on the node was changed: ${err.message}`;
    this.step = step;
    this.steps = steps;
    this.operation = operation;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), rehearsal: true, step: this.step, steps: this.steps, operation: this.operation };
  }
}

/** An object (interface, address, program, map) that does not exist. */
export class NotFoundError extends NodectlError {
  readonly kind: string;
  readonly object: string;
  constructor(kind: string, object: string, where?: string) {
    super('NOT_FOUND', `${kind} "${object}" does not exist${where ? ` ${where}` : ''}`);
    this.kind = kind;
    this.object = object;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, kind: this.kind, object: this.object, errno: 'ENODEV' };
  }
}

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** JSON pointer into the document, e.g. /interfaces/2/vlan/id */
  path: string;
  reason: string;
}

/** A configuration that does not validate; carries every problem found, not just the first. */
export class ConfigError extends NodectlError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const first = problems[0];
    const head = first ? `${first.file}:${first.line}:${first.column}: ${first.path || '/'}: ${first.reason}` : 'invalid configuration';
    super('CONFIG_INVALID', problems.length > 1 ? `${head} (and ${problems.length - 1} more)` : head);
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, problems: this.problems };
  }
}

// The eBPF layer's classes, as they are (see NodectlError).
export { BpfError, BpfNotFoundError, UnsupportedFeatureError, VerifierError } from 'ebpf-ts/errors';

/** The running kernel lacks a feature; says which, and the first kernel known to have it. */
export class UnsupportedError extends NodectlError {
  readonly feature: string;
  readonly minKernel?: string;
  /** The kernel module that provides the feature, when one does (8021q, bonding, dummy, sctp). */
  readonly module?: string;
  constructor(feature: string, why: string, minKernel?: string, p: { module?: string | undefined; cause?: unknown } = {}) {
    super('UNSUPPORTED', `${feature} is not supported by this kernel: ${why}${minKernel ? ` (needs Linux ${minKernel} or later)` : ''}`, { cause: p.cause });
    this.feature = feature;
    if (minKernel !== undefined) this.minKernel = minKernel;
    if (p.module !== undefined) this.module = p.module;
  }

  override toJSON(): Record<string, unknown> {
    const c = this.cause;
    return {
      code: this.code, message: this.message, feature: this.feature, minKernel: this.minKernel ?? null,
      ...(this.module ? { module: this.module } : {}),
      ...(c instanceof NetlinkError ? { op: c.op, errno: c.errno, extack: c.extack ?? null } : {}),
    };
  }
}

export class PermissionError extends NodectlError {
  readonly needs: 'CAP_NET_ADMIN' | 'CAP_BPF' | 'CAP_NET_RAW' | 'CAP_SYS_ADMIN' | 'root';
  /** The refusal as the system said it (EACCES, EPERM), when a syscall said it. */
  readonly errno?: string;
  constructor(needs: PermissionError['needs'], doing: string, p: { message?: string; errno?: string; cause?: unknown } = {}) {
    super('PERMISSION', p.message ?? `${doing} needs ${needs}: run as root (sudo nodectl …) or grant the capability`, { cause: p.cause });
    this.needs = needs;
    if (p.errno !== undefined) this.errno = p.errno;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, needs: this.needs, ...(this.errno ? { errno: this.errno } : {}) };
  }
}

const DENIED = new Set(['EACCES', 'EPERM']);

/**
 * The permission refusal behind an error, as a PermissionError (exit 5), or undefined. Every
 * EACCES/EPERM a user can meet is PERMISSION, whatever layer met it: a file or socket Node
 * refused (a raw system error, or one wrapped by a StateError: `config apply` as non-root was
 * exit 1), or an IO/BPF errno of a non-root user. Netlink refusals are mapped where they are
 * made (src/netlink/handle.ts: EPERM is a kernel's answer to root too).
 */
export function permissionDenied(err: unknown): PermissionError | undefined {
  if (err instanceof PermissionError) return err;
  const nonRoot = process.geteuid?.() !== 0;
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e instanceof Error; depth++, e = e.cause) {
    if (e instanceof PermissionError) return e;
    if (e instanceof NetlinkError) return undefined;
    const errno = e instanceof NodectlError ? (e as { errno?: unknown }).errno : (e as NodeJS.ErrnoException).code;
    if (typeof errno !== 'string' || !DENIED.has(errno)) continue;
    const sys = e as NodeJS.ErrnoException;
    const isSyscall = !(e instanceof NodectlError) && typeof sys.syscall === 'string';
    if (!isSyscall && !nonRoot) continue;
    // The outermost nodectl message says what was being done (and what to do): keep it.
    if (err instanceof NodectlError) return new PermissionError('root', '', { message: err.message, errno, cause: err });
    const what = isSyscall ? `cannot ${sys.syscall}${sys.path ? ` ${sys.path}` : ''}: ${errno}: permission denied` : (err as Error).message;
    return new PermissionError('root', '', { message: `${what}${nonRoot ? '; run as root (sudo nodectl …) or as a user that may' : ''}`, errno, cause: err });
  }
  return undefined;
}

/** The user asked for something that makes no sense as given (bad value, conflicting flags). */
export class UsageError extends NodectlError {
  /** What was probably meant (a command, a flag), when something close exists. */
  readonly suggestion?: string;
  constructor(message: string, suggestion?: string) {
    super('USAGE', message);
    if (suggestion !== undefined) this.suggestion = suggestion;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.suggestion ? { suggestion: this.suggestion } : {}) };
  }
}

/** Persistent state (journal, ownership records, daemon state) is missing or inconsistent. */
export class StateError extends NodectlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STATE', message, options);
  }
}

/**
 * `config apply` refused a plan that interrupts links that are up (re-created, bounced, taken
 * down, re-enslaved) because --allow-disruption was not given; nothing was changed. A STATE
 * error (exit 1) like any other plan the node cannot take as it is; `disruption` lists the links.
 */
export class DisruptionError extends StateError {
  readonly disruption: readonly { name: string; effects: string[]; steps: number[] }[];
  constructor(message: string, disruption: readonly { name: string; effects: string[]; steps: number[] }[]) {
    super(message);
    this.disruption = disruption;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, disruption: this.disruption };
  }
}

/** A syscall outside netlink failed (packet socket send/receive: ENETDOWN, ENOBUFS, …). */
export class IoError extends NodectlError {
  readonly errno: string;
  readonly syscall?: string;
  constructor(message: string, errno: string, p: { syscall?: string; cause?: unknown } = {}) {
    super('IO', message, { cause: p.cause });
    this.errno = errno;
    if (p.syscall !== undefined) this.syscall = p.syscall;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, errno: this.errno, syscall: this.syscall ?? null };
  }
}

/**
 * A config apply step failed (or verification found drift). The original error comes first in
 * the message; what the rollback did follows. `cause` is the original error.
 */
export class ApplyError extends NodectlError {
  readonly step: number;
  readonly steps: number;
  readonly operation: string;
  readonly rolledBack: number;
  readonly rollbackErrors: string[];
  /** How the node differs from before the apply after the rollback (compared, not assumed). */
  readonly differences: string[];
  /** What another program changed meanwhile, found by the rollback and left alone. */
  readonly interference: string[];
  constructor(p: { step: number; steps: number; operation: string; cause: unknown; rolledBack: number; rollbackErrors: string[]; differences?: string[]; interference?: string[] }) {
    const orig = p.cause instanceof Error ? p.cause.message : String(p.cause);
    const differences = p.differences ?? [];
    const interference = p.interference ?? [];
    const rolled = `rolled back ${p.rolledBack} step${p.rolledBack === 1 ? '' : 's'}`;
    let after: string;
    if (p.rollbackErrors.length) after = `; ROLLBACK INCOMPLETE (${p.rollbackErrors.length} undo steps failed: ${p.rollbackErrors.join('; ')})${differences.length ? `; differs from before: ${differences.join('; ')}` : ''} — run nodectl config recover`;
    else if (interference.length) after = `; ${rolled}; another program changed the namespace during the apply: ${interference.join('; ')}${differences.length ? `; differs from before: ${differences.join('; ')}` : ''}`;
    else if (differences.length) after = `; ${rolled}, but the node is NOT as before: ${differences.join('; ')}`;
    else after = `; ${rolled}, nothing was changed`;
    super('APPLY_FAILED', `step ${p.step}/${p.steps} (${p.operation}) failed: ${orig}${after}`, { cause: p.cause });
    this.step = p.step;
    this.steps = p.steps;
    this.operation = p.operation;
    this.rolledBack = p.rolledBack;
    this.rollbackErrors = p.rollbackErrors;
    this.differences = differences;
    this.interference = interference;
  }

  override toJSON(): Record<string, unknown> {
    const c = this.cause;
    const cause = c instanceof NodectlError ? c.toJSON() : { message: c instanceof Error ? c.message : String(c) };
    return {
      code: this.code, message: this.message, step: this.step, steps: this.steps, operation: this.operation,
      cause, rolledBack: this.rolledBack, rollbackErrors: this.rollbackErrors, differences: this.differences, interference: this.interference,
    };
  }
}

export class TimeoutError extends NodectlError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}
