// worker.shutdown.*: stopping the worker while it holds a task.
import { BOTH, CURRENT, gw, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'worker';

export const statements: Statement[] = [
  {
    id: 'worker.shutdown.sigterm-running-task',
    area,
    level: 'MUST',
    text: 'SIGTERM while a task runs aborts it, resolves it exception/worker-shutdown and the worker exits 72.',
    source: [gwb('2.6'), gwb('6.1'), gw('graceful/graceful.go')],
    generations: CURRENT,
  },
  {
    id: 'worker.shutdown.sigint-finishes-task',
    area,
    level: 'MUST',
    text: 'SIGINT while a task runs lets the task finish and be resolved before the worker exits 71.',
    source: [gwb('6.1'), gw('main.go')],
    generations: BOTH,
  },
];
