import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { NodectlError } from '../errors.js';
import { errorJson, reportError, writeJson } from './output.js';
import { fromParseError, type CommandShape } from './usage-errors.js';

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

  /** This command's id, flags and arguments, for "did you mean" (src/cli/usage-errors.ts). */
  private shape(): CommandShape {
    const ctor = this.ctor;
    return {
      id: (this.id ?? '').replaceAll(':', ' '),
      flags: { ...(ctor.baseFlags ?? {}), ...(ctor.flags ?? {}), ...(ctor.enableJsonFlag ? { json: { name: 'json' } } : {}) },
      args: (ctor.args ?? {}) as CommandShape['args'],
    };
  }

  protected override logJson(json: unknown): void {
    writeJson(json);
  }

  protected override toErrorJson(err: unknown): unknown {
    return errorJson(err);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    // this.exit() throws ExitError: the command already said what it had to say.
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own flag/argument parse failures keep their meaning, bad usage (exit 2), and are
    // said like every other nodectl error: one line, or the error object under --json.
    if (!(err instanceof NodectlError) && err instanceof Errors.CLIError) {
      this.exit(reportError(fromParseError(err as Errors.CLIError & Record<string, unknown>, this.shape(), this.argv), this.jsonEnabled()));
    }
    this.exit(reportError(err, this.jsonEnabled()));
  }
}

export type BaseFlags = Interfaces.InferredFlags<typeof NodectlCommand.baseFlags>;

export { jsonReplacer } from './output.js';
