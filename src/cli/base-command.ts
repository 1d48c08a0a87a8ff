import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { NodectlError } from '../errors.js';
import type { CommandOutput } from './fast-entry.js';
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
    endOnClosedStdout();
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

  /**
   * A command's output printed as its fast path prints it (src/cli/fast-entry.ts): the text
   * unless --json, the result itself when there is no text; the result is what --json prints.
   */
  protected output<T>(out: CommandOutput<T>): T {
    if (!this.jsonEnabled()) {
      if (out.text) this.log(out.text());
      else this.logJson(out.result);
    }
    return out.result;
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

let stdoutWatched = false;

/**
 * `nodectl sctp top | head -1`: when the reader goes away, a command ends as it does on SIGTERM
 * (the streaming ones listen for it: they detach their tracers, close their sockets, print their
 * summary to stderr), instead of running on unseen or dying of an unhandled EPIPE. Node ignores
 * SIGPIPE, so the closed pipe arrives as this stream error. Commands that listen for SIGTERM only
 * while waiting (top waits once per refresh) hear it at their next wait.
 */
function endOnClosedStdout(): void {
  if (stdoutWatched) return;
  stdoutWatched = true;
  let gone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    if (gone) return;
    gone = true;
    const stop = (): void => {
      if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
      else setTimeout(stop, 50).unref();
    };
    stop();
  });
}

export type BaseFlags = Interfaces.InferredFlags<typeof NodectlCommand.baseFlags>;

export { jsonReplacer } from './output.js';
