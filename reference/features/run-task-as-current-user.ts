// features.runTaskAsCurrentUser, after generic-worker's run_task_as_current_user*.go (multiuser engine):
// with a task user per task (runTasksAsCurrentUser: false), a task holding the scope
// generic-worker:run-task-as-current-user:<provisionerId>/<workerType> runs its commands as the worker's
// own user. The task user is still created (by the sandbox feature, which also deletes it), and the
// file named by TASK_USER_CREDENTIALS (<task dir>/task-user-credentials.json, private to the worker's
// user) says who it is, so the task can use it. Where tasks already run as the worker's user there is
// nothing to switch from: the feature is not enabled (generic-worker's insecure engine has no such
// feature, and its schema rejects it).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

export const TASK_USER_CREDENTIALS_FILE = 'task-user-credentials.json';

export function runTaskAsCurrentUserRequested(payload: any): boolean {
  return payload?.features?.runTaskAsCurrentUser === true;
}

export const runTaskAsCurrentUserFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'run-task-as-current-user',
  // After the sandbox created the task user and mounts were made for it, as generic-worker orders it;
  // before chain of trust, which must then see that the commands can read the signing key.
  after: ['os-user-sandbox', 'mounts'],
  enabled(cfg) {
    if (cfg.runTasksAsCurrentUser)
      return "tasks already run as the worker's own user (config runTasksAsCurrentUser is true)";
    // generic-worker run_task_as_current_user_feature.go: it would bypass per-task user isolation.
    if (cfg.capacity > 1)
      return `feature "runTaskAsCurrentUser" is not compatible with capacity > 1 (current capacity: ${cfg.capacity}) because it would bypass per-task user isolation`;
    return cfg.enableRunTaskAsCurrentUser || 'config enableRunTaskAsCurrentUser is false';
  },
  requested: (ctx) => runTaskAsCurrentUserRequested(ctx.payload),
  forTask(ctx) {
    const { provisionerId, workerType } = ctx.config;
    return {
      requiredScopes: [[`generic-worker:run-task-as-current-user:${provisionerId}/${workerType}`]],
      async start() {
        const user = ctx.taskUser;
        if (!user)
          throw new TaskError('internal-error', 'runTaskAsCurrentUser: no task user was created for this task');
        const file = join(ctx.taskDir, TASK_USER_CREDENTIALS_FILE);
        // generic-worker's shape ({name, password}); a POSIX task user of tc-worker has no password.
        const creds: Record<string, unknown> = { name: user.name };
        if (user.password !== undefined) creds.password = user.password;
        await writeFile(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
        await ctx.platform.makePrivate(file);
        ctx.env.TASK_USER_CREDENTIALS = file;
        ctx.log.info(
          `Running the commands as the worker's own user (features.runTaskAsCurrentUser); task user ${user.name} exists and is named in ${file}`,
        );
        // From here on nothing runs as the task user; the sandbox still deletes it at the end.
        ctx.taskUser = undefined;
      },
      async stop() {},
    };
  },
};
