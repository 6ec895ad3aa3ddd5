// The Windows multiuser cycle of generic-worker 11 (generic-worker-behaviour.md §2.5, seed "Task
// user lifecycle"): one task user per boot. At start, if Windows logged on as the auto-logon user,
// that user runs the next task (after runAfterUserCreation); otherwise a new task user is created,
// Windows is told to log on as it, and the worker exits 67 (rebooting unless disableReboots).
// After its task the worker prepares the next user the same way and exits 67 again.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { purgeLeftovers } from '../../sandbox/leftovers.ts';
import type { TaskUser } from '../platform.ts';
import { EXIT_REBOOT_REQUIRED, type WindowsPlatform } from '../windows.ts';

export interface LifecycleConfig {
  tasksDir: string;
  disableReboots: boolean;
  runAfterUserCreation: string;
}

export interface LifecycleLog {
  info(obj: object | string, msg?: string): void;
}

export type BootResult = { exitCode: number } | { user: TaskUser; taskDir: string };

/** generic-worker names task users after the current unix time. */
export function nextTaskUserName(now: number = Date.now()): string {
  return `task_${Math.floor(now / 1000)}`;
}

/** Create the next task user, set auto-logon, reboot unless disableReboots: exit 67 either way. */
export async function prepareNextUser(
  platform: WindowsPlatform,
  cfg: LifecycleConfig,
  log: LifecycleLog,
  now: number = Date.now(),
): Promise<{ exitCode: number }> {
  const name = nextTaskUserName(now);
  const r = await platform.prepareTaskUser(name, {
    taskDir: path.win32.join(cfg.tasksDir, name),
    disableReboots: cfg.disableReboots,
  });
  log.info(
    { user: name, rebooting: r.rebooted },
    r.rebooted
      ? 'new task user created; rebooting to log on as it'
      : 'new task user created; reboots disabled, exiting 67',
  );
  return { exitCode: EXIT_REBOOT_REQUIRED };
}

export async function windowsBoot(
  platform: WindowsPlatform,
  cfg: LifecycleConfig,
  log: LifecycleLog,
  options: { logonTimeoutMs?: number; pollMs?: number; now?: number } = {},
): Promise<BootResult> {
  const auto = await platform.autoLogonUser();
  if (auto) {
    // Wait (bounded, like generic-worker's 3 minutes) for winlogon to finish the interactive logon.
    const deadline = Date.now() + (options.logonTimeoutMs ?? 180_000);
    for (;;) {
      if ((await platform.interactiveUser()) === auto.name) break;
      if (Date.now() >= deadline) break;
      await sleep(options.pollMs ?? 2000);
    }
    if ((await platform.interactiveUser()) === auto.name) {
      const user: TaskUser = {
        name: auto.name,
        home: path.win32.join(platform.profilesDir, auto.name),
        groups: [],
        password: auto.password,
      };
      await purgeLeftovers(platform, { tasksDir: cfg.tasksDir, keep: [auto.name] });
      const taskDir = path.win32.join(cfg.tasksDir, auto.name);
      await platform.runner.run(['cmd.exe', '/d', '/c', 'if', 'not', 'exist', taskDir, 'mkdir', taskDir]);
      await platform.runAfterUserCreation(user, cfg.runAfterUserCreation, taskDir);
      platform.sessionUser = user;
      log.info({ user: user.name }, 'running tasks as the logged-on task user');
      return { user, taskDir };
    }
    log.info({ user: auto.name }, 'auto-logon user did not log on in time; preparing a new task user');
  }
  await purgeLeftovers(platform, { tasksDir: cfg.tasksDir });
  return prepareNextUser(platform, cfg, log, options.now);
}
