// Worker-manager, only what a worker asks: shouldWorkerTerminate (v106), answered from a per-worker
// flag the harness sets with `workerManager.setShouldTerminate(...)`.
import { json, type Route } from '../router.ts';

export class WorkerManagerModel {
  private readonly terminate = new Map<string, boolean>();

  setShouldTerminate(workerPoolId: string, workerGroup: string, workerId: string, value: boolean): void {
    this.terminate.set(`${workerPoolId}/${workerGroup}/${workerId}`, value);
  }

  shouldTerminate(workerPoolId: string, workerGroup: string, workerId: string): boolean {
    return this.terminate.get(`${workerPoolId}/${workerGroup}/${workerId}`) ?? false;
  }
}

export const workerManagerRoutes: Route[] = [
  {
    name: 'shouldWorkerTerminate',
    service: 'worker-manager',
    method: 'GET',
    path: '/api/worker-manager/v1/workers/<workerPoolId*>/<workerGroup>/<workerId>/should-terminate',
    scopes: (p) => `worker-manager:should-worker-terminate:${p.workerPoolId}/${p.workerGroup}/${p.workerId}`,
    handle({ params, state }) {
      const { workerPoolId, workerGroup, workerId } = params;
      return json({ terminate: state.workerManager.shouldTerminate(workerPoolId, workerGroup, workerId) });
    },
  },
];
