// task.*: a task's life on the worker: its directory, the end-of-task order, cancellation.
import { BOTH, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './lifecycle.check.ts';

const area = 'task';

export const statements: Statement[] = [
  {
    id: 'task.end.backing-log-last',
    area,
    level: 'SHOULD',
    text: 'At the end of a task payload artifacts, chain-of-trust artifacts and the final live log come first and the backing log last, right before the resolution.',
    source: [gwb('8.3'), gwb('2.2'), gw11('main.go')],
    generations: BOTH,
    check: c.backingLogLast,
  },
  {
    id: 'task.directory.fresh-per-task',
    area,
    level: 'MUST',
    text: 'Each task runs in a new task directory; files a previous task left in its directory are not there.',
    source: [gwb('2.5'), gw('insecure_test.go')],
    generations: BOTH,
  },
  {
    id: 'task.cancel.worker-continues',
    area,
    level: 'MUST',
    text: 'A task canceled while running stays exception/canceled on the Queue and the worker neither crashes nor exits early.',
    source: [gwb('2.6'), gw('taskstatus_test.go'), gw11('taskstatus_test.go')],
    generations: BOTH,
  },
];
