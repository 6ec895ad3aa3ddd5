// Harness-facing task endpoints: createTask, task, status, scheduleTask, cancelTask, rerunTask, pendingTasks.
import { json, type Route } from '../../router.ts';
import type { ScopeExpression } from '../../scopes.ts';
import { normaliseDefinition, PRIORITIES } from '../model.ts';

const taskScopes = (verb: string, d: Record<string, any>, taskId: string): ScopeExpression => ({
  AnyOf: [
    `queue:${verb}:${d.schedulerId}/${d.taskGroupId}/${taskId}`,
    `queue:${verb}-in-project:${d.projectId}`,
    { AllOf: [`queue:${verb}`, `assume:scheduler-id:${d.schedulerId}/${d.taskGroupId}`] },
  ],
});

export const taskRoutes: Route[] = [
  {
    name: 'createTask',
    service: 'queue',
    method: 'PUT',
    path: '/api/queue/v1/task/<taskId>',
    input: 'queue/v1/create-task-request',
    handle({ params, body, state, authorize }) {
      const def = normaliseDefinition(params.taskId, body);
      const rank = Math.max(0, PRIORITIES.indexOf(def.priority));
      authorize({
        AllOf: [
          ...(def.scopes as string[]),
          ...(def.routes as string[]).map((r) => `queue:route:${r}`),
          `queue:create-task:project:${def.projectId}`,
          `queue:scheduler-id:${def.schedulerId}`,
          {
            AnyOf: PRIORITIES.slice(0, rank + 1).map(
              (p) => `queue:create-task:${p}:${def.provisionerId}/${def.workerType}`,
            ),
          },
        ],
      });
      return json({ status: state.model.createTask(params.taskId, body) });
    },
  },
  {
    name: 'task',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/task/<taskId>',
    handle({ params, state, authorize }) {
      authorize(`queue:get-task:${params.taskId}`);
      return json(state.model.task(params.taskId));
    },
  },
  {
    name: 'status',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/task/<taskId>/status',
    handle({ params, state, authorize }) {
      authorize(`queue:status:${params.taskId}`);
      return json({ status: state.model.status(params.taskId) });
    },
  },
  ...(['schedule', 'cancel', 'rerun'] as const).map(
    (verb): Route => ({
      name: `${verb}Task`,
      service: 'queue',
      method: 'POST',
      path: `/api/queue/v1/task/<taskId>/${verb}`,
      input: 'optional-json',
      handle({ params, state, authorize }) {
        const def = state.model.task(params.taskId);
        authorize(taskScopes(`${verb}-task`, def, params.taskId));
        const m = state.model;
        const status =
          verb === 'schedule'
            ? m.scheduleTask(params.taskId)
            : verb === 'cancel'
              ? m.cancelTask(params.taskId)
              : m.rerunTask(params.taskId);
        return json({ status });
      },
    }),
  ),
  {
    name: 'pendingTasks',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/pending/<taskQueueId*>',
    handle({ params, state, authorize }) {
      authorize(`queue:pending-count:${params.taskQueueId}`);
      const [provisionerId, workerType] = params.taskQueueId.split('/');
      return json({
        provisionerId,
        workerType,
        taskQueueId: params.taskQueueId,
        pendingTasks: state.model.pendingCount(params.taskQueueId),
      });
    },
  },
];
