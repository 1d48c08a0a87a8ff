// What the fast paths know of a command: its flags and arguments as plain data, derived from
// the oclif command class (src/cli/fast-spec-gen.ts) into src/cli/generated/fast-commands.ts,
// so that a flag is declared once, in the command's `static flags`. Types only: nothing here
// runs, and the fast entries load no oclif.

/** One flag as oclif parses it; only what changes the parsed value (help text stays in the class). */
export interface FastFlag {
  readonly type: 'boolean' | 'string' | 'integer';
  readonly char?: string;
  readonly options?: readonly string[];
  readonly multiple?: boolean;
  readonly delimiter?: string;
  readonly min?: number;
  readonly max?: number;
  /** The environment variable oclif reads when the flag is absent. */
  readonly env?: string;
  readonly default?: string | number | boolean | readonly string[];
  readonly required?: boolean;
}

/** One positional argument (oclif Args.string), in order. */
export interface FastArg {
  readonly name: string;
  readonly required: boolean;
  readonly options?: readonly string[];
}

export interface FastCommand {
  /** The dist/ module (without .js) bin/run.js loads for this command. */
  readonly entry: string;
  /** Every flag the command accepts: oclif's --json, the base command's, its own. */
  readonly flags: Readonly<Record<string, FastFlag>>;
  readonly args: readonly FastArg[];
}

export type FlagValue = string | number | boolean | string[] | number[];

type ValueOf<F> = F extends { type: 'boolean' } ? boolean
  : F extends { type: 'integer' } ? (F extends { multiple: true } ? number[] : number)
  : F extends { multiple: true } ? string[] : string;

/** The flags object a table entry parses to: oclif's own shape (absent flags are absent). */
export type FlagsOf<C extends FastCommand> = { -readonly [K in keyof C['flags']]?: ValueOf<C['flags'][K]> };

/** The args object a table entry parses to, as oclif's. */
export type ArgsOf<C extends FastCommand> = { [A in C['args'][number] as A['name']]: A extends { required: true } ? string : string | undefined };
