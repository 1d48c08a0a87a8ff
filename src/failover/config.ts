// The mgmt section, from a whole node config file or from a file holding only `mgmt:`, checked
// for meaning (not only shape) and resolved into what the daemon runs with.
import { ConfigError, type ConfigProblem } from '../errors.js';
import { ConfigSource, configProblems, typeboxProblems } from '../config/load.js';
import { configFileName, readConfigText } from '../config/read.js';
import { MgmtDecl } from '../config/mgmt-schema.js';
import { type MgmtConfig, resolve } from '../config/mgmt-rules.js';
import type { Family } from './state-machine.js';

// The meaning checks live in src/config/mgmt-rules.ts, where `config validate` runs them too:
// one set of rules for the file and for the daemon.
export { resolve, type MgmtConfig };

export async function loadMgmtConfig(file: string): Promise<MgmtConfig> {
  return parseMgmtConfig(await readConfigText(file), configFileName(file));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseMgmtConfig(text: string, file = '<config>'): MgmtConfig {
  const source = new ConfigSource(file, text);
  const limit = source.limitProblem();
  if (limit) throw new ConfigError([limit]);
  const doc = source.doc.errors.length ? null : (source.doc.toJS() as unknown);
  let problems: ConfigProblem[];
  if (doc === null || (isObject(doc) && 'interfaces' in doc)) {
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

/** Families whose default route follows the addresses. */
export function routeFamilies(c: MgmtConfig): Family[] {
  if (!c.gateway.defaultRoute) return [];
  const out: Family[] = [];
  if (c.gateway.ipv4) out.push(4);
  if (c.gateway.ipv6) out.push(6);
  return out;
}
