import { CommandHelp, Help, type Command, type Config, type Interfaces } from '@oclif/core';
import { helpWidth, reflow, wrapCommand, wrapUsage } from './help-text.js';

// oclif's help, with every piece of prose wrapped once at the terminal's width (src/cli/help-text.ts
// has the rules) and example commands broken only where a shell accepts it. Named in
// package.json (oclif.helpClass), so `--help`, `help CMD` and topic help all come through here.

type Example = string | { description: string; command: string };

/** Sections are indented by 2 (oclif's section()); everything here is laid out for the rest. */
const SECTION_INDENT = 2;

export class NodectlCommandHelp extends CommandHelp {
  constructor(command: Command.Loadable, config: Config, opts: Interfaces.HelpOptions) {
    super(command, config, opts);
  }

  private get room(): number {
    return this.opts.maxWidth - SECTION_INDENT;
  }

  protected override description(): string | undefined {
    const cmd = this.command;
    if (!cmd.description) return undefined;
    const text = cmd.summary ? `${cmd.summary}\n\n${cmd.description}` : cmd.description;
    return reflow(this.render(text), this.room);
  }

  protected override examples(examples: Command.Example[] | string | undefined): string | undefined {
    if (!examples || examples.length === 0) return undefined;
    const list: Example[] = typeof examples === 'string' ? [examples] : examples;
    return list
      .map((e) => {
        if (typeof e === 'string') return this.exampleString(e);
        const cmd = wrapCommand(this.dollar(e.command), this.room, SECTION_INDENT).join('\n');
        return `${reflow(this.render(e.description), this.room)}\n\n${cmd}`;
      })
      .join('\n\n');
  }

  /** A string example: command lines (`$ nodectl …` or `nodectl …`) wrapped, other lines reflowed. */
  private exampleString(e: string): string {
    return e
      .split(/\r?\n/)
      .filter(Boolean)
      .map((line) => {
        const r = this.render(line);
        return r.startsWith(this.config.bin) || r.startsWith(`$ ${this.config.bin}`)
          ? wrapCommand(this.dollar(r), this.room, 0).join('\n')
          : reflow(r, this.room);
      })
      .join('\n');
  }

  private dollar(command: string): string {
    const r = this.render(command).trim();
    return r.startsWith('$ ') ? r : `$ ${r}`;
  }

  /**
   * oclif puts a flag's choices on their own line, `<options: a|b|c>`, and hard-wrapped it
   * inside a word when it was too long (`heart` / `beat`); break it after a `|` instead.
   */
  protected override flags(flags: Array<Command.Flag.Any>): [string, string | undefined][] | undefined {
    const rows = super.flags(flags);
    if (!rows) return rows;
    // renderList puts the descriptions after the widest label and 2 spaces, in a section (2).
    const room = this.opts.maxWidth - SECTION_INDENT - Math.max(...rows.map(([l]) => l.length)) - 2;
    return rows.map(([l, r]) => [l, r?.replace(/\n<options: ([^>\n]*)>$/, (_m, opts: string) => `\n${breakChoices(opts.split('|'), room)}`)]);
  }

  /**
   * oclif lays flags out in two columns, but stacks every label over its description once one
   * description runs past five lines, and then wraps the descriptions for 4 columns of indent
   * while indenting them by 6 (its section adds 2): 2 columns too wide. Ask for the stacked
   * layout ourselves in that case, with the indent it really gets.
   */
  override renderList(input: (string | undefined)[][], opts: { indentation: number; multiline?: boolean; spacer?: string; stripAnsi?: boolean }): string {
    if (!opts.multiline) {
      const labels = Math.max(0, ...input.map(([l]) => [...(l ?? '')].length));
      const stacked = input.some(([, r]) => r !== undefined && this.wrap(r.trim(), opts.indentation + labels + 2).split('\n').length > 5);
      if (stacked) return super.renderList(input, { ...opts, multiline: true, indentation: opts.indentation + 2 });
    }
    return super.renderList(input, opts);
  }

  protected override usage(): string {
    // oclif builds the docopts line, and broke it inside `[--state-file <value>]`: have it
    // build the line unwrapped (no width), then break between whole groups.
    const width = this.opts.maxWidth;
    let lines: string;
    try {
      this.opts.maxWidth = Number.MAX_SAFE_INTEGER;
      lines = super.usage();
    } finally {
      this.opts.maxWidth = width;
    }
    return lines
      .split('\n')
      .map((u) => wrapUsage(u, this.room, 0).join('\n'))
      .join('\n');
  }
}

/** `<options: a|b|c>` in lines of at most `room` columns, each broken line ending in `|`. */
function breakChoices(choices: string[], room: number): string {
  const lines: string[] = [];
  let cur = '<options: ';
  choices.forEach((c, i) => {
    const piece = `${c}${i === choices.length - 1 ? '>' : '|'}`;
    if (cur.length + piece.length > room && cur !== '<options: ' && cur.trim() !== '') {
      lines.push(cur);
      cur = piece;
    } else cur += piece;
  });
  lines.push(cur);
  return lines.join('\n');
}

export default class NodectlHelp extends Help {
  override CommandHelpClass = NodectlCommandHelp;
  private inCommandHelp = false;

  constructor(config: Config, opts: Partial<Interfaces.HelpOptions> = {}) {
    super(config, { ...opts, maxWidth: helpWidth() });
  }

  /** The one-line summary above a command's help: wrapped too (oclif printed it as is). */
  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    this.inCommandHelp = true;
    try {
      await super.showCommandHelp(command);
    } finally {
      this.inCommandHelp = false;
    }
  }

  override formatCommand(command: Command.Loadable): string {
    const was = this.inCommandHelp;
    this.inCommandHelp = false;
    try {
      return super.formatCommand(command);
    } finally {
      this.inCommandHelp = was;
    }
  }

  override formatCommands(commands: Command.Loadable[]): string {
    const was = this.inCommandHelp;
    this.inCommandHelp = false;
    try {
      return super.formatCommands(commands);
    } finally {
      this.inCommandHelp = was;
    }
  }

  protected override summary(c: Command.Loadable): string | undefined {
    const s = super.summary(c);
    return this.inCommandHelp && s ? reflow(s, this.opts.maxWidth) : s;
  }

  /** `nodectl --help`: the package description on top is one long line; wrap it. */
  override formatRoot(): string {
    const [first = '', ...rest] = super.formatRoot().split('\n');
    return [reflow(first, this.opts.maxWidth), ...rest].join('\n');
  }
}
