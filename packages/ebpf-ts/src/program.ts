// A program of a BpfObject. Attach methods are shortcuts for the functions in attach.ts.
import { native } from './native.js';
import type { NativeBpfObject, NativeProgramInfo } from './native-types.js';
import {
  attachAuto, attachFentry, attachKprobe, attachUprobe, attachRawTracepoint, attachTc, attachTpBtf, attachTracepoint, attachXdp,
  type Attachment, type TcAttachOptions, type UprobeAttachOptions, type XdpAttachOptions,
} from './attach.js';
import { fromNative } from './errors.js';

/** What a program needs from the object that owns it. */
export interface ProgramOwner {
  _native(): NativeBpfObject;
  _programInfo(name: string): NativeProgramInfo;
  _track(a: Attachment): void;
  _untrack(a: Attachment): void;
}

export class BpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly typeName: string;
  readonly expectedAttachType: number;
  readonly #owner: ProgramOwner;

  /** @internal */
  constructor(owner: ProgramOwner, info: NativeProgramInfo) {
    this.#owner = owner;
    this.name = info.name;
    this.section = info.section;
    this.type = info.type;
    this.typeName = native.bpfTypeName('prog', info.type) ?? String(info.type);
    this.expectedAttachType = info.expectedAttachType;
  }

  /** Kernel fd; -1 before load or when excluded from loading. */
  get fd(): number {
    const fd = this.#owner._programInfo(this.name).fd;
    return fd < 0 ? -1 : fd;
  }

  get autoload(): boolean {
    return this.#owner._programInfo(this.name).autoload;
  }

  /**
   * Kernel id and tag (as `bpftool prog show` prints them), and how many times the kernel
   * skipped the program because another BPF program was running on that CPU
   * (`recursion_misses`; null where the kernel has no such field, before 5.12; kprobe programs'
   * skips are counted from 6.7 on, zero before).
   */
  info(): { id: number; tag: string; name: string; recursionMisses: number | null } {
    try {
      const i = native.bpfProgInfo(this.fd);
      return { id: i.id, tag: i.tag, name: i.name, recursionMisses: i.recursionMisses };
    } catch (err) {
      throw fromNative(err, `read info of program ${this.name}`);
    }
  }

  /** BPF_PROG_TEST_RUN: run the loaded program on one frame, repeat times (the kernel's mean ns per run). */
  testRun(data: Buffer, repeat = 1): { retval: number; durationNs: number } {
    try {
      return native.bpfProgTestRun(this.fd, data, repeat);
    } catch (err) {
      throw fromNative(err, `test-run program ${this.name}`);
    }
  }

  attachTc(opts: Omit<TcAttachOptions, 'program'>): Attachment {
    return attachTc({ ...opts, program: this });
  }
  attachXdp(opts: Omit<XdpAttachOptions, 'program'>): Attachment {
    return attachXdp({ ...opts, program: this });
  }
  attachTracepoint(opts?: Parameters<typeof attachTracepoint>[1]): Attachment {
    return attachTracepoint(this, opts);
  }
  attachRawTracepoint(name?: string): Attachment {
    return attachRawTracepoint(this, name);
  }
  attachTpBtf(): Attachment {
    return attachTpBtf(this);
  }
  attachFentry(): Attachment {
    return attachFentry(this);
  }
  attachKprobe(opts?: Parameters<typeof attachKprobe>[1]): Attachment {
    return attachKprobe(this, opts);
  }
  attachUprobe(opts: UprobeAttachOptions): Attachment {
    return attachUprobe(this, opts);
  }
  /** Attach as the section name says (libbpf's bpf_program__attach). */
  attach(): Attachment {
    return attachAuto(this);
  }

  /** @internal */
  _native(): NativeBpfObject {
    return this.#owner._native();
  }
  /** @internal */
  _track(a: Attachment): Attachment {
    this.#owner._track(a);
    return a;
  }
  /** @internal */
  readonly _untrack = (a: Attachment): void => this.#owner._untrack(a);
}
