// Start-up cleanup (generic-worker's purgeOldTasks + deleteExistingOSUsers): remove task users
// and task_* directories that earlier runs left behind, except the ones still in use.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../platform/platform.ts';

export interface PurgeResult {
  users: string[];
  dirs: string[];
  errors: string[];
}

export async function purgeLeftovers(
  platform: Platform,
  options: { tasksDir?: string; keep?: string[]; users?: boolean } = {},
): Promise<PurgeResult> {
  const keep = new Set(options.keep ?? []);
  const result: PurgeResult = { users: [], dirs: [], errors: [] };
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
  if (options.tasksDir) {
    let entries: string[] = [];
    try {
      entries = await readdir(options.tasksDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of entries) {
      if (!name.startsWith('task_') || keep.has(name)) continue;
      await rm(path.join(options.tasksDir, name), { recursive: true, force: true });
      result.dirs.push(name);
    }
  }
  return result;
}
