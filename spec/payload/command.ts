// payload.command.*: how commands run.
import { BOTH, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './command.check.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.command.exit-on-fail',
    area,
    level: 'MUST',
    text: 'The first command that exits non-zero stops the task: later commands do not run and the run resolves failed/failed.',
    source: [gwb('2.1'), gwb('2.7'), gw11('main.go'), gw('main_test.go')],
    generations: BOTH,
    check: c.exitOnFail,
  },
  {
    id: 'payload.command.all-zero-completes',
    area,
    level: 'MUST',
    text: 'When every command exits 0 and every artifact uploads, the run resolves completed/completed.',
    source: [gwb('2.7'), gw11('main.go')],
    generations: BOTH,
    check: c.allZeroCompletes,
  },
  {
    id: 'payload.command.argv-no-shell',
    area,
    level: 'MUST',
    text: 'On POSIX each command is an argv executed directly, without a shell, so "$VAR" reaches the program literally.',
    source: [gwb('2.3'), gw11('plat_all-unix-style.go')],
    generations: BOTH,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'payload.command.cwd-task-dir',
    area,
    level: 'MUST',
    text: 'Commands start in the task directory.',
    source: [gwb('2.3'), gw11('plat_all-unix-style.go')],
    generations: BOTH,
  },
  {
    id: 'payload.command.env-not-carried',
    area,
    level: 'MUST',
    text: 'On POSIX environment changes made by one command do not carry over to the next.',
    source: [gwb('2.3')],
    generations: BOTH,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'payload.command.output-logged',
    area,
    level: 'MUST',
    text: 'Standard output and standard error of every command go to the task log.',
    source: [gwb('2.3'), gw11('plat_all-unix-style.go')],
    generations: BOTH,
  },
  {
    id: 'payload.command.not-found',
    area,
    level: 'MUST',
    text: 'A command that does not exist resolves the run failed/failed and the worker carries on.',
    source: [gwb('0'), gwb('2.7'), gw('main_test.go')],
    generations: BOTH,
    divergence:
      'generic-worker 11.0.1 on Unix treats a start failure as a crash: exception/internal-error and the worker exits 69 (bug 1479415, fixed in 11.1.0). Current resolves failed/failed and keeps running. Each generation is held to its own behaviour.',
  },
  {
    id: 'payload.command.not-executable',
    area,
    level: 'MUST',
    text: 'A command naming a file that is not executable resolves the run failed/failed.',
    source: [gwb('2.7'), gw('main_test.go')],
    generations: BOTH,
    divergence: 'As payload.command.not-found: 11.0.1 on Unix gives exception/internal-error and exit 69.',
  },
  {
    id: 'payload.command.process-group-killed',
    area,
    level: 'MUST',
    text: 'An abort kills the whole process tree of the running command, not only its first process.',
    source: [gwb('2.6'), gw11('process/process_all-unix-style.go')],
    generations: BOTH,
  },
];
