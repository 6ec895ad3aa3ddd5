// Platform for tasks that run as the worker's own OS user (generic-worker's "insecure" engine, and
// generic-worker 11's only mode outside Windows). POSIX: each command leads its own process group so the
// whole tree dies with one kill(-pgid); Windows: tree-kill (taskkill /t /f). When a run ends, what it
// left running is found on Linux through its cgroup v2 where the worker may create one (sandbox/cgroup.ts),
// and always through /proc (environment marker and sessions, sandbox/task-processes.ts); on macOS by the
// commands' process groups. OS-user sandboxing lives in the per-OS platforms; here
// those operations report that they are unavailable.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, statSync } from 'node:fs';
import { access, chmod, constants, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import treeKill from 'tree-kill';
import { RunCgroups } from '../sandbox/cgroup.ts';
import { killRunProcesses } from '../sandbox/task-processes.ts';
import type {
  KilledProcesses,
  OsName,
  Platform,
  ProcessExit,
  RunningProcess,
  RunProcesses,
  SpawnSpec,
  TaskUser,
} from './platform.ts';
import { darwinMemory, linuxMemory, type MemoryReading, type RunCommand, windowsMemory } from './memory.ts';

// node:util through getBuiltinModule: an ES import of it builds its whole namespace, whose lazy getters load
// worker_threads and the assertion diff (about 0.4 MiB of an idle worker).
const execFileP = process.getBuiltinModule('node:util').promisify(execFile);

export function currentOs(): OsName {
  return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
}

/** execvp's search, as the command's own user: a name with a slash relative to cwd, else each PATH entry. */
export function findExecutable(file: string, pathVar: string | undefined, cwd: string): string | undefined {
  const candidates = file.includes('/')
    ? [path.resolve(cwd, file)]
    : (pathVar ?? '/bin:/usr/bin').split(':').map((dir) => path.resolve(cwd, dir || '.', file));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here, or not executable: the next PATH entry
    }
  }
  return undefined;
}

function unsupported(what: string): Promise<never> {
  return Promise.reject(new Error(`${what} is not available when tasks run as the worker's user`));
}

export class CurrentUserPlatform implements Platform {
  readonly os: OsName = currentOs();

  /** Linux: per-run cgroups v2 where the worker may create them (as root, or in a delegated subtree). */
  private readonly cgroups = new RunCgroups();

