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
      handle({ params, body, state, authorize }) {
        const runId = Number(params.runId);
        // Backwards-compatibility quirk: reportCompleted with {success: false} resolves the run failed.
        const effective = target === 'completed' && body?.success === false ? 'failed' : target;
        // The state check comes before authorization upstream, so it applies to any caller.
        state.model.checkResolvable(params.taskId, runId, effective);
        authorize(`queue:resolve-task:${params.taskId}/${runId}`);
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
    handle({ params, body, state, authorize }) {
      const runId = Number(params.runId);
      state.model.getRun(params.taskId, runId);
      authorize(`queue:resolve-task:${params.taskId}/${runId}`);
      return json({
        status: state.model.reportException(params.taskId, runId, body.reason as ExceptionReason | 'superseded'),
      });
    },
  },
];
