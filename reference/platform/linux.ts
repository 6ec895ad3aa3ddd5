// Linux: a real OS-user sandbox (runTasksAsCurrentUser: false, needs root) and, without a user,
// the same process-group spawn for tasks run as the worker's own user. Per task: useradd
// task_<id> with its own home; commands start through the exec step (sandbox/exec-step.js, run as
// root with an empty environment), which switches to that uid/gid with the osGroups as supplementary
// groups before it reads the task's directory, PATH or environment; afterwards every process the uid
// owns is killed (also escapees from the process group) and its home, its files in shared temp dirs
// and the account are removed.
import { chmod, chown, lstat, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type CommandRunner, runChecked, SystemRunner } from '../sandbox/command-runner.ts';
import { killAllOf } from '../sandbox/linux-procs.ts';
import { chownTree, removeOwned, SHARED_TEMP_DIRS } from '../sandbox/owned-files.ts';
import { RunCgroups } from '../sandbox/cgroup.ts';
import { spawnPosix, spawnViaExecStep } from '../sandbox/posix-process.ts';
import { killRunProcesses } from '../sandbox/task-processes.ts';
import type { KilledProcesses, Platform, RunningProcess, RunProcesses, SpawnSpec, TaskUser } from './platform.ts';
import { linuxMemory, type MemoryReading } from './memory.ts';

export const TASK_USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
/** shadow-utils accepts this (upper case included); 32 is the utmp name limit. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/;
/** Group names the worker passes to getent/useradd (which run as root): a portable name, never an option. */
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$/;

export interface LinuxOptions {
  runner?: CommandRunner;
  /** Parent of task users' homes (HEAD multiuser default: /home). */
  homesDir?: string;
  /** Where to look for files a task user left behind. */
  sharedTempDirs?: string[];
  /** Prefix that marks task users (and leftovers to purge); tests use their own to stay apart. */
  userPrefix?: string;
}

const OWNER_TAG = 'tc-worker';

