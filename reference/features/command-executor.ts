// Always on, last: runs payload.command in order with exit-on-fail semantics. The first non-zero exit
// stops the task (failed/failed, or exception/intermittent-task when listed in onExitStatus.retry); a
// command that cannot be started fails the task (current generic-worker; 11.0.1 crashed with exit 69).
import type { ResolvedConfig } from '../config.ts';
import { goDuration, shellQuote } from '../task-log.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';
import { runTaskAsCurrentUserRequested } from './run-task-as-current-user.ts';

/** Worker env minus its own credentials, payload env, feature env, then the variables the task can't override. */
export function taskEnv(ctx: TaskContext): Record<string, string> {
  const env: Record<string, string> = {};
  // A sandboxed task starts from a clean environment (the platform adds HOME, USER, PATH): nothing of the
  // worker's own environment reaches another OS user. Without a sandbox the task inherits it, as generic-worker.
  const inherited = ctx.taskUser ? {} : process.env;
  for (const [k, v] of Object.entries(inherited)) {
    if (v === undefined) continue;
    if (['TASKCLUSTER_ACCESS_TOKEN', 'TASKCLUSTER_CLIENT_ID', 'TASKCLUSTER_CERTIFICATE'].includes(k)) continue;
    env[k] = v;
  }
  Object.assign(env, ctx.payload.env ?? {}, ctx.env, {
    TASK_ID: ctx.taskId,
    RUN_ID: String(ctx.runId),
    TASK_WORKDIR: ctx.taskDir,
    TASK_GROUP_ID: ctx.task.taskGroupId,
    TASKCLUSTER_ROOT_URL: ctx.config.rootUrl,
  });
  // generic-worker run_task_as_current_user_posix.go: the task user's session directory is not the worker's.
  if (runTaskAsCurrentUserRequested(ctx.payload)) delete env.XDG_RUNTIME_DIR;
  if (ctx.config.workerLocation) env.TASKCLUSTER_WORKER_LOCATION = ctx.config.workerLocation;
  if (ctx.config.instanceType) env.TASKCLUSTER_INSTANCE_TYPE = ctx.config.instanceType;
  return env;
}

export const commandExecutorFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'command-executor',
  after: ['max-run-time'],
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    const started = Date.now();
    return {
      async start() {
        const commands: (string[] | string)[] = ctx.payload.command;
        const retry: number[] = ctx.payload.onExitStatus?.retry ?? [];
        const env = taskEnv(ctx);
        for (const [i, raw] of commands.entries()) {
          if (ctx.abortReason) throw ctx.abortReason;
          const argv = typeof raw === 'string' ? [raw] : raw;
          ctx.log.info(`Executing command ${i}: ${typeof raw === 'string' ? raw : shellQuote(argv)}`);
          const t0 = Date.now();
          const finishWatchers = ctx.commandWatchers.map((watch) => watch(i));
          const watched = async () => (await Promise.all(finishWatchers.map((finish) => finish()))).flat();
          const proc = ctx.platform.spawn({
            command: argv,
            cwd: ctx.taskDir,
            env,
            user: ctx.taskUser,
            taskDir: ctx.taskDir,
          });
          const untrack = ctx.track(proc);
          proc.stdout.on('data', (b: Buffer) => ctx.log.write(b));
          proc.stderr.on('data', (b: Buffer) => ctx.log.write(b));
          const exit = await proc.exited;
          untrack();
          const wall = goDuration(Date.now() - t0);
          const extra = await watched();
          if (ctx.abortReason) {
            ctx.exitCode = -4;
            ctx.log.info([`Command ABORTED after ${wall}`, ...extra].join('\n'));
            throw ctx.abortReason;
          }
          if (exit.startError) {
            ctx.exitCode = -2;
            ctx.log.error(`System error executing command: ${exit.startError.message}`);
            throw new TaskError('failed', `command ${i} could not be started: ${exit.startError.message}`);
          }
          const code = exit.exitCode ?? 128;
          ctx.exitCode = code;
          ctx.log.info(
            [
              `   Exit Code: ${exit.exitCode ?? `killed by ${exit.signal}`}`,
              `   Wall Time: ${wall}`,
              ...extra,
              `      Result: ${code === 0 ? 'SUCCEEDED' : 'FAILED'}`,
            ].join('\n'),
          );
          if (code === 0) continue;
          if (retry.includes(code)) {
            throw new TaskError(
              'intermittent-task',
              `task appears to have failed intermittently - exit code ${code} found in task payload.onExitStatus list`,
            );
          }
          throw new TaskError('failed', `exit status ${code}`);
        }
      },
      async stop() {
        ctx.log.info(`=== Task Finished ===\nTask Duration: ${goDuration(Date.now() - started)}`);
      },
    };
  },
};
