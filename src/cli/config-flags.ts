import { Flags } from '@oclif/core';

/** Flags shared by the config commands that read or write nodectl's state. */
export const stateDirFlag = Flags.string({
  summary: 'State directory (journal, ownership records); default /var/lib/nodectl or $NODECTL_STATE_DIR.',
  env: 'NODECTL_STATE_DIR',
});

/**
 * `config apply`: without it a plan that interrupts links that are up (re-creates, bounces,
 * takes down or re-enslaves them; `config plan` tags each step) is refused before step 1.
 */
export const allowDisruptionFlag = Flags.boolean({
  summary: 'Apply even if the plan re-creates, bounces, takes down or re-enslaves links that are up.',
});
