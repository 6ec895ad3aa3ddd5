// Requested when payload.osGroups is non-empty. Each group needs scope
// generic-worker:os-group:<provisionerId>/<workerType>/<group>. When commands run as the worker's own user
// (no task user), that user must already be in every group (current generic-worker, insecure engine);
// with a task user the sandbox adds the groups when it creates the user.
import { userInfo } from 'node:os';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';
import { runTaskAsCurrentUserRequested } from './run-task-as-current-user.ts';

export const osGroupsFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'os-groups',
  after: ['payload-validator'],
  enabled: (cfg) => cfg.enableOSGroups || 'config enableOSGroups is false',
  requested: (ctx) => Array.isArray(ctx.payload?.osGroups) && ctx.payload.osGroups.length > 0,
  forTask(ctx) {
    const groups: string[] = ctx.payload.osGroups;
    const { provisionerId, workerType } = ctx.config;
    return {
      requiredScopes: [groups.map((g) => `generic-worker:os-group:${provisionerId}/${workerType}/${g}`)],
      async start() {
        if (ctx.taskUser && runTaskAsCurrentUserRequested(ctx.payload)) {
          // generic-worker os_groups_multiuser.go: the groups are for the task user, who runs nothing.
          ctx.log.info(`Not adding task user to group(s) [${groups.join(' ')}] since we are running as current user.`);
          return;
        }
        if (ctx.taskUser) return;
        // Not the group named as the user: current generic-worker leaves it out as "non-predictable"
        // (os_groups_insecure.go currentUserGroups), so a task cannot count on it.
        const self = userInfo().username;
        const mine = (ctx.platform.currentUserGroups ? await ctx.platform.currentUserGroups() : []).filter(
          (g) => g !== self,
        );
        const missing = groups.filter((g) => !mine.includes(g));
        if (missing.length > 0) {
          throw new TaskError(
            'malformed-payload',
            `task payload contains unsupported osGroups: ${JSON.stringify(missing)} - tasks run as the worker's user, which is not in these groups`,
          );
        }
      },
      async stop() {},
    };
  },
};
