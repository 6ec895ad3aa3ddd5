// Always on, just before the command executor (so mounts and other set-up do not count, as in
// generic-worker 11.0.0+): once payload.maxRunTime seconds pass the run is aborted (process tree killed)
// and resolved failed/failed. A maxRunTime above config maxTaskRunTime is refused as malformed-payload
// (generic-worker max_run_time_feature.go).
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

export const maxRunTimeFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'max-run-time',
  after: ['payload-validator'],
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    let timer: NodeJS.Timeout | undefined;
    return {
      async start() {
        const secs: number = ctx.payload.maxRunTime;
        const limit = ctx.config.maxTaskRunTime;
        if (secs > limit)
          throw new TaskError('malformed-payload', `task's maxRunTime of ${secs} exceeded allowed maximum of ${limit}`);
        timer = setTimeout(() => {
          ctx.abort(new TaskError('failed', 'task aborted - max run time exceeded'));
        }, secs * 1000);
      },
      async stop() {
        clearTimeout(timer);
      },
    };
  },
};
