// Which worker process holds a directory under tasksDir (a task directory, or the worker's scratch
// directory): `owner.json` names its pid and, where the OS tells, when that process started (Linux:
// /proc/<pid>/stat starttime and the boot id; macOS: ps lstart), so a reused pid is not mistaken for
// the owner. A worker starting on the same tasksDir removes what a dead worker left (kill -9, crash) and
// never what a live one holds. The file must be a regular file owned by the worker's own user: a task
// user cannot forge one to keep its leftovers alive.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// node:util through getBuiltinModule: an ES import of it builds its whole namespace, whose lazy getters load
// worker_threads and the assertion diff (about 0.4 MiB of an idle worker).
const execFileP = process.getBuiltinModule('node:util').promisify(execFile);

export const OWNER_FILE = 'owner.json';

export interface Owner {
  pid: number;
  /** Start time of the process as the OS reports it; empty where it cannot be read. */
  started: string;
}

let bootId: string | undefined;
async function linuxBootId(): Promise<string> {
  bootId ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  return bootId;
}

/** When the process started, in a form only comparable with itself; '' when unknown (or not running). */
export async function processStarted(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Field 22 (starttime), counted after the parenthesised command name, which may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return `${await linuxBootId()}:${fields[19] ?? ''}`;
    } catch {
      return '';
    }
  }
  if (process.platform === 'darwin') {
    try {
      return (await execFileP('ps', ['-o', 'lstart=', '-p', String(pid)])).stdout.trim();
    } catch {
      return '';
    }
  }
  return '';
}

// This process's record, read once: writeOwner runs for every task, and on macOS each read is a `ps`.
let self: Promise<Owner> | undefined;
export function currentOwner(): Promise<Owner> {
  self ??= processStarted(process.pid).then((started) => ({ pid: process.pid, started }));
  return self;
}

/** Record this worker as the owner of `dir` (which the worker has just created). */
export async function writeOwner(dir: string): Promise<void> {
  const fh = await open(
    join(dir, OWNER_FILE),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o644,
  );
  try {
    await fh.writeFile(`${JSON.stringify(await currentOwner())}\n`);
  } finally {
    await fh.close();
  }
}

/** The owner recorded in `dir`, if the record is a real file of the worker's user; undefined otherwise. */
export async function readOwner(dir: string): Promise<Owner | undefined> {
  const uid = process.getuid?.();
  try {
    const d = await lstat(dir);
    if (!d.isDirectory() || (uid !== undefined && d.uid !== uid)) return undefined;
    const fh = await open(
      join(dir, OWNER_FILE),
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | constants.O_NONBLOCK,
    );
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > 4096 || (uid !== undefined && st.uid !== uid)) return undefined;
      const o = JSON.parse(await fh.readFile('utf8')) as Partial<Owner>;
      if (!Number.isInteger(o.pid) || typeof o.started !== 'string') return undefined;
      return { pid: o.pid!, started: o.started };
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Whether the recorded owner is a live process other than this one (same pid and same start time). */
export async function ownedByOtherLiveWorker(owner: Owner | undefined): Promise<boolean> {
  if (!owner || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!owner.started) return true; // nothing to compare: a live pid is taken to be the owner
  return (await processStarted(owner.pid)) === owner.started;
}
