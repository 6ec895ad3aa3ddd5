// queue.reclaim.*: keeping the claim alive until the run is resolved (Q-17..Q-22).
import { BOTH, gw, q, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './reclaim.check.ts';

const area = 'queue';

export const statements: Statement[] = [
  {
    id: 'queue.reclaim.before-taken-until',
    area,
    level: 'MUST',
    text: 'For every run it still processes (aborting and uploading included) the worker calls reclaimTask, POST without a body, before takenUntil.',
    source: [q(17), tc('services/queue/src/api.js'), gw('taskstatus.go')],
    generations: BOTH,
    check: c.beforeTakenUntil,
  },
  {
    id: 'queue.reclaim.cadence',
    area,
    level: 'SHOULD',
    text: 'The worker reclaims a few minutes before takenUntil (generic-worker: 3 min) and never in a tight loop.',
    source: [q(18), gw('taskstatus.go')],
    generations: BOTH,
    check: c.cadence,
  },
  {
    id: 'queue.reclaim.response-shape',
    area,
    level: 'MUST',
    subject: 'queue',
    text: 'reclaimTask sets takenUntil = now + claimTimeout and returns {status, runId, workerGroup, workerId, takenUntil, credentials} without task.',
    source: [q(19), tc('services/queue/schemas/v1/task-reclaim-response.yml')],
    generations: BOTH,
    check: c.responseShape,
  },
  {
    id: 'queue.reclaim.conflict-when-resolved',
    area,
    level: 'MUST',
    subject: 'queue',
    text: 'reclaimTask answers 409 past the deadline, for a run that is not the latest or not running, and 404 for an unknown task or run.',
    source: [q(20), tc('services/queue/src/api.js')],
    generations: BOTH,
    check: c.conflictWhenResolved,
  },
  {
    id: 'queue.reclaim.conflict-stops',
    area,
    level: 'MUST',
    text: 'On a 409 from reclaimTask the worker stops the task and its reclaims and never reports it completed or failed; it should upload nothing more.',
    source: [q(21), tc('services/queue/src/api.js')],
    generations: BOTH,
    check: c.conflictStops,
  },
  {
    id: 'queue.reclaim.retry-server-error',
    area,
    level: 'SHOULD',
    text: 'On a 5xx or network error from reclaimTask the worker retries with backoff until takenUntil.',
    source: [q(22), tc('ui/docs/reference/platform/queue/worker-interaction.mdx')],
    generations: BOTH,
    check: c.retryServerError,
  },
];
