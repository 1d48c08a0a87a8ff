import { Flags } from '@oclif/core';

/** Flags shared by the config commands that read or write nodectl's state. */
export const stateDirFlag = Flags.string({
  summary: 'State directory (journal, ownership records); default /var/lib/nodectl or $NODECTL_STATE_DIR.',
  env: 'NODECTL_STATE_DIR',
});
