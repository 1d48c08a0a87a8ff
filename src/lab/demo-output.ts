// How the demo talks: progress lines a CI log can read, a little emphasis on a terminal.
// Every command the demo performs is shown as the command line an operator would type, so
// the demo doubles as a tutorial.

export interface DemoOutput {
  /** "[2/6] title" */
  step(index: number, total: number, title: string): void;
  /** What the next block shows, in one sentence. */
  say(text: string): void;
  /** "$ nodectl …" */
  command(line: string): void;
  /** Output of a command, indented. */
  block(text: string): void;
  note(text: string): void;
}

export function demoOutput(stream: NodeJS.WritableStream & { isTTY?: boolean }, opts: { color?: boolean } = {}): DemoOutput {
  const color = opts.color ?? (stream.isTTY === true && !process.env.NO_COLOR);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const cyan = (s: string) => (color ? `\x1b[36m${s}\x1b[0m` : s);
  const w = (s: string) => stream.write(`${s}\n`);
  return {
    step: (i, n, title) => {
      w('');
      w(bold(`[${i}/${n}] ${title}`));
    },
    say: (t) => w(t),
    command: (line) => w(cyan(`$ ${line}`)),
    block: (t) => {
      for (const l of t.replace(/\n+$/, '').split('\n')) w(`    ${l}`);
    },
    note: (t) => w(dim(`note: ${t}`)),
  };
}
