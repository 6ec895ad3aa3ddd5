// queue.api.*: harness endpoints and the HTTP conventions of every call (Q-57..Q-62).
import { BOTH, q, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './api.check.ts';

const area = 'queue';

export const statements: Statement[] = [
  {
    id: 'queue.api.create-task-rules',
    area,
    level: 'MUST',
    subject: 'queue',
    text: 'createTask validates created (±15 min), deadline (future, ≤ 5 days + 15 min) and expires ≥ deadline, applies the defaults, and is idempotent for identical bodies (409 otherwise).',
    source: [q(57), tc('services/queue/src/api.js')],
    generations: BOTH,
    check: c.createTaskRules,
  },
  {
    id: 'queue.api.initial-state',
    area,
    level: 'MUST',
    subject: 'queue',
    text: 'A task without dependencies is pending after createTask with runs[0] = {pending, scheduled}; with unresolved dependencies it stays unscheduled.',
    source: [q(58), tc('ui/docs/reference/platform/queue/task-life-cycle.mdx')],
    generations: BOTH,
    check: c.initialState,
  },
  {
    id: 'queue.api.status-consistent',
    area,
    level: 'MUST',
    subject: 'queue',
    text: "status.state equals the last run's state (unscheduled with no runs); run ids are dense from 0 and only the last run may be pending or running.",
    source: [q(59), tc('services/queue/src/data.js'), tc('services/queue/schemas/v1/task-status.yml')],
    generations: BOTH,
    check: c.statusConsistent,
  },
  {
    id: 'queue.api.error-shape',
    area,
    level: 'MUST',
    subject: 'queue',
    text: 'Every error answer is JSON {code, message, requestInfo} with the documented status code.',
    source: [q(60), tc('libraries/api/src/middleware/express-error.js')],
    generations: BOTH,
    check: c.errorShape,
  },
  {
    id: 'queue.api.retry-policy',
    area,
    level: 'MUST',
    text: 'The worker retries 5xx and connection errors with exponential backoff and never blindly retries a final 4xx (400, 403, 404, 409).',
    source: [q(61), tc('services/queue/src/artifacts.js')],
    generations: BOTH,
    check: c.retryPolicy,
  },
  {
    id: 'queue.api.json-content-type',
    area,
    level: 'MUST',
    text: 'Requests to endpoints with an input schema are sent with Content-Type: application/json.',
    source: [q(62), tc('libraries/api/src/middleware/schema.js')],
    generations: BOTH,
    check: c.jsonContentType,
  },
];
