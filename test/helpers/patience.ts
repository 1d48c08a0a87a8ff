// Deadlines for waits on real time, stretched on slow machines. Under software emulation
// (the VM runner without hardware KVM) guest code runs 6-20x slower than on the host, and a
// deadline sized for the host fails a test that is only slow. A deadline bounds a wait and
// never asserts a duration: stretching it cannot turn a failure into a pass, only let a slow
// success finish. scripts/vm/boot sets NODECTL_TEST_PATIENCE for emulated guests.
const factor = Number(process.env.NODECTL_TEST_PATIENCE);

/** How much longer than on the host a wait may take here (1 unless the environment says more). */
export const PATIENCE = Number.isFinite(factor) && factor >= 1 ? factor : 1;

/** A host-sized deadline in ms, stretched by PATIENCE. */
export function patient(ms: number): number {
  return Math.round(ms * PATIENCE);
}

/** A host-sized window in whole seconds (what --confirm and confirmSeconds take), stretched. */
export function patientSeconds(seconds: number): number {
  return Math.ceil(seconds * PATIENCE);
}

/**
 * Poll `cond` until it holds. Past the deadline (host-sized, stretched), throw with `what()`:
 * what was still missing, read at that moment.
 */
export async function waitUntil(cond: () => boolean, what: () => string, ms = patient(10_000), everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
