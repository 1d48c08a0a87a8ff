// The defaults of the `mgmt:` section, apart from its TypeBox schema so the rules
// (src/config/mgmt-rules.ts) load without TypeBox.
export const MGMT_DEFAULTS = {
  holdDownMs: 2000,
  preemptDelayMs: 10_000,
  announceCount: 3,
  announceIntervalMs: 100,
  announceRefreshMs: 30_000,
  probeIntervalMs: 500,
  probeAllowedMisses: 2,
  routeMetric: 0,
  hookTimeoutMs: 10_000,
} as const;
