import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { NodectlError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { errorJson, reportError, writeJson } from './output.js';

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
    writeJson(json);
  }

  protected override toErrorJson(err: unknown): unknown {
    return errorJson(err);
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
    this.exit(reportError(err, this.jsonEnabled()));
  }
}

export type BaseFlags = Interfaces.InferredFlags<typeof NodectlCommand.baseFlags>;

export { jsonReplacer } from './output.js';
