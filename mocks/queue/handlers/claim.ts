// Worker-facing claiming: claimWork (long poll), claimTask (deprecated), reclaimTask.
import { notFound } from '../../errors.ts';
import { json, type MockState, type Route } from '../../router.ts';
import { Workers } from '../workers.ts';

/** Cancel-after faults: schedule a harness-side cancel for each task just claimed. */
function armCancelFaults(state: MockState, taskIds: string[]): void {
  for (const taskId of taskIds) {
    for (const rule of state.faults.cancelRulesFor(taskId)) {
      state.model.at(state.now() + rule.cancelAfterSeconds! * 1000, () => {
        try {
          state.model.cancelTask(taskId);
        } catch {
          // Past the deadline or already resolved: nothing left to cancel.
        }
      });
    }
  }
}

export const claimRoutes: Route[] = [
  {
    name: 'claimWork',
    service: 'queue',
    method: 'POST',
    path: '/api/queue/v1/claim-work/<taskQueueId*>',
    input: 'queue/v1/claim-work-request',
    async handle({ params, body, state, authorize, request }) {
      const { workerGroup, workerId, tasks } = body as { workerGroup: string; workerId: string; tasks: number };
      authorize({ AllOf: [`queue:claim-work:${params.taskQueueId}`, `queue:worker-id:${workerGroup}/${workerId}`] });
      // Long poll in real time (not the injected clock): return as soon as something is claimed.
      const end = Date.now() + state.longPollMs;
      state.model.workers.seen(params.taskQueueId, workerGroup, workerId);
      if (state.model.workers.isQuarantined(params.taskQueueId, workerGroup, workerId)) {
        // Upstream waits the full poll time and answers nothing, so a quarantined worker just idles.
        await state.model.waitForWork('\u0000quarantined', state.longPollMs, request.signal);
        return json({ tasks: [] });
      }
      for (;;) {
        const claims = state.model.claimWork(params.taskQueueId, workerGroup, workerId, tasks);
        if (claims.length > 0 || Date.now() >= end || request.signal.aborted) {
          armCancelFaults(
            state,
            claims.map((c) => c.status.taskId),
          );
          return json({ tasks: claims });
        }
        await state.model.waitForWork(params.taskQueueId, end - Date.now(), request.signal);
      }
    },
  },
  {
    name: 'quarantineWorker',
    service: 'queue',
    method: 'PUT',
    path: '/api/queue/v1/provisioners/<provisionerId>/worker-types/<workerType>/workers/<workerGroup>/<workerId>',
    input: 'queue/v1/quarantine-worker-request',
    scopes: (p) => ({
      AllOf: [`queue:quarantine-worker:${p.provisionerId}/${p.workerType}/${p.workerGroup}/${p.workerId}`],
    }),
    handle({ params, body, state, caller }) {
      const { provisionerId, workerType, workerGroup, workerId } = params;
      const w = state.model.workers.quarantine(
        `${provisionerId}/${workerType}`,
        workerGroup,
        workerId,
        Date.parse(body.quarantineUntil),
        body.quarantineInfo ?? '',
        caller.clientId,
      );
      return json(Workers.render(w));
    },
  },
  {
    name: 'getWorker',
    service: 'queue',
    method: 'GET',
    path: '/api/queue/v1/provisioners/<provisionerId>/worker-types/<workerType>/workers/<workerGroup>/<workerId>',
    scopes: (p) => `queue:get-worker:${p.provisionerId}/${p.workerType}/${p.workerGroup}/${p.workerId}`,
    handle({ params, state }) {
      const { provisionerId, workerType, workerGroup, workerId } = params;
      const w = state.model.workers.get(`${provisionerId}/${workerType}`, workerGroup, workerId);
      if (!w) throw notFound(`Worker with workerId \`${workerId}\`, workerGroup \`${workerGroup}\` not found`);
      return json(Workers.render(w));
    },
  },
  {
    name: 'claimTask',
    service: 'queue',
    method: 'POST',
    path: '/api/queue/v1/task/<taskId>/runs/<runId>/claim',
    input: 'queue/v1/task-claim-request',
    handle({ params, body, state, authorize }) {
      const def = state.model.task(params.taskId);
      authorize({
        AllOf: [
          `queue:claim-task:${def.provisionerId}/${def.workerType}`,
          `queue:worker-id:${body.workerGroup}/${body.workerId}`,
        ],
      });
      const claim = state.model.claimTask(params.taskId, Number(params.runId), body.workerGroup, body.workerId);
      armCancelFaults(state, [params.taskId]);
      return json(claim);
    },
  },
  {
    name: 'reclaimTask',
    service: 'queue',
    method: 'POST',
    path: '/api/queue/v1/task/<taskId>/runs/<runId>/reclaim',
    input: 'optional-json',
    scopes: (p) => `queue:reclaim-task:${p.taskId}/${p.runId}`,
    handle({ params, state }) {
      const runId = Number(params.runId);
      return json(state.model.reclaimTask(params.taskId, runId));
    },
  },
];
