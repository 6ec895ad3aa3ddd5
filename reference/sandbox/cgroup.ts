// Linux cgroup v2 per task run, where the worker may create one: a child of the worker's own cgroup
// named after the task directory (`tc-task_<id>_<run>`). Every command joins it in the exec step before
// it execs (sandbox/exec-step.js), so nothing it starts can leave it without write access to another
// cgroup's cgroup.procs, which a task user does not have; at the end of the run `cgroup.kill` (Linux
// 5.14+; older kernels: SIGKILL of every member until none is left) ends all of it at once, whatever
// session, process group or environment its processes chose. No controllers are enabled, so no
// resource limits apply. Where cgroup v2 is missing or not writable (not root, no delegation) the run
// has no cgroup and the environment-marker scan (task-processes.ts) is the only tracking.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const CGROUP_PREFIX = 'tc-';

/** Where the cgroup v2 hierarchy is mounted and which cgroup this process is in; undefined without one. */
export async function ownCgroup(procRoot = '/proc'): Promise<string | undefined> {
  let mountinfo: string;
  let self: string;
  try {
    mountinfo = await readFile(`${procRoot}/self/mountinfo`, 'utf8');
    self = await readFile(`${procRoot}/self/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  // mountinfo: id parent major:minor root mountpoint options ... - fstype source superoptions
  const mount = mountinfo
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2' && f[3] === '/')?.[4];
  const rel = self
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3)
    .trim();
  if (!mount || rel === undefined) return undefined;
  return path.join(mount, rel);
}

export class RunCgroups {
  private base: Promise<string | undefined> | undefined;
  /** Cgroup directories of live runs, by task directory. */
  private readonly runs = new Map<string, string>();

  /** The worker's own cgroup, once; undefined when there is no cgroup v2 hierarchy. */
  private ownCgroup(): Promise<string | undefined> {
    this.base ??= ownCgroup();
    return this.base;
  }

  private async dirFor(taskDir: string): Promise<string | undefined> {
    const base = await this.ownCgroup();
    return base && path.join(base, `${CGROUP_PREFIX}${path.basename(taskDir)}`);
  }

  /** Create the run's cgroup; undefined (and the marker scan alone) when the worker may not. */
  async create(taskDir: string): Promise<string | undefined> {
    const dir = await this.dirFor(taskDir);
    if (!dir) return undefined;
    try {
      if (existsSync(dir)) await this.killDir(dir); // a dead worker's, for the same run
      await mkdir(dir);
    } catch {
      return undefined;
    }
    this.runs.set(path.resolve(taskDir), dir);
    return dir;
  }

  /** The cgroup the run's commands join, if it has one. */
  cgroupOf(taskDir: string): string | undefined {
    return this.runs.get(path.resolve(taskDir));
  }

  /** Kill everything in the run's cgroup (also one a dead worker left for this directory) and remove it. */
  async kill(taskDir: string): Promise<number> {
    const dir = this.cgroupOf(taskDir) ?? (await this.dirFor(taskDir));
    this.runs.delete(path.resolve(taskDir));
    if (!dir || !existsSync(dir)) return 0;
    return this.killDir(dir);
  }

  private async killDir(dir: string, rounds = 100): Promise<number> {
    const seen = new Set<number>();
    const members = async () =>
      (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const hasKill = existsSync(path.join(dir, 'cgroup.kill'));
    for (let round = 0; round < rounds; round++) {
      const pids = await members();
      if (pids.length === 0) break;
      for (const pid of pids) seen.add(pid);
      if (hasKill) await writeFile(path.join(dir, 'cgroup.kill'), '1');
      else {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
      await sleep(Math.min(5 + round * 5, 50));
    }
    const left = await members();
    if (left.length > 0) throw new Error(`processes in ${dir} survived the kill: ${left.join(', ')}`);
    // rmdir fails with EBUSY while the last members are being reaped: retry briefly.
    for (let i = 0; ; i++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i >= 50) throw error;
        await sleep(20);
      }
    }
    return seen.size;
  }
}
