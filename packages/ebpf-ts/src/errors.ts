// Errors of ebpf-ts. Self-contained (no nodectl imports) so the package can stand alone. Every
// class descends from CodedError, the root this package exports for its embedder: nodectl's own
// error classes extend it too (src/errors.ts: NodectlError is CodedError), so an ebpf-ts error
// *is* a nodectl error, mapped to an exit status by its `code` (BPF, VERIFIER, UNSUPPORTED,
// NOT_FOUND) with nothing translated or lost on the way.
import { describeErrno, errnoName as nameOf } from './errno.js';

export type BpfErrorCode = 'BPF' | 'VERIFIER' | 'UNSUPPORTED' | 'NOT_FOUND';

/** The root of the error hierarchy: a stable machine-readable `code`, and the --json form. */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The machine-readable form (nodectl prints it under --json). */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

/** A bpf(2) or libbpf call failed. `errno` is the symbolic name ('EPERM'), `op` the call. */
export class BpfError extends CodedError<BpfErrorCode> {
  readonly op: string;
  readonly errno: string;
  readonly errnoValue: number;
  /** What libbpf itself reported while failing (its warnings), when it said anything. */
  readonly libbpfLog?: string;
  constructor(message: string, p: { op: string; errno?: string; errnoValue?: number; libbpfLog?: string; cause?: unknown }, code: BpfErrorCode = 'BPF') {
    super(code, message, { cause: p.cause });
    this.op = p.op;
    this.errno = p.errno ?? 'EUNKNOWN';
    this.errnoValue = p.errnoValue ?? 0;
    if (p.libbpfLog) this.libbpfLog = p.libbpfLog;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, op: this.op, errno: this.errno, ...(this.libbpfLog ? { libbpfLog: this.libbpfLog } : {}) };
  }
}

/** Where in a program the verifier stopped: the last instruction its log shows, and the C line before it. */
export interface VerifierInstruction {
  /** Instruction index in the program (the number the log prints). */
  index: number;
  /** The instruction as the verifier prints it, e.g. `r0 = *(u8 *)(r1 +20)`. */
  text: string;
  /** `file.bpf.c:18` when the object has line info (clang -g). */
  line?: string;
  /** That C source line, as the log quotes it. */
  source?: string;
}

/**
 * The failing instruction of a verifier log: the last `N: (op) insn` line (the verifier prints
 * each instruction before checking it, so the last one printed is the one it refused), and the
 * `; source @ file:line` comment above it. Undefined when the log shows no instruction.
 */
export function failingInstruction(log: string[]): VerifierInstruction | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const m = /^(\d+): \([0-9a-f]{2}\) (.*?)(?:\s+;.*)?$/.exec(log[i]!);
    if (!m) continue;
    const insn: VerifierInstruction = { index: Number(m[1]), text: m[2]!.trim() };
    for (let j = i - 1; j >= 0 && j >= i - 8; j--) {
      const src = /^; (.*?)(?: @ (\S+:\d+))?$/.exec(log[j]!);
      if (!src) continue;
      insn.source = src[1]!.trim();
      if (src[2]) insn.line = src[2];
      break;
    }
    return insn;
  }
  return undefined;
}

/** The kernel's verifier refused a program; `log` is its reasoning, line by line. */
export class VerifierError extends BpfError {
  readonly program: string;
  readonly log: string[];
  /** The instruction the verifier refused (from the log), when it shows one. */
  readonly instruction?: VerifierInstruction;
  constructor(program: string, errno: string, errnoValue: number, log: string[], libbpfLog?: string) {
    const last = [...log].reverse().find((l) => l.trim() && !/^(processed|verification time|stack depth) /.test(l));
    const insn = failingInstruction(log);
    const at = insn ? ` at instruction ${insn.index}${insn.line ? ` (${insn.line})` : ''}` : '';
    super(`verifier rejected program ${program}${at} (${errno})${last ? `: ${last.trim()}` : ''}`, { op: 'BPF_PROG_LOAD', errno, errnoValue, libbpfLog }, 'VERIFIER');
    this.program = program;
    this.log = log;
    if (insn) this.instruction = insn;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), program: this.program, instruction: this.instruction ?? null, log: this.log };
  }
}

/** The running kernel (or its configuration) lacks something; says what, why, and since when. */
export class UnsupportedFeatureError extends BpfError {
  readonly feature: string;
  readonly reason: string;
  readonly minKernel?: string;
  constructor(feature: string, reason: string, p: { minKernel?: string; errno?: string; errnoValue?: number; op?: string } = {}) {
    super(`${feature} is not available on this kernel: ${reason}${p.minKernel ? ` (needs Linux ${p.minKernel} or later)` : ''}`, { op: p.op ?? 'probe', errno: p.errno, errnoValue: p.errnoValue }, 'UNSUPPORTED');
    this.feature = feature;
    this.reason = reason;
    if (p.minKernel !== undefined) this.minKernel = p.minKernel;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), feature: this.feature, reason: this.reason, minKernel: this.minKernel ?? null };
  }
}

/** A named thing that is not there: an object file, a program or map in an object, an interface, a pin. */
export class BpfNotFoundError extends BpfError {
  readonly kind: 'object file' | 'program' | 'map' | 'global' | 'interface' | 'pinned object' | 'namespace';
  readonly object: string;
  constructor(kind: BpfNotFoundError['kind'], object: string, where?: string, p: { op?: string; errno?: string; errnoValue?: number } = {}) {
    super(`${kind} "${object}" does not exist${where ? ` ${where}` : ''}`, { op: p.op ?? 'lookup', errno: p.errno ?? 'ENOENT', errnoValue: p.errnoValue ?? 2 }, 'NOT_FOUND');
    this.kind = kind;
    this.object = object;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), kind: this.kind, object: this.object };
  }
}

/** What the addon throws: an Error with errno/code/syscall (and load details). */
export interface NativeFailure extends Error {
  errno?: number;
  code?: string;
  syscall?: string;
  libbpfLog?: string;
  program?: string;
  verifierLog?: string;
}

/** The symbolic name of what the addon (or Node) threw, from the one errno table (./errno.ts). */
export function errnoName(e: NativeFailure): string {
  if (e.errno) return nameOf(e.errno);
  return e.code && e.code !== 'EUNKNOWN' ? e.code : 'EUNKNOWN';
}

/** Turn whatever the addon threw into a BpfError for `op`, phrased for what the caller was doing. */
export function fromNative(err: unknown, doing: string): BpfError {
  if (err instanceof BpfError) return err;
  const e = err as NativeFailure;
  const errno = errnoName(e);
  const op = e.syscall ?? 'bpf';
  const detail = describeErrno(errno);
  return new BpfError(`cannot ${doing}: ${op} ${errno}${detail ? `: ${detail}` : ''}`, {
    op, errno, errnoValue: e.errno ?? 0, libbpfLog: e.libbpfLog, cause: err,
  });
}

export { describeErrno };