  spawn(spec: SpawnSpec): RunningProcess {
    if (spec.user) throw new Error('CurrentUserPlatform cannot run commands as another user');
    const cgroup = this.os === 'linux' && spec.taskDir ? this.cgroups.cgroupOf(spec.taskDir) : undefined;
    const windows = this.os === 'windows';
    let [file, ...args] = spec.command;
    const exe = cgroup && file ? findExecutable(file, spec.env.PATH, spec.cwd) : undefined;
    if (cgroup && exe) {
      // Into the run's cgroup before the command's first instruction: a shell that moves itself, then execs.
      // Same user as the worker, so no privilege is involved; a command that cannot be found or run is spawned
      // as is below and fails to start exactly as without a cgroup.
      args = ['-c', 'echo $$ > "$0" || exit 126; exec "$@"', path.join(cgroup, 'cgroup.procs'), exe, ...args];
      file = '/bin/sh';
    }
    const child: ChildProcess = spawn(file!, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: !windows, // new process group on POSIX: kill(-pid) reaches every descendant
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: windows, // a Windows command is one cmd.exe line
      windowsHide: true,
    });
    let done = false;
    const exited = new Promise<ProcessExit>((resolveExit) => {
      child.once('error', (err) => {
        done = true;
        resolveExit({ exitCode: null, signal: null, startError: err });
      });
      // Done at 'exit', not 'close': a background grandchild may hold stdout open for ever (generic-worker
      // writes straight to the log file and does not wait for it). Output still in the pipes is read for
      // a short grace period, then the pipes are dropped.
      child.once('exit', (code, signal) => {
        done = true;
        const drained = new Promise<void>((r) => child.once('close', () => r()));
        const grace = new Promise<void>((r) => setTimeout(r, 500).unref());
        void Promise.race([drained, grace]).then(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolveExit({ exitCode: code, signal });
        });
      });
    });
    return {
      pid: child.pid,
      stdout: child.stdout!,
      stderr: child.stderr!,
      exited,
      killTree: async () => {
        if (done || child.pid === undefined) return;
        if (windows) {
          await new Promise<void>((r) => treeKill(child.pid!, 'SIGKILL', () => r()));
          return;
        }
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        }
      },
    };
  }

  createTaskUser(): Promise<TaskUser> {
    return unsupported('creating task users');
  }
  deleteTaskUser(): Promise<void> {
    return unsupported('deleting task users');
  }
  killUserProcesses(): Promise<void> {
    return unsupported('killing task user processes');
  }
  async leftoverTaskUsers(): Promise<string[]> {
    return [];
  }

  async startRun(run: RunProcesses): Promise<string> {
    if (this.os === 'linux') {
      const cgroup = await this.cgroups.create(run.taskDir);
      return cgroup ? `cgroup v2 ${cgroup}` : 'environment marker and sessions (no writable cgroup v2)';
    }
    return this.os === 'darwin' ? "the commands' process groups" : "the commands' process trees";
  }

  /** Linux: the run's cgroup, then its environment marker and sessions in /proc. macOS: its commands'
   * process groups (a process that called setsid is not found there). Windows: nothing beyond the
   * abort's tree kill. */
  async killRunProcesses(run: RunProcesses): Promise<KilledProcesses> {
    if (this.os === 'linux') {
      const inCgroup = await this.cgroups.kill(run.taskDir);
      const r = await killRunProcesses({ marker: run, sessions: run.sessions });
      return { killed: inCgroup + r.killed.length, refused: r.refused };
    }
    let killed = 0;
    if (this.os === 'darwin') {
      for (const pgid of run.sessions) {
        try {
          process.kill(-pgid, 'SIGKILL');
          killed++;
        } catch {
          // the group is gone already
        }
      }
    }
    return { killed, refused: [] };
  }

  async groupExists(name: string): Promise<boolean> {
    if (this.os === 'windows') return false;
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$/.test(name)) return false; // never an option to getent
    try {
      await execFileP('getent', ['group', name]);
      return true;
    } catch {
      return (await this.currentUserGroups()).includes(name);
    }
  }

  /** Names of the worker user's groups (`id -Gn`), for insecure-mode osGroups validation. */
  async currentUserGroups(): Promise<string[]> {
    if (this.os === 'windows') return [];
    const { stdout } = await execFileP('id', ['-Gn', userInfo().username]);
    return stdout.trim().split(/\s+/).filter(Boolean);
  }

  async chownRecursive(): Promise<void> {
    // Everything already belongs to the worker's user.
  }

  async makePrivate(path: string): Promise<void> {
    await chmod(path, 0o600);
  }

  async userCanRead(path: string, user: TaskUser | undefined): Promise<boolean> {
    if (user) return unsupported('checking another user’s access');
    // Without a task user: could any *other* local user read it? (group/other read bits on POSIX)
    if (this.os === 'windows') {
      try {
        await access(path, constants.R_OK);
        return true;
      } catch {
        return false;
      }
    }
    const st = await stat(path);
    return (st.mode & 0o044) !== 0;
  }

  setAutoLogon(): Promise<void> {
    return unsupported('auto-logon');
  }

  memoryReading(): Promise<MemoryReading> {
    const run: RunCommand = (argv) =>
      execFileP(argv[0]!, argv.slice(1), { timeout: 30_000, windowsHide: true }).then(
        ({ stdout, stderr }) => ({ exitCode: 0, stdout, stderr }),
        (e: { code?: unknown; stdout?: string; stderr?: string; message: string }) => ({
          exitCode: typeof e.code === 'number' ? e.code : null,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? e.message,
        }),
      );
    if (this.os === 'linux') return linuxMemory();
    return this.os === 'darwin' ? darwinMemory(run) : windowsMemory(run);
  }

  async reboot(reason: string): Promise<void> {
    await execFileP(
      this.os === 'windows' ? 'shutdown.exe' : 'shutdown',
      this.os === 'windows' ? ['/r', '/t', '3', '/c', reason] : ['-r', 'now', reason],
    );
  }

  async shutdown(reason: string): Promise<void> {
    await execFileP(
      this.os === 'windows' ? 'shutdown.exe' : 'shutdown',
      this.os === 'windows' ? ['/s', '/t', '3', '/c', reason] : ['now', reason],
    );
  }
}
