// reportCompleted / reportFailed / reportException, in the real order of checks.
import { json, type Route } from '../../router.ts';
import type { ExceptionReason } from '../model.ts';

export const resolveRoutes: Route[] = [
  ...(['completed', 'failed'] as const).map(
    (target): Route => ({
      name: target === 'completed' ? 'reportCompleted' : 'reportFailed',
      service: 'queue',
      method: 'POST',
      path: `/api/queue/v1/task/<taskId>/runs/<runId>/${target}`,
      input: 'optional-json',
      scopes: (p) => `queue:resolve-task:${p.taskId}/${p.runId}`,
      handle({ params, body, state }) {
        const runId = Number(params.runId);
        // Backwards-compatibility quirk: reportCompleted with {success: false} resolves the run failed.
        const effective = target === 'completed' && body?.success === false ? 'failed' : target;
        return json({ status: state.model.reportResolved(params.taskId, runId, effective) });
      },
    }),
  ),
  {
    name: 'reportException',
    service: 'queue',
    method: 'POST',
    path: '/api/queue/v1/task/<taskId>/runs/<runId>/exception',
    input: (state) =>
      state.legacySupersededReason ? 'queue/v1/task-exception-request-v11' : 'queue/v1/task-exception-request',
    scopes: (p) => `queue:resolve-task:${p.taskId}/${p.runId}`,
    handle({ params, body, state }) {
      const runId = Number(params.runId);
      return json({
        status: state.model.reportException(params.taskId, runId, body.reason as ExceptionReason | 'superseded'),
      });
    },
  },
];
