// Whether tc-worker's OS-user sandbox can run here, for every suite that needs it: what the sandbox needs
// is then said once (it once needed setpriv too, and one copy of this check kept asking for it).
import { spawnSync } from 'node:child_process';

/** Why the OS-user sandbox cannot run on this machine (root on Linux, useradd and userdel), or undefined. */
export const noSandboxReason: string | undefined =
  process.platform !== 'linux' || process.getuid?.() !== 0
    ? 'needs root on Linux'
    : spawnSync('sh', ['-c', 'command -v useradd userdel']).status !== 0
      ? 'needs useradd and userdel'
      : undefined;
