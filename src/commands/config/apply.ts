import { Args, Flags } from '@oclif/core';
import { NodectlCommand } from '../../cli/base-command.js';
import type { ApplyResult } from '../../config/apply.js';
import { allowDisruptionFlag, stateDirFlag } from '../../cli/config-flags.js';
import { configApply } from '../../config/fast-apply.js';

export default class ConfigApply extends NodectlCommand {
  static override summary = 'Bring the node to a config file, all or nothing.';

  static override description = `Validates the file (nothing changes if it is invalid), snapshots the kernel, runs the planned operations one by one (see "config plan"), then re-reads the kernel to verify that nothing is left to do. If any step fails — a kernel refusal, an injected fault, or the verification — every step already done is undone in reverse, from inverses computed from the snapshot before the first step, and the ORIGINAL error is reported first, with the step number, the operation and the kernel's extended-ACK text.

Before step 1 the steps are rehearsed in a throwaway network namespace holding stand-ins for this node's interfaces that the steps involve (an anonymous namespace: it vanishes with the process, even on SIGKILL): a step the kernel refuses there — ELOOP, an MTU out of a device's range, a kind this kernel lacks — is reported with the kernel's errno and extended-ACK text and nothing on the node is changed. --no-rehearse skips it. A no-op apply has no steps and no rehearsal.

A journal in the state directory is written before the first step; if the process dies mid-way, the next "config apply" or "config recover" finishes the rollback first.

--confirm SECONDS applies, then reverts automatically unless "nodectl config confirm" runs in time (a detached watchdog process holds the timer; it survives this command and your SSH session). Interfaces nodectl creates are recorded as owned (per network namespace) and put in interface group 28259; owned interfaces the file no longer declares are removed (--no-prune keeps them), others are never touched.

A plan that interrupts links that are up — re-creates one (new ifindex), bounces it (down, then up), takes it down, or moves a port off its master (re-enslave) — is refused before step 1 (exit 1, nothing changed) unless --allow-disruption is given; "config plan" tags every step. Creating what does not exist, in-place changes, a first enslavement and pruning are not disruption, so a boot-time apply on a fresh node needs no flag for them.

Exit status: 0 applied (or nothing to do), 1 failed and rolled back, or refused (disruption, a file this node cannot take, a step the kernel refused in the rehearsal), 3 invalid file, 6 the kernel lacks a kind the file needs.`;

  static override examples = [
    '<%= config.bin %> config apply /etc/nodectl/node.yaml',
    { description: 'Remote change with a safety net: reverts in 2 minutes unless confirmed', command: '<%= config.bin %> config apply node.yaml --confirm 120 && <%= config.bin %> config confirm' },
    { description: 'A lab namespace with its own state directory', command: '<%= config.bin %> config apply lab.yaml -n lab --state-dir /tmp/lab-state' },
  ];

  static override args = {
    file: Args.string({ description: 'config file (YAML or JSON)', required: true }),
  };

  static override flags = {
    'allow-disruption': allowDisruptionFlag,
    'state-dir': stateDirFlag,
    confirm: Flags.integer({ summary: 'Revert unless "nodectl config confirm" runs within this many seconds.', min: 1 }),
    'no-prune': Flags.boolean({ summary: 'Do not remove owned interfaces the file no longer declares.' }),
    'no-rehearse': Flags.boolean({ summary: 'Do not rehearse the steps in a throwaway network namespace before step 1.' }),
  };

  async run(): Promise<ApplyResult> {
    const { args, flags } = await this.parse(ConfigApply);
    return this.output(await configApply(flags, args, this.jsonEnabled()));
  }
}
