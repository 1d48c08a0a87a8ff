// What the failover daemon runs with: the `mgmt:` section of its config file, checked and
// resolved. The rules live in src/config/mgmt-rules.ts, where `config validate` runs them too:
// one set of rules for the file and for the daemon.
import { type MgmtConfig, resolve } from '../config/mgmt-rules.js';
import { readMgmtConfig } from '../config/read.js';
import type { Family } from './state-machine.js';

export { resolve, type MgmtConfig };

/** Read and check a config file's `mgmt:` section; throws ConfigError listing every problem. */
export function loadMgmtConfig(file: string): Promise<MgmtConfig> {
  return readMgmtConfig(file);
}

/** Families whose default route follows the addresses. */
export function routeFamilies(c: MgmtConfig): Family[] {
  if (!c.gateway.defaultRoute) return [];
  const out: Family[] = [];
  if (c.gateway.ipv4) out.push(4);
  if (c.gateway.ipv6) out.push(6);
  return out;
}
