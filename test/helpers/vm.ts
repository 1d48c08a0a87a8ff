// test/vm/ holds tests that need kernel features this host lacks (SCTP, VLAN, bonding, dummy,
// kprobes, fentry). They run for real only inside the guest of `npm run test:vm`, whose init
// (scripts/vm/guest-init) and the Vagrant box (scripts/vm/provision-guest) set NODECTL_IN_VM=1.
// Elsewhere they pass with the reason logged, never silently.
import type { ExecutionContext } from 'ava';

export const IN_VM = process.env.NODECTL_IN_VM === '1';
export const NOT_IN_VM = 'SKIP: not in the VM (run npm run test:vm)';

/** Call first in every test/vm/ test: `if (skipOutsideVm(t)) return;` */
export function skipOutsideVm(t: ExecutionContext): boolean {
  if (IN_VM) return false;
  t.log(NOT_IN_VM);
  t.pass();
  return true;
}
