import { loadHelpClass, type Hook } from '@oclif/core';
import { reportError } from './output.js';
import { unknownCommand, type CommandShape } from './usage-errors.js';

/**
 * oclif's `command_not_found` hook (package.json oclif.hooks): a command line whose leading words
 * name no command. `help CMD…` is help for CMD; anything else is a usage error in nodectl's form
 * (one line, "did you mean", exit 2; --json: the error object) instead of oclif's
 * `command addr:list:vB not found`.
 */
const hook: Hook<'command_not_found'> = async function ({ id, argv, config }) {
  const words = id.split(':');
  const rest = argv ?? [];
  if (words[0] === 'help') {
    const Help = await loadHelpClass(config);
    await new Help(config, config.pjson.oclif.helpOptions ?? {}).showHelp([...words.slice(1), ...rest]);
    return;
  }
  const commands: CommandShape[] = config.commands
    .filter((c) => !c.hidden)
    .map((c) => ({ id: c.id.replaceAll(':', ' '), flags: c.flags, args: c.args as CommandShape['args'] }));
  const topics = config.topics.map((t) => t.name.replaceAll(':', ' '));
  process.exitCode = reportError(unknownCommand(words, commands, topics), rest.includes('--json'));
};

export default hook;
