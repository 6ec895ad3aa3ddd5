// Platform for tasks that run as the worker's own OS user (generic-worker's "insecure" engine, and
// generic-worker 11's only mode outside Windows). POSIX: each command leads its own process group so the
// whole tree dies with one kill(-pgid); Windows: tree-kill (taskkill /t /f). OS-user sandboxing lives in
// the per-OS platforms; here those operations report that they are unavailable.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access, chmod, constants, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import treeKill from 'tree-kill';
import { darwinMemory, linuxMemory, type MemoryReading, type RunCommand, windowsMemory } from './memory.ts';
import type { OsName, Platform, ProcessExit, RunningProcess, SpawnSpec, TaskUser } from './platform.ts';

const execFileP = promisify(execFile);

export function currentOs(): OsName {
  return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
}

function unsupported(what: string): Promise<never> {
  return Promise.reject(new Error(`${what} is not available when tasks run as the worker's user`));
}

export class CurrentUserPlatform implements Platform {
  readonly os: OsName = currentOs();

  spawn(spec: SpawnSpec): RunningProcess {
    if (spec.user) throw new Error('CurrentUserPlatform cannot run commands as another user');
    const windows = this.os === 'windows';
    const [file, ...args] = spec.command;
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

  async groupExists(name: string): Promise<boolean> {
    if (this.os === 'windows') return false;
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
