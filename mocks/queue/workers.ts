// Worker bookkeeping the Queue keeps from claims (services/queue/src/workerinfo.js): first claim,
// last activity, recent tasks, and quarantine, which makes claimWork answer [] after the full wait.
import { iso } from '../util.ts';

export interface WorkerRecord {
  provisionerId: string;
  workerType: string;
  workerGroup: string;
  workerId: string;
  firstClaim: number;
  lastDateActive: number;
  recentTasks: { taskId: string; runId: number }[];
  quarantineUntil?: number;
  quarantineDetails: { updatedAt: string; clientId: string | null; quarantineUntil: string; quarantineInfo: string }[];
}

const key = (taskQueueId: string, workerGroup: string, workerId: string) => `${taskQueueId}/${workerGroup}/${workerId}`;
const RECENT = 20;

export class Workers {
  private readonly list = new Map<string, WorkerRecord>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Record a claimWork call (the worker is "seen" even when quarantined or nothing is claimed). */
  seen(taskQueueId: string, workerGroup: string, workerId: string): WorkerRecord {
    const k = key(taskQueueId, workerGroup, workerId);
    let w = this.list.get(k);
    if (!w) {
      const [provisionerId, workerType] = taskQueueId.split('/');
      w = {
        provisionerId,
        workerType,
        workerGroup,
        workerId,
        firstClaim: this.now(),
        lastDateActive: this.now(),
        recentTasks: [],
        quarantineDetails: [],
      };
      this.list.set(k, w);
    }
    w.lastDateActive = this.now();
    return w;
  }

  claimed(taskQueueId: string, workerGroup: string, workerId: string, taskId: string, runId: number): void {
    const w = this.seen(taskQueueId, workerGroup, workerId);
    w.recentTasks.push({ taskId, runId });
    if (w.recentTasks.length > RECENT) w.recentTasks.shift();
  }

  isQuarantined(taskQueueId: string, workerGroup: string, workerId: string): boolean {
    const w = this.list.get(key(taskQueueId, workerGroup, workerId));
    return w?.quarantineUntil !== undefined && w.quarantineUntil > this.now();
  }

  quarantine(
    taskQueueId: string,
    workerGroup: string,
    workerId: string,
    until: number,
    info: string,
    clientId: string | null,
  ): WorkerRecord {
    const w = this.seen(taskQueueId, workerGroup, workerId);
    w.quarantineUntil = until;
    w.quarantineDetails.push({
      updatedAt: iso(this.now()),
      clientId,
      quarantineUntil: iso(until),
      quarantineInfo: info,
    });
    return w;
  }

  get(taskQueueId: string, workerGroup: string, workerId: string): WorkerRecord | undefined {
    return this.list.get(key(taskQueueId, workerGroup, workerId));
  }

  /** The worker-response shape. */
  static render(w: WorkerRecord): Record<string, unknown> {
    return {
      provisionerId: w.provisionerId,
      workerType: w.workerType,
      workerGroup: w.workerGroup,
      workerId: w.workerId,
      recentTasks: w.recentTasks.map((t) => ({ ...t })),
      expires: iso(w.lastDateActive + 24 * 3600_000),
      firstClaim: iso(w.firstClaim),
      lastDateActive: iso(w.lastDateActive),
      actions: [],
      ...(w.quarantineUntil !== undefined ? { quarantineUntil: iso(w.quarantineUntil) } : {}),
      quarantineDetails: w.quarantineDetails.map((d) => ({ ...d })),
    };
  }
}
