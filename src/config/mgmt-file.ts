// The mgmt section, from a whole node config file or from a file holding only `mgmt:`, checked
// for shape and meaning with every problem placed at its file:line:col, and resolved into what
// the failover daemon runs with. This is the full loader (`yaml` with positions, TypeBox to
// explain a shape problem): `mgmt run` reads a valid file without it (readMgmtConfig in
// src/config/read.ts) and comes here only for a file it cannot accept at once, so that the
// daemon, resident for months, never holds either package (~10 MB) for a file it did not need.
import { ConfigError, type ConfigProblem } from '../errors.js';
import { ConfigSource, configProblems, typeboxProblems } from './load.js';
import { MgmtDecl } from './mgmt-schema.js';
import { type MgmtConfig, resolve } from './mgmt-rules.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseMgmtConfig(text: string, file = '<config>'): MgmtConfig {
  const source = new ConfigSource(file, text);
  const limit = source.limitProblem();
  if (limit) throw new ConfigError([limit]);
  // undefined: YAML syntax errors, or a document without a value (an alias to a later anchor),
  // which configProblems places; toJS() here would throw that as an internal error.
  const doc = source.value();
  let problems: ConfigProblem[];
  if (doc === undefined || (isObject(doc) && 'interfaces' in doc)) {
    // A whole node configuration: it must be valid as a whole, then it must have `mgmt:`.
    problems = configProblems(source);
  } else if (!isObject(doc)) {
    problems = [...source.warningProblems(), source.problem([], 'the file must be a mapping with a `mgmt:` section')];
  } else {
    problems = source.warningProblems();
    for (const key of Object.keys(doc)) {
      if (!['mgmt', '$schema'].includes(key)) problems.push(source.problem([key], `unknown key "${key}" (expected mgmt, or a whole node config with interfaces)`, 'key'));
    }
    if (doc.mgmt !== undefined) problems.push(...typeboxProblems(source, MgmtDecl, doc.mgmt, ['mgmt']));
  }
  if (!problems.length && isObject(doc) && doc.mgmt === undefined) problems.push(source.problem([], 'no `mgmt:` section: nothing for the failover daemon to manage'));
  if (problems.length) throw new ConfigError(problems.sort((a, b) => a.line - b.line || a.column - b.column));
  const m = (doc as { mgmt: MgmtDecl }).mgmt;
  const { config, problems: meaning } = resolve(m, (path, reason) => source.problem(['mgmt', ...path], reason));
  if (meaning.length) throw new ConfigError(meaning.sort((a, b) => a.line - b.line || a.column - b.column));
  return config;
}
