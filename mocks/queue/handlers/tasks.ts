// Harness-facing task endpoints: createTask, task, status, listDependentTasks, scheduleTask, cancelTask,
// rerunTask, pendingTasks.
import { notFound } from '../../errors.ts';
import { PAGINATION_QUERY, paginate } from '../../pagination.ts';
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
    scopes: (p) => `queue:get-task:${p.taskId}`,
    handle({ params, state }) {
      return json(state.model.task(params.taskId));
    },
  },
  {
    name: 'status',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/task/<taskId>/status',
    scopes: (p) => `queue:status:${p.taskId}`,
    handle({ params, state }) {
      return json({ status: state.model.status(params.taskId) });
    },
  },
  {
    name: 'listDependentTasks',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/task/<taskId>/dependents',
    scopes: (p) => `queue:list-dependent-tasks:${p.taskId}`,
    query: PAGINATION_QUERY,
    handle({ params, query, state }) {
      // Upstream pages the dependency rows while it loads the task, so a bad token wins over a missing task.
      const page = paginate(state.model.dependentsOf(params.taskId), query);
      if (!state.model.hasTask(params.taskId)) {
        throw notFound(`Task with taskId: \`${params.taskId}\` was not found`);
      }
      return json({
        taskId: params.taskId,
        tasks: page.rows.map((id) => ({ status: state.model.status(id), task: state.model.task(id) })),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      });
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
    scopes: (p) => `queue:pending-count:${p.taskQueueId}`,
    handle({ params, state }) {
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
