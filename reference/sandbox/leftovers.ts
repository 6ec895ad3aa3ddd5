// Start-up cleanup (generic-worker's purgeOldTasks + deleteExistingOSUsers): remove task users,
// task_* directories and worker scratch directories that earlier runs left behind, except the ones
// still in use: named in `keep`, or held by another live worker (sandbox/owner.ts). Before a task
// directory goes, whatever is still running from it is killed (platform.killRunProcesses: the task
// user's processes, or processes whose environment names that directory), so a worker killed with -9
// leaves no task process behind once a fresh worker starts.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../platform/platform.ts';
import { ownedByOtherLiveWorker, readOwner } from './owner.ts';

export interface PurgeResult {
  users: string[];
  dirs: string[];
  /** Directories left alone because another live worker holds them. */
  kept: string[];
  /** Processes of dead workers' tasks that were killed. */
  killed: number;
  errors: string[];
}

/** The worker's own scratch directories are named like this, inside tasksDir (worker.ts). */
export const SCRATCH_PREFIX = 'tc-worker-scratch-';

export async function purgeLeftovers(
  platform: Platform,
  options: { tasksDir?: string; keep?: string[]; users?: boolean; dirs?: boolean } = {},
): Promise<PurgeResult> {
  const keep = new Set(options.keep ?? []);
  const result: PurgeResult = { users: [], dirs: [], kept: [], killed: 0, errors: [] };
  const leftovers: string[] = [];
  if (options.tasksDir) {
    let entries: string[] = [];
    try {
      entries = await readdir(options.tasksDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of entries) {
      if (!(name.startsWith('task_') || name.startsWith(SCRATCH_PREFIX)) || keep.has(name)) continue;
      const dir = path.join(options.tasksDir, name);
      const ownerDir = name.startsWith('task_') ? path.join(dir, 'generic-worker') : dir;
      if (await ownedByOtherLiveWorker(await readOwner(ownerDir))) {
        keep.add(name); // its task user too: they share the name
        result.kept.push(name);
        continue;
      }
      leftovers.push(name);
    }
  }
  if (options.users !== false) {
    for (const name of await platform.leftoverTaskUsers()) {
      if (keep.has(name)) continue;
      try {
        await platform.deleteTaskUser({ name, home: '', groups: [] });
        result.users.push(name);
      } catch (error) {
        result.errors.push(`could not delete task user ${name}: ${(error as Error).message}`);
      }
    }
  }
  for (const name of leftovers) {
    const dir = path.resolve(options.tasksDir!, name);
    if (name.startsWith('task_') && platform.killRunProcesses) {
      try {
        result.killed += (await platform.killRunProcesses({ taskDir: dir, sessions: [] })).killed;
      } catch (error) {
        result.errors.push(`could not kill the processes of ${dir}: ${(error as Error).message}`);
        continue; // its processes may still write there
      }
    }
    if (options.dirs === false && name.startsWith('task_')) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      result.dirs.push(name);
    } catch {
      // Still in use (Windows) or not ours to remove: generic-worker's deleteTaskDirs only warns too; the
      // next start tries again.
    }
  }
  return result;
}