/** Whether a task user's comment names a worker process (other than this one) that is still running. */
function ownedByLiveWorker(gecos: string): boolean {
  const m = new RegExp(`^${OWNER_TAG} (\\d+)$`).exec(gecos);
  if (!m || Number(m[1]) === process.pid) return false;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export class LinuxPlatform implements Platform {
  readonly os = 'linux' as const;
  readonly runner: CommandRunner;
  readonly homesDir: string;
  readonly sharedTempDirs: string[];
  readonly userPrefix: string;
  /** Numeric supplementary gids per task user, resolved once at creation. */
  private readonly groupIds = new Map<string, number[]>();
  /** Per-run cgroups v2, where the worker may create them. */
  private readonly cgroups = new RunCgroups();
  /** Directories handed to a task user (task directories): the worker removes them itself after
   * uploading artifacts and the log from them, so the temp-dir sweep must not. */
  private readonly handedOver = new Map<string, Set<string>>();

  constructor(options: LinuxOptions = {}) {
    this.runner = options.runner ?? new SystemRunner();
    this.homesDir = options.homesDir ?? '/home';
    this.sharedTempDirs = options.sharedTempDirs ?? SHARED_TEMP_DIRS;
    this.userPrefix = options.userPrefix ?? 'task_';
  }

  /**
   * The environment a task user's command starts from: HOME, USER, LOGNAME, PATH, then what the worker
   * passes (the task's own variables; the worker builds them without its own environment for a task user).
   */
  static taskUserEnv(user: TaskUser, extra: Record<string, string> = {}): Record<string, string> {
    return { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: TASK_USER_PATH, ...extra };
  }

  spawn(spec: SpawnSpec): RunningProcess {
    const cgroup = spec.taskDir ? this.cgroups.cgroupOf(spec.taskDir) : undefined;
    if (!spec.user) {
      if (!cgroup) return spawnPosix({ command: spec.command, cwd: spec.cwd, env: spec.env });
      return spawnViaExecStep({ command: spec.command, cwd: spec.cwd, env: spec.env, cgroup });
    }
    const { uid, gid } = spec.user;
    if (uid === undefined || gid === undefined) throw new Error(`task user ${spec.user.name} has no uid/gid`);
    return spawnViaExecStep({
      command: spec.command,
      cwd: spec.cwd,
      env: LinuxPlatform.taskUserEnv(spec.user, spec.env),
      uid,
      gid,
      groups: this.groupIds.get(spec.user.name) ?? [],
      cgroup,
    });
  }

  async startRun(run: RunProcesses): Promise<string> {
    const cgroup = await this.cgroups.create(run.taskDir);
    return cgroup ? `cgroup v2 ${cgroup}` : 'environment marker and sessions (no writable cgroup v2)';
  }

  private async passwd(name: string): Promise<PasswdEntry | undefined> {
    const r = await this.runner.run(['getent', 'passwd', name]);
    if (r.exitCode !== 0) return undefined;
    const f = r.stdout.trim().split(':');
    return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
  }

  private async groupId(name: string): Promise<number | undefined> {
    if (!GROUP_NAME.test(name)) return undefined; // not a name getent or useradd may see
    const r = await this.runner.run(['getent', 'group', name]);
    if (r.exitCode !== 0) return undefined;
    const id = Number(r.stdout.trim().split(':')[2]);
    return Number.isInteger(id) ? id : undefined;
  }

  /** Groups of the worker's own user (osGroups check when tasks run as the current user). */
  async currentUserGroups(): Promise<string[]> {
    const r = await runChecked(this.runner, ['id', '-Gn']);
    return r.stdout.trim().split(/\s+/).filter(Boolean);
  }

  async groupExists(name: string): Promise<boolean> {
    return (await this.groupId(name)) !== undefined;
  }

  async createTaskUser(name: string, groups: string[]): Promise<TaskUser> {
    if (!USER_NAME.test(name)) {
      throw new Error(
        `invalid task user name ${JSON.stringify(name)}: must match ${USER_NAME} (at most 32 characters)`,
      );
    }
    const groupIds: number[] = [];
    for (const group of groups) {
      const id = await this.groupId(group);
      if (id === undefined) throw new Error(`osGroups: group ${JSON.stringify(group)} does not exist on this worker`);
      groupIds.push(id);
    }
    const home = path.join(this.homesDir, name);
    await rm(home, { recursive: true, force: true }); // a stale home would keep root ownership
    // The comment names the creating worker, so another worker's start-up purge leaves it alone while it lives.
    const argv = ['useradd', '--create-home', '--home-dir', home, '--user-group', '--shell', '/bin/bash'];
    argv.push('--comment', `${OWNER_TAG} ${process.pid}`);
    if (groups.length > 0) argv.push('--groups', groups.join(','));
    await runChecked(this.runner, [...argv, name]);
    const entry = await this.passwd(name);
    if (!entry) throw new Error(`useradd reported success but user ${name} is not in the passwd database`);
    await chmod(home, 0o700);
    this.groupIds.set(name, groupIds);
    return { name, home, uid: entry.uid, gid: entry.gid, groups: [...groups] };
  }

  async killUserProcesses(user: TaskUser): Promise<void> {
    const uid = user.uid ?? (await this.passwd(user.name))?.uid;
    if (uid === undefined) return;
    await killAllOf(uid);
  }

  /** The run's cgroup, then: a task user's run, everything the uid owns; without one, its environment marker and sessions. */
  async killRunProcesses(run: RunProcesses): Promise<KilledProcesses> {
    const inCgroup = await this.cgroups.kill(run.taskDir);
    const uid = run.user?.uid;
    if (uid !== undefined) return { killed: inCgroup + (await killAllOf(uid)), refused: [] };
    const r = await killRunProcesses({ marker: run, sessions: run.sessions });
    return { killed: inCgroup + r.killed.length, refused: r.refused };
  }

  async deleteTaskUser(user: TaskUser): Promise<void> {
    const entry = await this.passwd(user.name);
    const uid = user.uid ?? entry?.uid;
    const home = entry?.home ?? user.home;
    if (uid !== undefined) {
      await killAllOf(uid);
      await removeOwned(uid, this.sharedTempDirs, this.handedOver.get(user.name) ?? new Set());
    }
    if (entry) {
      // 6: already gone; 12: home could not be removed — removed below either way. Two workers purging the
      // same dead worker's user at once: the second userdel finds its entry gone once it holds the lock and
      // fails with exit 1, so a failure counts only while the user still exists.
      await runChecked(this.runner, ['userdel', '--remove', '--force', user.name], { okExitCodes: [0, 6, 12] }).catch(
        async (error: unknown) => {
          if (await this.passwd(user.name)) throw error;
        },
      );
    }
    if (home && path.basename(home) === user.name) await rm(home, { recursive: true, force: true });
    this.groupIds.delete(user.name);
    this.handedOver.delete(user.name);
    if (await this.passwd(user.name)) throw new Error(`task user ${user.name} still exists after userdel`);
  }

  async leftoverTaskUsers(): Promise<string[]> {
    const r = await runChecked(this.runner, ['getent', 'passwd'], { okExitCodes: [0, 2] });
    return r.stdout
      .split('\n')
      .map((line) => line.split(':'))
      .filter(([name, , , , gecos]) => name?.startsWith(this.userPrefix) && !ownedByLiveWorker(gecos ?? ''))
      .map(([name]) => name!);
  }

  async chownRecursive(dir: string, user: TaskUser): Promise<void> {
    if (user.uid === undefined || user.gid === undefined) throw new Error(`task user ${user.name} has no uid/gid`);
    if ((await lstat(dir)).isSymbolicLink())
      throw new Error(`refusing to hand ${dir} to ${user.name}: it is a symlink`);
    await chownTree(dir, user.uid, user.gid);
    const dirs = this.handedOver.get(user.name) ?? new Set<string>();
    dirs.add(path.resolve(dir));
    this.handedOver.set(user.name, dirs);
  }

  /** Owned by the worker's user and mode 0600, as generic-worker's fileutil.SecureFiles does. */
  async makePrivate(file: string): Promise<void> {
    await chown(file, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    await chmod(file, 0o600);
  }

  async userCanRead(file: string, user: TaskUser | undefined): Promise<boolean> {
    if (!user) {
      const st = await stat(file);
      return (st.mode & 0o044) !== 0;
    }
    // Ask the kernel as that user, like generic-worker's CoT check runs `cat` as the task user.
    const proc = this.spawn({ command: ['test', '-r', file], cwd: '/', env: {}, user });
    proc.stdout.resume();
    proc.stderr.resume();
    const exit = await proc.exited;
    return exit.exitCode === 0;
  }

  /** Headless Linux has no graphical logon to configure; tasks run without one. */
  async setAutoLogon(_user: TaskUser): Promise<void> {}

  memoryReading(): Promise<MemoryReading> {
    return linuxMemory();
  }

  async reboot(reason: string): Promise<void> {
    await runChecked(this.runner, ['shutdown', '-r', 'now', reason]);
  }

  async shutdown(reason: string): Promise<void> {
    await runChecked(this.runner, ['shutdown', '-h', 'now', reason]);
  }
}
