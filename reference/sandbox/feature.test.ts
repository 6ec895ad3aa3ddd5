// The sandbox feature's decisions, with a platform double that records what it was asked to do
// (the real Linux sandbox is exercised end to end in test/platform/sandbox.e2e.test.ts).
import { describe, expect, it } from 'vitest';
import { TaskError } from '../features/feature.ts';
import type { Platform, TaskUser } from '../platform/platform.ts';
import { createSandboxFeature, NO_SANDBOX_MESSAGE } from './feature.ts';

function fakePlatform(over: Partial<Platform> = {}): { platform: Platform; calls: string[] } {
  const calls: string[] = [];
  const platform = {
    os: 'linux',
    groupExists: async (g: string) => g === 'docker',
    createTaskUser: async (name: string, groups: string[]) => {
      calls.push(`create ${name} [${groups}]`);
      return { name, home: `/home/${name}`, uid: 4242, gid: 4242, groups } as TaskUser;
    },
    chownRecursive: async (p: string, u: TaskUser) => {
      calls.push(`chown ${p} ${u.name}`);
    },
    killUserProcesses: async (u: TaskUser) => {
      calls.push(`kill ${u.name}`);
    },
    deleteTaskUser: async (u: TaskUser) => {
      calls.push(`delete ${u.name}`);
    },
    ...over,
  } as unknown as Platform;
  return { platform, calls };
}

function context(platform: Platform, runTasksAsCurrentUser: boolean, payload: any = {}) {
  const logged: string[] = [];
  const ctx: any = {
    config: { runTasksAsCurrentUser },
    platform,
    payload,
    // A directory that does not exist: the feature must not need it for the decisions tested here.
    taskDir: '/nonexistent-tc-kit/tasks/task_abc_0',
    log: { info: (m: string) => logged.push(m) },
  };
  return { ctx, logged };
}

const feature = createSandboxFeature();

describe('os-user-sandbox feature', () => {
  it('is always requested; as the current user it only says that no sandbox is in use', async () => {
    const { platform, calls } = fakePlatform();
    const { ctx, logged } = context(platform, true);
    expect(feature.requested(ctx)).toBe(true);
    const tf = feature.forTask(ctx);
    await tf.start();
    await tf.stop({ resolution: 'completed', aborted: false });
    expect(logged).toEqual([NO_SANDBOX_MESSAGE]);
    expect(calls).toEqual([]);
    expect(ctx.taskUser).toBeUndefined();
  });

  it('rejects an unknown osGroup as malformed-payload before creating anything', async () => {
    const { platform, calls } = fakePlatform();
    const { ctx } = context(platform, false, { osGroups: ['docker', 'wheelz'] });
    const err = await feature
      .forTask(ctx)
      .start()
      .catch((e) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect(err.reason).toBe('malformed-payload');
    expect(err.message).toContain('"wheelz" does not exist');
    expect(calls).toEqual([]);
  });

  it('uses the logged-on session user (Windows cycle) without deleting it after the task', async () => {
    const session: TaskUser = {
      name: 'task_1700000000',
      home: 'C:\\Users\\task_1700000000',
      groups: [],
      password: 'p',
    };
    const { platform, calls } = fakePlatform({ os: 'windows', sessionTaskUser: () => session } as Partial<Platform>);
    const { ctx, logged } = context(platform, false);
    const tf = feature.forTask(ctx);
    await tf.start();
    await tf.stop({ resolution: 'completed', aborted: false });
    expect(ctx.taskUser).toBe(session);
    expect(calls).toEqual([`chown ${ctx.taskDir} task_1700000000`]);
    expect(logged[0]).toBe('Running task as OS user task_1700000000');
  });
});
