// Keeps a claimed run alive: reclaimTask well before takenUntil (config reclaimBeforeSecs, generic-worker
// uses 3 minutes; when takenUntil is nearer than that, at half the remaining time), swapping in the new
// temporary credentials each time. It runs until stopped, so it also covers uploads and aborts. A refused
// reclaim (409: cancelled, resolved, past deadline) means the run is lost: `onLost` is called once.
import type { RunCredentials } from './queue.ts';
import { statusOf } from './queue.ts';

export interface ReclaimerOptions {
  run: RunCredentials;
  taskId: string;
  runId: number;
  takenUntil: string;
  reclaimBeforeSecs: number;
  onLost(err: Error): void;
  onReclaimed?(takenUntil: string): void;
  onError?(err: Error): void;
  now?: () => number;
}

const MIN_DELAY_MS = 200;

export class Reclaimer {
  private readonly o: ReclaimerOptions;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  takenUntil: string;
  reclaims = 0;

  constructor(o: ReclaimerOptions) {
    this.o = o;
    this.takenUntil = o.takenUntil;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** Delay before the next reclaim, given how long the claim still has. */
  static delayMs(remainingMs: number, reclaimBeforeSecs: number): number {
    const before = reclaimBeforeSecs * 1000;
    const delay = remainingMs > before * 2 ? remainingMs - before : remainingMs / 2;
    return Math.max(MIN_DELAY_MS, Math.floor(delay));
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const remaining = Date.parse(this.takenUntil) - this.now();
    this.timer = setTimeout(
      () => {
        this.inFlight = this.reclaim();
      },
      Reclaimer.delayMs(remaining, this.o.reclaimBeforeSecs),
    );
  }

  private async reclaim(): Promise<void> {
    if (this.stopped) return;
    try {
      const res = await this.o.run.queue.reclaimTask(this.o.taskId, String(this.o.runId));
      if (this.stopped) return;
      this.reclaims++;
      this.takenUntil = res.takenUntil;
      this.o.run.replace(res.credentials);
      this.o.onReclaimed?.(res.takenUntil);
      this.schedule();
    } catch (e) {
      if (this.stopped) return;
      const status = statusOf(e);
      if (status !== undefined && status >= 400 && status < 500) {
        this.stopped = true;
        this.o.onLost(e as Error);
        return;
      }
      // Retries inside the client are exhausted; try again while the claim lasts.
      this.o.onError?.(e as Error);
      if (Date.parse(this.takenUntil) <= this.now()) {
        this.stopped = true;
        this.o.onLost(e as Error);
        return;
      }
      this.schedule();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }
}
