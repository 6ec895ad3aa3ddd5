// On unless features.backingLog is false: the task log (written by the task run from its first line) is uploaded, gzip-encoded, as
// public/logs/live_backing.log (or payload.logs.backing) once every later feature has stopped, i.e. before the run is resolved.
// It is read back through the log's own descriptor (TaskLog.snapshot), never by its path in the task directory.
import { join } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import type { Feature } from './feature.ts';

export const BACKING_LOG_NAME = 'public/logs/live_backing.log';
export const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** payload.logs.backing (current generic-worker), else the standard name. Read before validation. */
export function backingLogName(payload: any): string {
  const n = payload?.logs?.backing;
  return typeof n === 'string' && n !== '' ? n : BACKING_LOG_NAME;
}

/** features.backingLog defaults to true. */
export function backingLogRequested(payload: any): boolean {
  return payload?.features?.backingLog !== false;
}

export const backingLogFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'backing-log',
  enabled: () => true,
  requested: (ctx) => backingLogRequested(ctx.payload),
  forTask(ctx) {
    const name = backingLogName(ctx.payload);
    return {
      reservedArtifacts: [name],
      async start() {
        // Compressed while the task runs (the log holds everything from its first line on), so stop() need not
        // read a large log a second time. The scratch directory is the worker's own and fresh per worker.
        ctx.log.gzipAlong(join(ctx.uploader.scratchDir, `log-${ctx.taskId}-${ctx.runId}.gz`));
      },
      async stop() {
        ctx.log.close();
        const gzipped = await ctx.log.gzipped();
        await ctx.uploader.s3({
          name,
          source: ctx.log.snapshot(),
          gzipped,
          contentType: LOG_CONTENT_TYPE,
          expires: ctx.task.expires,
          encoding: 'gzip',
        });
      },
    };
  },
};
