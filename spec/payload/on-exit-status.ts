// payload.on-exit-status.*: exit codes that mean "retry" or "purge caches".
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './on-exit-status.check.ts';
import * as schema from './schema.check.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.on-exit-status.retry-intermittent',
    area,
    level: 'MUST',
    text: 'A command exit code listed in onExitStatus.retry resolves the run exception/intermittent-task.',
    source: [gwb('2.3'), gw11('intermittent_task_test.go'), gw('intermittent_task_test.go')],
    generations: BOTH,
    check: c.retryIntermittent,
  },
  {
    id: 'payload.on-exit-status.unlisted-fails',
    area,
    level: 'MUST',
    text: 'A non-zero exit code not listed in onExitStatus.retry resolves failed/failed.',
    source: [gw11('intermittent_task_test.go')],
    generations: BOTH,
  },
  {
    id: 'payload.on-exit-status.success-completes',
    area,
    level: 'MUST',
    text: 'Exit code 0 completes the task whatever onExitStatus lists.',
    source: [gw11('intermittent_task_test.go')],
    generations: BOTH,
  },
  {
    id: 'payload.on-exit-status.retry-minimum',
    area,
    level: 'MUST',
    text: 'onExitStatus.retry entries below 1 make the payload malformed.',
    source: [gw11('intermittent_task_test.go'), gw('intermittent_task_test.go')],
    generations: BOTH,
    check: schema.retryMinimum,
  },
  {
    id: 'payload.on-exit-status.purge-caches',
    area,
    level: 'MUST',
    text: "A last exit code listed in onExitStatus.purgeCaches purges the task's writable caches without changing the resolution.",
    source: [gwb('5'), gw('purge_caches_test.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.on-exit-status.purge-caches-minimum',
    area,
    level: 'MUST',
    text: 'onExitStatus.purgeCaches entries below 0 make the payload malformed.',
    source: [gw('purge_caches_test.go')],
    generations: CURRENT,
  },
];
