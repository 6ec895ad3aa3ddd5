// Always on: the task log (written by the task run from its first line) is uploaded, gzip-encoded, as
// public/logs/live_backing.log once every later feature has stopped, i.e. before the run is resolved.
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import type { Feature } from './feature.ts';

export const BACKING_LOG_NAME = 'public/logs/live_backing.log';
export const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

export const backingLogFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'backing-log',
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    return {
      reservedArtifacts: [BACKING_LOG_NAME],
      async start() {},
      async stop() {
        ctx.log.close();
        await ctx.uploader.s3({
          name: BACKING_LOG_NAME,
          path: ctx.log.path,
          contentType: LOG_CONTENT_TYPE,
          expires: ctx.task.expires,
          gzip: true,
        });
      },
    };
  },
};
