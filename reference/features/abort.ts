// Always on, right after the backing log: while the task runs, a worker shutdown (SIGTERM) aborts it with exception/worker-shutdown.
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

export const abortFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'abort',
  after: ['backing-log'],
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    const onShutdown = () =>
      ctx.abort(new TaskError('worker-shutdown', 'graceful termination requested, without time to finish tasks'));
    return {
      async start() {
        ctx.workerEvents.on('shutdown', onShutdown);
        if (ctx.shuttingDown()) onShutdown(); // SIGTERM arrived between the claim and now
      },
      async stop() {
        ctx.workerEvents.off('shutdown', onShutdown);
      },
    };
  },
};
