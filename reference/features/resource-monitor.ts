// features.resourceMonitor (on unless a task sets it false; config enableResourceMonitor), after
// generic-worker's resource_monitor_feature.go and process.MonitorResources: while each command runs,
// system memory is sampled every 500 ms. When use stays above maxMemoryUsagePercent AND available
// memory below minAvailableMemoryBytes for longer than allowedHighMemoryDurationSecs, a warning goes to
// the task log and the task is aborted failed/failed (disableOOMProtection: warn once per episode and
// carry on). The command's result block reports the average and peak readings. Readings come from the
// Platform (platform/memory.ts); where it has none the task runs unmonitored, saying so in its log.
import type { ResolvedConfig } from '../config.ts';
import { formatMemory, type MemoryReading } from '../platform/memory.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

export interface ResourceMonitorOptions {
  /** Sampling period (generic-worker: 500 ms). */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Usage summary of one command, as generic-worker's process.ResourceUsage. */
export interface ResourceUsage {
  samples: number;
  averageAvailableBytes: number;
  averageUsedBytes: number;
  peakUsedBytes: number;
  totalBytes: number;
}

/** The result-block lines for a command's usage (labels as generic-worker's process.Result.String). */
export function usageLines(u: ResourceUsage): string[] {
  if (u.samples === 0) return [];
  const rows: Array<[string, number]> = [
    ['Average Available System Memory', u.averageAvailableBytes],
    ['Average System Memory Used', u.averageUsedBytes],
    ['Peak System Memory Used', u.peakUsedBytes],
    ['Total System Memory', u.totalBytes],
  ];
  return rows.map(([label, bytes]) => `${label.padStart(31)}: ${formatMemory(bytes)}`);
}

/** Whole seconds as Go's time.Duration prints them: 1s, 1m30s, 2h0m0s. */
export function goDuration(secs: number): string {
  const s = Math.floor(secs);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m${s % 60}s` : `${m}m${s % 60}s`;
}

interface Thresholds {
  maxPercent: number;
  minAvailableBytes: number;
  allowedMs: number;
  oomProtection: boolean;
}

/**
 * One command's monitor: feed it readings; it tracks usage and says when the high-memory episode has
 * lasted longer than allowed ('abort', or 'warn' once per episode without OOM protection).
 */
export class MemoryWatch {
  private readonly t: Thresholds;
  private samples = 0;
  private sumAvailable = 0;
  private sumUsed = 0;
  private peakUsed = 0;
  private total = 0;
  private highSince: number | undefined;
  private warned = false;

  constructor(t: Thresholds) {
    this.t = t;
  }

  add(r: MemoryReading, at: number): 'abort' | 'warn' | undefined {
    this.samples++;
    this.sumAvailable += r.availableBytes;
    this.sumUsed += r.usedBytes;
    this.peakUsed = Math.max(this.peakUsed, r.usedBytes);
    if (this.total === 0) this.total = r.totalBytes;
    if (!(r.usedPercent > this.t.maxPercent && r.availableBytes < this.t.minAvailableBytes)) {
      this.highSince = undefined;
      this.warned = false;
      return undefined;
    }
    this.highSince ??= at;
    if (at - this.highSince <= this.t.allowedMs) return undefined;
    if (this.t.oomProtection) return 'abort';
    if (this.warned) return undefined;
    this.warned = true;
    return 'warn';
  }

  usage(): ResourceUsage {
    const n = this.samples;
    return {
      samples: n,
      averageAvailableBytes: n ? this.sumAvailable / n : 0,
      averageUsedBytes: n ? this.sumUsed / n : 0,
      peakUsedBytes: this.peakUsed,
      totalBytes: this.total,
    };
  }
}

export function createResourceMonitorFeature(
  options: ResourceMonitorOptions = {},
): Feature<ResolvedConfig, TaskContext, TaskContext> {
  const intervalMs = options.intervalMs ?? 500;
  const now = options.now ?? Date.now;
  return {
    name: 'resource-monitor',
    after: ['payload-validator'],
    enabled: (cfg) => cfg.enableResourceMonitor || 'config enableResourceMonitor is false',
    // On by default (payload schema default true), as in generic-worker.
    requested: (ctx) => ctx.payload?.features?.resourceMonitor !== false,
    forTask(ctx) {
      const cfg = ctx.config;
      const t: Thresholds = {
        maxPercent: cfg.maxMemoryUsagePercent,
        minAvailableBytes: cfg.minAvailableMemoryBytes,
        allowedMs: cfg.allowedHighMemoryDurationSecs * 1000,
        oomProtection: !cfg.disableOOMProtection,
      };
      // generic-worker's words (process.MonitorResources), so logs read the same on both workers.
      const episode = () =>
        `Memory usage above ${t.maxPercent}% and available memory less than ${formatMemory(t.minAvailableBytes)} persisted for over ${goDuration(cfg.allowedHighMemoryDurationSecs)}!`;
      return {
        async start() {
          const read = ctx.platform.memoryReading?.bind(ctx.platform);
          if (!read) {
            ctx.log.warn('Resource monitor: this platform cannot read system memory; commands run unmonitored');
            return;
          }
          let readFailed = false;
          ctx.commandWatchers.push(() => {
            const watch = new MemoryWatch(t);
            let stopped = false;
            let wake: (() => void) | undefined;
            const loop = (async () => {
              while (!stopped) {
                await new Promise<void>((r) => {
                  const timer = setTimeout(r, intervalMs);
                  wake = () => {
                    clearTimeout(timer);
                    r();
                  };
                });
                if (stopped) return;
                let r: MemoryReading;
                try {
                  r = await read();
                } catch (e) {
                  // Say it once per task; sampling goes on (a transient failure must not end monitoring).
                  if (!readFailed)
                    ctx.log.warn(`Resource monitor: could not read system memory: ${(e as Error).message}`);
                  readFailed = true;
                  continue;
                }
                if (stopped) return;
                const verdict = watch.add(r, now());
                if (verdict === 'warn') {
                  ctx.log.warn(episode());
                  ctx.log.warn('OOM protections are disabled, continuing task...');
                } else if (verdict === 'abort') {
                  ctx.log.warn(episode());
                  ctx.abort(
                    new TaskError(
                      'failed',
                      `task aborted due to sustained memory usage above ${t.maxPercent}% and available memory less than ${formatMemory(t.minAvailableBytes)}`,
                    ),
                  );
                  return;
                }
              }
            })();
            return async () => {
              // Not awaiting a reading in flight: the loop sees `stopped` after it and ends.
              stopped = true;
              wake?.();
              void loop;
              return usageLines(watch.usage());
            };
          });
        },
        async stop() {},
      };
    },
  };
}
