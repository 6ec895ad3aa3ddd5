// The purge-cache service (generic-worker §5): before a task that uses writable caches (or when six
// hours have passed) the worker asks for purge requests for its worker pool and drops every cache
// created before a request's `before` (with generic-worker's five-minute allowance for clock skew).
import type { DirectoryCaches } from './caches.ts';
import type { MountLog } from './download-cache.ts';

export interface PurgeRequest {
  workerPoolId?: string;
  cacheName: string;
  before: string;
}

/** The one purge-cache API call used (taskcluster-client PurgeCache.purgeRequests). */
export type PurgeRequestsCall = (
  workerPoolId: string,
  query: { since?: string },
) => Promise<{ requests: PurgeRequest[] }>;

const SKEW_MS = 5 * 60_000;
const INTERVAL_MS = 6 * 60 * 60_000;

export class PurgeChecker {
  private readonly call: PurgeRequestsCall;
  private readonly workerPoolId: string;
  private lastQuery: number | undefined;

  constructor(call: PurgeRequestsCall, workerPoolId: string) {
    this.call = call;
    this.workerPoolId = workerPoolId;
  }

  /** Queries the service when due and purges matching caches; an unreachable service is only a warning. */
  async check(caches: DirectoryCaches, taskUsesCaches: boolean, log: MountLog, now = Date.now()): Promise<string[]> {
    if (!taskUsesCaches && this.lastQuery !== undefined && now - this.lastQuery < INTERVAL_MS) return [];
    const query: { since?: string } = {};
    if (this.lastQuery !== undefined) query.since = new Date(this.lastQuery - SKEW_MS).toISOString();
    let requests: PurgeRequest[];
    try {
      requests = (await this.call(this.workerPoolId, query)).requests ?? [];
    } catch (err) {
      log.warn(`[mounts] Could not reach purgecache service to see if caches need purging: ${(err as Error).message}`);
      return [];
    }
    this.lastQuery = now;
    const purged: string[] = [];
    for (const r of requests) {
      const entry = caches.entries[r.cacheName];
      if (!entry || entry.inUse) continue;
      if (entry.created - SKEW_MS < Date.parse(r.before)) {
        log.info(`[mounts] Purging cache ${r.cacheName} as requested by the purge-cache service (before ${r.before})`);
        await caches.purge(r.cacheName);
        purged.push(r.cacheName);
      }
    }
    return purged;
  }
}
