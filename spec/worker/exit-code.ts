// worker.exit-code.*: what each exit code of the worker process means (exit codes 0 and 64..74).
import { BOTH, CURRENT, gw, gw11, gwb, seed, V11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './exit-code.check.ts';

const area = 'worker';
const table = [gwb('6.1'), seed('generic-worker run --help, Exit Codes'), gw('usage.go')];

export const statements: Statement[] = [
  {
    id: 'worker.exit-code.tasks-complete',
    area,
    level: 'MUST',
    text: 'The worker exits 0 once it has run numberOfTasksToRun tasks.',
    source: [...table, gw11('main.go')],
    generations: BOTH,
    check: c.tasksComplete,
  },
  {
    id: 'worker.exit-code.cant-load-config',
    area,
    level: 'MUST',
    text: 'The worker exits 64 when its config file cannot be loaded (missing or unreadable file, invalid JSON, unknown key, wrong type).',
    source: [...table, gw('main.go')],
    generations: BOTH,
    divergence:
      'The seed README says 64, but 11.0.1 code uses 65 (CANT_LOAD_CONFIG = 65, shared with CANT_INSTALL_GENERIC_WORKER); 11.0.1 also treats a missing file as defaults-only, so Validate() fails with 73, and ignores unknown keys. Fixed to 64 by v13.0.0. The real 11.0.1 behaviour is expected of v11 workers, 64 of current ones.',
    check: c.cantLoadConfig,
  },
  {
    id: 'worker.exit-code.cant-install',
    area,
    level: 'MUST',
    text: 'The worker exits 65 when it cannot install itself (the Windows service target).',
    source: table,
    generations: BOTH,
    platforms: ['windows'],
  },
  {
    id: 'worker.exit-code.cant-create-openpgp-keypair',
    area,
    level: 'MUST',
    text: '11.0.1 exits 66 when new-openpgp-keypair cannot create the key pair.',
    source: [...table, gw11('main.go')],
    generations: V11,
  },
  {
    id: 'worker.exit-code.reboot-required',
    area,
    level: 'MUST',
    text: 'The worker exits 67 when it created a task user and the machine must reboot (with disableReboots it exits instead of rebooting).',
    source: table,
    generations: BOTH,
    platforms: ['windows'],
  },
  {
    id: 'worker.exit-code.idle-timeout',
    area,
    level: 'MUST',
    text: 'The worker exits 68 when no task was claimed for idleTimeoutSecs.',
    source: [...table, gw('main_test.go')],
    generations: BOTH,
    check: c.idleTimeout,
  },
  {
    id: 'worker.exit-code.internal-error',
    area,
    level: 'MUST',
    text: 'The worker exits 69 on an internal error (a worker bug or an unsuitable environment).',
    source: table,
    generations: BOTH,
  },
  {
    id: 'worker.exit-code.deployment-shutdown',
    area,
    level: 'MUST',
    text: 'The worker exits 70 when told to stop by its deployment: a new AWS deploymentId (v11) or worker-manager shutdown (current).',
    source: table,
    generations: BOTH,
    check: c.deploymentShutdown,
  },
  {
    id: 'worker.exit-code.sigint',
    area,
    level: 'MUST',
    text: 'The worker exits 71 after SIGINT, once any running task has finished.',
    source: [...table, gw('main.go')],
    generations: BOTH,
    check: c.sigint,
  },
  {
    id: 'worker.exit-code.sigterm',
    area,
    level: 'MUST',
    text: 'The worker exits 72 after SIGTERM (graceful termination without time to finish), resolving running tasks exception/worker-shutdown.',
    source: [...table, gwb('2.6'), gw('graceful/graceful.go')],
    generations: CURRENT,
    divergence: '11.0.1 exits 72 only for an AWS spot termination notice; it has no SIGTERM handler.',
    check: c.sigterm,
  },
  {
    id: 'worker.exit-code.invalid-config',
    area,
    level: 'MUST',
    text: 'The worker exits 73 when its config is loaded but invalid (a required setting missing or a value out of range).',
    source: [...table, gw11('gwconfig/config.go')],
    generations: BOTH,
    check: c.invalidConfig,
  },
  {
    id: 'worker.exit-code.winsta',
    area,
    level: 'MUST',
    text: 'grant-winsta-access exits 74 when it cannot grant the SID full control of the interactive window station and desktop; a worker that offers the target outside Windows, where there is none, always exits 74.',
    source: [...table, gw11('main.go'), gw('usage_windows.go'), gw('usage_posix.go'), gw('multiuser_windows.go')],
    generations: BOTH,
    divergence:
      '11.0.1 has the target on every platform and exits 74 outside Windows (main.go); the case checks that of v11 workers on Linux and macOS. v106 offers grant-winsta-access only in Windows multiuser builds (usage_windows.go, multiuser_windows.go platformTargets; usage_posix.go exitCode74 returns no text), so on Linux and macOS the command is a usage error (docopt, exit 1) and nothing is expected of current workers there.',
  },
];
