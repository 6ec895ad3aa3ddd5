// Purge-cache: purge requests per worker pool, read by workers through purgeRequests(since).
import { iso } from '../util.ts';

export interface PurgeRequest {
  provisionerId: string;
  workerType: string;
  workerPoolId: string;
  cacheName: string;
  before: string;
}

export class PurgeModel {
  private readonly requests: PurgeRequest[] = [];
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  purge(workerPoolId: string, cacheName: string): PurgeRequest {
    const [provisionerId, workerType] = workerPoolId.split('/');
    // One entry per (pool, cache): a newer purge moves `before` forward, as upstream's upsert does.
    const existing = this.requests.find((r) => r.workerPoolId === workerPoolId && r.cacheName === cacheName);
    if (existing) {
      existing.before = iso(this.now());
      return existing;
    }
    const req = { provisionerId, workerType, workerPoolId, cacheName, before: iso(this.now()) };
    this.requests.push(req);
    return req;
  }

  list(workerPoolId?: string, since?: number): PurgeRequest[] {
    return this.requests
      .filter((r) => workerPoolId === undefined || r.workerPoolId === workerPoolId)
      .filter((r) => since === undefined || Date.parse(r.before) > since)
      .map((r) => ({ ...r }));
  }
}
