// File-tree walks for the sandbox: hand a task directory to the task user, and find what a task
// user left in shared temporary directories. Directories are read with opendir (streamed) and
// symlinks are never followed, so a task cannot redirect the worker (running as root) elsewhere.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** Owner change of a tree, never through a symlink (not even at the top: a task may have swapped it in). */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const top = await lstat(root);
  await lchown(root, uid, gid);
  if (!top.isDirectory()) return;
  for await (const p of walk(root, 64)) await lchown(p, uid, gid);
}

/** Paths under `roots` owned by uid (top-most only: a matching directory is not descended).
 * `skip` paths (the task directory, which the worker removes after uploading from it) are left.
 * find(1) does the walk: shared temp dirs hold tens of thousands of entries, and one lstat per
 * entry from JavaScript is an order of magnitude slower. */
export async function findOwned(
  uid: number,
  roots: string[] = SHARED_TEMP_DIRS,
  skip: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const existing = roots.filter((r) => existsSync(r));
  if (existing.length === 0) return [];
  const prune = [...skip].flatMap((p, i) => (i === 0 ? ['-path', p] : ['-o', '-path', p]));
  const args = [
    ...existing,
    '-xdev',
    ...(prune.length > 0 ? ['(', ...prune, ')', '-prune', '-o'] : []),
    '-uid',
    String(uid),
    '-prune',
    '-print0',
  ];
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    execFile('find', args, { maxBuffer: 64 * 1024 * 1024 }, (error, out) => {
      // Exit 1 = some directory was unreadable or vanished mid-walk: the rest is still valid.
      const code = (error as { code?: unknown } | null)?.code;
      if (error && code !== 1) reject(new Error(`find ${args.join(' ')} failed: ${error.message}`));
      else resolve({ stdout: out });
    });
  });
  return stdout.split('\0').filter(Boolean);
}

export async function removeOwned(
  uid: number,
  roots: string[] = SHARED_TEMP_DIRS,
  skip: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const owned = await findOwned(uid, roots, skip);
  for (const p of owned) await rm(p, { recursive: true, force: true });
  return owned;
}
