// File-tree walks for the sandbox: hand a task directory to the task user, and find what a task
// user left in shared temporary directories. Directories are read with opendir (streamed) and
// symlinks are never followed, so a task cannot redirect the worker (running as root) elsewhere.
import { lchown, lstat, opendir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Shared places any user can write to; a task user's leftovers there are removed with it. */
export const SHARED_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

async function* walk(dir: string, depthLeft: number): AsyncGenerator<string> {
  if (depthLeft < 0) return;
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir);
  } catch {
    return; // vanished or unreadable: nothing of ours to do there
  }
  for await (const entry of handle) {
    const full = path.join(dir, entry.name);
    yield full;
    if (entry.isDirectory()) yield* walk(full, depthLeft - 1);
  }
}

export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  await lchown(root, uid, gid);
  for await (const p of walk(root, 64)) await lchown(p, uid, gid);
}

/** Paths under `roots` owned by uid (top-most only: a matching directory is not descended). */
export async function findOwned(uid: number, roots: string[] = SHARED_TEMP_DIRS, maxDepth = 16): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth) return;
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(dir);
    } catch {
      return;
    }
    for await (const entry of handle) {
      const full = path.join(dir, entry.name);
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(full);
      } catch {
        continue;
      }
      if (st.uid === uid) found.push(full);
      else if (st.isDirectory()) await visit(full, depth + 1);
    }
  };
  for (const root of roots) await visit(root, 0);
  return found;
}

export async function removeOwned(uid: number, roots: string[] = SHARED_TEMP_DIRS): Promise<string[]> {
  const owned = await findOwned(uid, roots);
  for (const p of owned) await rm(p, { recursive: true, force: true });
  return owned;
}
