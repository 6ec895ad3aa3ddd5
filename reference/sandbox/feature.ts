// The OS-user sandbox as a worker feature (runTasksAsCurrentUser: false). Always requested: with
// runTasksAsCurrentUser: true it only says in the task log that no sandbox is in use. Otherwise,
// per task: check osGroups exist (unknown → malformed-payload), create the task user named like
// the task directory, hand it the task directory (but not the worker's generic-worker/ folder
// with the backing log), and at stop kill everything it owns and delete it with its files.
// At worker start-up, leftovers of earlier runs are purged in both modes (generic-worker's
// purgeOldTasks): task directories and scratch directories of workers that are gone, with whatever is
// still running from them, and (sandbox only) their task users; never what another live worker holds.
import { basename, join } from 'node:path';
import { TaskError } from '../features/feature.ts';
import { hostOs, platformFor } from '../platform/index.ts';
import type { Platform, TaskUser } from '../platform/platform.ts';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import type { Feature } from '../features/feature.ts';
import { runTaskAsCurrentUserRequested } from '../features/run-task-as-current-user.ts';
import { purgeLeftovers } from './leftovers.ts';
import { chownTree } from './owned-files.ts';

export const NO_SANDBOX_MESSAGE =
  "Tasks run as the worker's own user: no sandbox is in use (runTasksAsCurrentUser: true)";

export function createSandboxFeature(
  options: { platform?: Platform } = {},
): Feature<ResolvedConfig, TaskContext, TaskContext> {
  return {
    name: 'os-user-sandbox',
    after: ['payload-validator'],
    async initialise(cfg) {
      const sandbox = !cfg.runTasksAsCurrentUser;
      const platform = options.platform ?? platformFor(hostOs());
      // Windows purges at boot (platform/windows/lifecycle.ts), keeping the logged-on task user.
      if (sandbox && platform.os === 'windows') return;
      if (sandbox && process.getuid?.() !== 0) {
        throw new Error(
          `runTasksAsCurrentUser is false, but the worker runs as uid ${process.getuid?.()}: the OS-user sandbox needs root`,
        );
      }
      // Without a sandbox the platform is still the OS's, for its view of what a task directory left running.
      const purged = await purgeLeftovers(platform, {
        tasksDir: cfg.tasksDir,
        users: sandbox,
        dirs: cfg.cleanUpTaskDirs,
      });
      if (purged.errors.length > 0)
        throw new Error(`could not remove leftovers of earlier runs:\n${purged.errors.join('\n')}`);
    },
    enabled: () => true,
    requested: () => true,
    forTask(ctx) {
      let user: TaskUser | undefined;
      let owned = false;
      return {
        async start() {
          if (ctx.config.runTasksAsCurrentUser) {
            ctx.log.info(NO_SANDBOX_MESSAGE);
            return;
          }
          // With features.runTaskAsCurrentUser the task user runs nothing, so it joins no groups (generic-worker).
          const groups: string[] =
            Array.isArray(ctx.payload?.osGroups) && !runTaskAsCurrentUserRequested(ctx.payload)
              ? ctx.payload.osGroups
              : [];
          for (const group of groups) {
            if (!(await ctx.platform.groupExists(group))) {
              throw new TaskError(
                'malformed-payload',
                `osGroups: group ${JSON.stringify(group)} does not exist on this worker`,
              );
            }
          }
          const session = ctx.platform.sessionTaskUser?.();
          if (session && groups.length > 0) {
            throw new TaskError(
              'malformed-payload',
              `osGroups ${JSON.stringify(groups)} cannot be added to the logged-on task user ${session.name}`,
            );
          }
          // Windows multiuser: the user Windows logged on as runs the task and is purged at the next boot.
          user = session ?? (await ctx.platform.createTaskUser(basename(ctx.taskDir), groups));
          owned = !session;
          ctx.log.info(`Running task as OS user ${user.name}${user.uid === undefined ? '' : ` (uid ${user.uid})`}`);
          await ctx.platform.chownRecursive(ctx.taskDir, user);
          if (ctx.platform.os !== 'windows') {
            // The backing log and other worker files stay the worker's: the task must not rewrite them.
            await chownTree(join(ctx.taskDir, 'generic-worker'), process.getuid?.() ?? 0, process.getgid?.() ?? 0);
          }
          ctx.taskUser = user;
        },
        async stop() {
          if (!user || !owned) return;
          await ctx.platform.killUserProcesses(user);
          await ctx.platform.deleteTaskUser(user);
          ctx.log.info(`Deleted OS user ${user.name}, its processes and its files`);
        },
      };
    },
  };
}
