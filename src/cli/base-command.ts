import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { ConfigError, NodectlError } from '../errors.js';
import { EXIT } from './exit-codes.js';

/**
 * The base of every nodectl command: the global flags, and the one place where errors become
 * exit statuses and (under --json) `{"error": {code, errno, extack, …}}` on stdout.
 * Commands stay thin: parse, call the domain core once, return the typed result. The returned
 * value *is* the --json output; text rendering happens in the command when --json is off.
 */
export abstract class NodectlCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    netns: Flags.string({
      char: 'n',
      summary: 'Act inside this network namespace (a name under /run/netns, like ip -n).',
      helpGroup: 'GLOBAL',
    }),
  };

  /**
   * Arguments come from the command line only. oclif would otherwise read a missing one from a
   * piped stdin (after a 10 ms wait): under ssh -c, Vagrant or Ansible, whatever they feed
   * stdin ("exit", a script) became the interface or file name.
   */
  override async init(): Promise<void> {
    for (const arg of Object.values(this.ctor.args ?? {})) arg.ignoreStdin = true;
    await super.init();
  }

  protected override logJson(json: unknown): void {
    const indent = process.stdout.isTTY === true ? 2 : undefined;
    let text: string;
    try {
      // A replacer makes JSON.stringify ~4× slower on big dumps; only BigInt needs one.
      text = JSON.stringify(json, null, indent);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      text = JSON.stringify(json, jsonReplacer, indent);
    }
    process.stdout.write(text + '\n');
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof NodectlError) return { error: err.toJSON() };
    if (err instanceof Error) return { error: { code: 'INTERNAL', message: err.message } };
    return { error: { code: 'INTERNAL', message: String(err) } };
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    // oclif's own flag/argument parse failures keep their meaning: bad usage, exit 2.
    if (!(err instanceof NodectlError) && (err instanceof Errors.CLIError || err instanceof Errors.ExitError)) {
      // this.exit() throws ExitError: the command already said what it had to say.
      if (err instanceof Errors.ExitError) throw err;
      if (this.jsonEnabled()) {
        this.logJson({ error: { code: 'USAGE', message: err.message } });
        this.exit(EXIT.USAGE);
      }
      throw err;
    }
    const code = err instanceof NodectlError ? EXIT[err.code] : EXIT.INTERNAL;
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err));
    } else if (err instanceof ConfigError && err.problems.length > 0) {
      // Every problem on its own line, in the FILE:LINE:COL form editors and CI annotate.
      for (const p of err.problems) process.stderr.write(`${p.file}:${p.line}:${p.column}: ${p.path || '/'}: ${p.reason}\n`);
      const n = err.problems.length;
      process.stderr.write(`nodectl: invalid configuration (${n} problem${n === 1 ? '' : 's'}); nothing was changed\n`);
    } else {
      process.stderr.write(`nodectl: ${err.message}\n`);
      if (!(err instanceof NodectlError) && err.stack && process.env.NODECTL_DEBUG) process.stderr.write(`${err.stack}\n`);
    }
    this.exit(code);
  }
}

export type BaseFlags = Interfaces.InferredFlags<typeof NodectlCommand.baseFlags>;

/** JSON as iproute2 users expect it: BigInt counters as numbers, Buffers as hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
