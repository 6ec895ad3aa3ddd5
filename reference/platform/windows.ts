// Windows, the seed's task-user lifecycle: `net user` with a random password, Known Folder
// relocation of AppData under the task directory, auto-logon registry values, then reboot
// (shutdown.exe /r) or — with disableReboots — exit 67 for whoever restarts the worker. Task
// commands run through generated wrapper batch scripts (exit-on-fail, env and cwd carried over),
// process trees die by `taskkill /pid <pid> /f /t`. Every command and generated file goes
// through the injected CommandRunner, so this module is golden-tested on Linux.
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type CommandRunner, runChecked, SystemRunner } from '../sandbox/command-runner.ts';
import { type MemoryReading, windowsMemory } from './memory.ts';
import type { Platform, ProcessExit, RunningProcess, SpawnSpec, TaskUser } from './platform.ts';
import { knownFoldersScript } from './windows/known-folders.ts';
import { runAsUserScript } from './windows/run-as-user.ts';
import { nssmCommands, runWorkerBatScript, type ServiceInput } from './windows/service.ts';
import { commandScript, scriptPaths, wrapperScript } from './windows/wrapper-scripts.ts';
import { grantWinstaScript } from './windows/winsta.ts';

export const SHUTDOWN_EXE = 'C:\\Windows\\System32\\shutdown.exe';
export const REBOOT_REASON = 'generic-worker requested reboot';
export const WINLOGON_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon';
/** Exit code REBOOT_REQUIRED: a new task user exists and the machine must log on as it. */
export const EXIT_REBOOT_REQUIRED = 67;
const POWERSHELL = ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass'];
/** Variables of the worker's environment a task user's process needs to start at all. */
const SYSTEM_VARS = [
  'SystemRoot',
  'SystemDrive',
  'windir',
  'ComSpec',
  'PATH',
  'PATHEXT',
  'OS',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
];
const PASSWORD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface WindowsOptions {
  runner?: CommandRunner;
  /** Parent of user profiles (C:\Users). */
  profilesDir?: string;
  /** Where the worker keeps its generated PowerShell helpers (not readable by task users). */
  helperDir?: string;
  /** The worker's environment (process.env on a real host). */
  baseEnv?: Record<string, string>;
  /** Password source; tests inject a fixed one. */
  generatePassword?: () => string;
}

/** generic-worker's scheme: `pWd0_` (one of each character class for strict policies) + 24 random. */
export function generatePassword(): string {
  let out = 'pWd0_';
  for (let i = 0; i < 24; i++) out += PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)];
  return out;
}

export interface PrepareTaskUserResult {
  user: TaskUser;
  /** The worker exits with this (67) so the next start runs in the new user's logon session. */
  exitCode: number;
  rebooted: boolean;
}

export class WindowsPlatform implements Platform {
  readonly os = 'windows' as const;
  readonly runner: CommandRunner;
  readonly profilesDir: string;
  readonly helperDir: string;
  private readonly baseEnv: Record<string, string>;
  private readonly newPassword: () => string;
  /** The logged-on task user of this boot (multiuser cycle), who runs the tasks; see lifecycle.ts. */
  sessionUser: TaskUser | undefined;
  /** Next command index per task directory: wrappers chain env.txt / dir.txt between commands. */
  private readonly commandIndex = new Map<string, number>();

  constructor(options: WindowsOptions = {}) {
    this.runner = options.runner ?? new SystemRunner();
    this.profilesDir = options.profilesDir ?? 'C:\\Users';
    this.helperDir = options.helperDir ?? tmpdir();
    this.baseEnv = options.baseEnv ?? (process.env as Record<string, string>);
    this.newPassword = options.generatePassword ?? generatePassword;
  }

  private async helper(name: string, content: string): Promise<string> {
    const file = path.win32.join(this.helperDir, name);
    await this.runner.writeFile(file, content, 0o600);
    return file;
  }

  private systemEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of SYSTEM_VARS) if (this.baseEnv[k] !== undefined) env[k] = this.baseEnv[k]!;
    return env;
  }

  spawn(spec: SpawnSpec): RunningProcess {
    const commandLine = spec.command.join(' ');
    const index = this.commandIndex.get(spec.cwd) ?? 0;
    this.commandIndex.set(spec.cwd, index + 1);
    const paths = scriptPaths(spec.cwd, index);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let pid: number | undefined;
    let killed = false;
    let started: RunningProcess | undefined;
    let innerPidFile: string | undefined;

    const run = async (): Promise<ProcessExit> => {
      const previous =
        index === 0
          ? undefined
          : { envTxt: await this.runner.readFile(paths.envFile), dirTxt: await this.runner.readFile(paths.dirFile) };
      const taskId = spec.env.TASK_ID ?? '';
      await this.runner.writeFile(paths.script, commandScript(commandLine), 0o755);
      // Not knowing whether more commands follow, every wrapper saves env.txt / dir.txt.
      await this.runner.writeFile(
        paths.wrapper,
        wrapperScript({ taskId, index, last: false, taskDir: spec.cwd, env: spec.env, previous }),
        0o755,
      );
      if (killed) return { exitCode: null, signal: 'SIGKILL' };
      if (spec.user) {
        innerPidFile = path.win32.join(this.helperDir, `pid_${spec.user.name}_${index}.txt`);
        const helper = await this.helper('tc-run-as-user.ps1', runAsUserScript());
        started = this.runner.start([...POWERSHELL, '-File', helper], {
          cwd: spec.cwd,
          env: {
            ...this.systemEnv(),
            TC_RUNAS_USER: spec.user.name,
            TC_RUNAS_PASSWORD: spec.user.password ?? '',
            TC_RUNAS_SCRIPT: paths.wrapper,
            TC_RUNAS_CWD: spec.cwd,
            TC_RUNAS_PIDFILE: innerPidFile,
            TC_RUNAS_ENV: Buffer.from(JSON.stringify(this.userEnv(spec.user, spec.env))).toString('base64'),
          },
        });
      } else {
        started = this.runner.start(['cmd.exe', '/d', '/c', paths.wrapper], { cwd: spec.cwd, env: spec.env });
      }
      pid = started.pid;
      started.stdout.pipe(stdout);
      started.stderr.pipe(stderr);
      return started.exited;
    };

    const exited = run().catch((error: Error) => {
      stdout.end();
      stderr.end();
      return { exitCode: null, signal: null, startError: error } as ProcessExit;
    });
    const killTree = async () => {
      killed = true;
      if (pid !== undefined) await this.taskkill(pid);
      if (innerPidFile) {
        const inner = Number((await this.runner.readFile(innerPidFile).catch(() => '')).trim());
        if (inner > 0) await this.taskkill(inner);
      }
    };
    return {
      get pid() {
        return pid;
      },
      stdout,
      stderr,
      exited,
      killTree,
    };
  }

  private async taskkill(pid: number): Promise<void> {
    // 128: the process had already exited.
    await runChecked(this.runner, ['taskkill.exe', '/pid', String(pid), '/f', '/t'], { okExitCodes: [0, 128, 255] });
  }

  /** The environment a task user's command starts from: system variables, its profile, the task's. */
  userEnv(user: TaskUser, extra: Record<string, string>): Record<string, string> {
    return { ...this.systemEnv(), USERNAME: user.name, USERPROFILE: user.home, ...extra };
  }

  async createTaskUser(name: string, groups: string[]): Promise<TaskUser> {
    if (!/^task_[A-Za-z0-9_-]{1,15}$/.test(name)) {
      // SAM account names are limited to 20 characters.
      throw new Error(`invalid task user name ${JSON.stringify(name)}: expected task_ and up to 15 of [A-Za-z0-9_-]`);
    }
    const password = this.newPassword();
    await runChecked(this.runner, ['net', 'user', name, password, '/add', '/expires:never', '/passwordchg:no', '/y'], {
      redact: [password],
    });
    for (const group of groups) await runChecked(this.runner, ['net', 'localgroup', group, name, '/add']);
    return { name, home: path.win32.join(this.profilesDir, name), groups: [...groups], password };
  }

  async deleteTaskUser(user: TaskUser): Promise<void> {
    await this.killUserProcesses(user);
    await runChecked(this.runner, ['net', 'user', user.name, '/delete'], { okExitCodes: [0, 2] });
    const home = user.home || path.win32.join(this.profilesDir, user.name);
    await runChecked(this.runner, ['cmd.exe', '/d', '/c', 'rmdir', '/s', '/q', home], { okExitCodes: [0, 2] });
  }

  async killUserProcesses(user: TaskUser): Promise<void> {
    await runChecked(this.runner, ['taskkill.exe', '/f', '/t', '/fi', `USERNAME eq ${user.name}`], {
      okExitCodes: [0, 128, 255],
    });
  }

  async leftoverTaskUsers(): Promise<string[]> {
    // generic-worker listed accounts with `wmic useraccount get name`; wmic is gone from current
    // Windows, Get-LocalUser gives the same list.
    const r = await runChecked(this.runner, [...POWERSHELL, '-Command', 'Get-LocalUser | ForEach-Object { $_.Name }']);
    return r.stdout
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.startsWith('task_'));
  }

  async groupExists(name: string): Promise<boolean> {
    return (await this.runner.run(['net', 'localgroup', name])).exitCode === 0;
  }

  async chownRecursive(dir: string, user: TaskUser): Promise<void> {
    await runChecked(this.runner, ['icacls', dir, '/grant', `${user.name}:(OI)(CI)F`, '/T', '/Q']);
  }

  async makePrivate(file: string): Promise<void> {
    // Only LocalSystem (the service) and Administrators, by SID so localised names do not matter.
    await runChecked(this.runner, ['icacls', file, '/inheritance:r', '/grant:r', '*S-1-5-18:(F)', '*S-1-5-32-544:(F)']);
  }

  async userCanRead(file: string, user: TaskUser | undefined): Promise<boolean> {
    if (user) {
      const helper = await this.helper('tc-run-as-user.ps1', runAsUserScript());
      const proc = this.runner.start([...POWERSHELL, '-File', helper], {
        cwd: this.helperDir,
        env: {
          ...this.systemEnv(),
          TC_RUNAS_USER: user.name,
          TC_RUNAS_PASSWORD: user.password ?? '',
          TC_RUNAS_SCRIPT: `type "${file}" >NUL`,
          TC_RUNAS_CWD: this.helperDir,
          TC_RUNAS_PIDFILE: path.win32.join(this.helperDir, `pid_${user.name}_read.txt`),
          TC_RUNAS_ENV: Buffer.from(JSON.stringify(this.userEnv(user, {}))).toString('base64'),
        },
      });
      proc.stdout.resume();
      proc.stderr.resume();
      return (await proc.exited).exitCode === 0;
    }
    const r = await runChecked(this.runner, ['icacls', file]);
    // Everyone (S-1-1-0), Users, Authenticated Users with any read-including right.
    return /(Everyone|BUILTIN\\Users|Authenticated Users):\([^)]*\)?\((F|M|RX|R)\)/.test(r.stdout);
  }

  async setAutoLogon(user: TaskUser): Promise<void> {
    if (!user.password) throw new Error(`auto-logon for ${user.name} needs its password`);
    const add = (name: string, type: string, value: string) => [
      'reg',
      'add',
      WINLOGON_KEY,
      '/v',
      name,
      '/t',
      type,
      '/d',
      value,
      '/f',
    ];
    await runChecked(this.runner, add('AutoAdminLogon', 'REG_SZ', '1'));
    await runChecked(this.runner, add('DefaultUserName', 'REG_SZ', user.name));
    await runChecked(this.runner, add('DefaultPassword', 'REG_SZ', user.password), { redact: [user.password] });
  }

  sessionTaskUser(): TaskUser | undefined {
    return this.sessionUser;
  }

  /** The user of the interactive desktop session, without its domain (undefined when nobody is logged on). */
  async interactiveUser(): Promise<string | undefined> {
    const r = await this.runner.run([
      ...POWERSHELL,
      '-Command',
      '(Get-CimInstance -ClassName Win32_ComputerSystem).UserName',
    ]);
    const name = r.stdout.trim().split('\\').at(-1);
    return r.exitCode === 0 && name ? name : undefined;
  }

  /** The user the machine logs on as at boot (from the Winlogon values), if any. */
  async autoLogonUser(): Promise<{ name: string; password: string } | undefined> {
    const value = async (name: string) => {
      const r = await this.runner.run(['reg', 'query', WINLOGON_KEY, '/v', name]);
      if (r.exitCode !== 0) return undefined;
      return new RegExp(`${name}\\s+REG_\\w+\\s+(.*)`).exec(r.stdout)?.[1]?.trim();
    };
    const name = await value('DefaultUserName');
    const password = await value('DefaultPassword');
    return name && password ? { name, password } : undefined;
  }

  memoryReading(): Promise<MemoryReading> {
    return windowsMemory((argv) => this.runner.run(argv, { timeoutMs: 30_000 }));
  }

  async reboot(reason: string): Promise<void> {
    await runChecked(this.runner, [SHUTDOWN_EXE, '/r', '/t', '3', '/c', reason]);
  }

  async shutdown(reason: string): Promise<void> {
    await runChecked(this.runner, [SHUTDOWN_EXE, '/s', '/t', '3', '/c', reason]);
  }

  /** Seed steps 1-10: AppData\Roaming and AppData\Local of the user under `appDataDir`. */
  async relocateKnownFolders(user: TaskUser, appDataDir: string): Promise<void> {
    const helper = await this.helper('tc-known-folders.ps1', knownFoldersScript());
    await runChecked(this.runner, [...POWERSHELL, '-File', helper], {
      env: {
        ...this.systemEnv(),
        TC_TASK_USER: user.name,
        TC_TASK_PASSWORD: user.password ?? '',
        TC_APPDATA_DIR: appDataDir,
      },
    });
  }

  /**
   * The lifecycle between tasks: create the next task user, relocate its AppData under its task
   * directory, make Windows log on as it, and reboot unless disableReboots. Either way the worker
   * then exits 67 (REBOOT_REQUIRED).
   */
  async prepareTaskUser(
    name: string,
    options: { taskDir: string; disableReboots: boolean },
  ): Promise<PrepareTaskUserResult> {
    const user = await this.createTaskUser(name, []);
    await this.relocateKnownFolders(user, path.win32.join(options.taskDir, 'AppData'));
    await this.setAutoLogon(user);
    if (!options.disableReboots) await this.reboot(REBOOT_REASON);
    return { user, exitCode: EXIT_REBOOT_REQUIRED, rebooted: !options.disableReboots };
  }

  /** After the reboot, logged on as the task user: run the config's runAfterUserCreation as it. */
  async runAfterUserCreation(user: TaskUser, commandLine: string, taskDir: string): Promise<ProcessExit> {
    if (!commandLine) return { exitCode: 0, signal: null };
    const proc = this.spawn({ command: [commandLine], cwd: taskDir, env: {}, user });
    proc.stdout.resume();
    proc.stderr.resume();
    const exit = await proc.exited;
    this.commandIndex.delete(taskDir); // task commands start again at command_000000
    if (exit.startError || exit.exitCode !== 0) {
      throw new Error(
        `runAfterUserCreation ${JSON.stringify(commandLine)} failed: ${exit.startError?.message ?? `exit code ${exit.exitCode}`}`,
      );
    }
    return exit;
  }

  /** `install service`: write run-tc-worker.bat and register it with nssm. */
  async installService(input: ServiceInput): Promise<void> {
    await this.runner.writeFile(path.win32.join(input.dir, 'run-tc-worker.bat'), runWorkerBatScript(input), 0o755);
    for (const argv of nssmCommands(input)) await runChecked(this.runner, argv);
  }

  /** `grant-winsta-access --sid SID`. */
  async grantWinstaAccess(sid: string): Promise<void> {
    const helper = await this.helper('tc-grant-winsta.ps1', grantWinstaScript(sid));
    await runChecked(this.runner, [...POWERSHELL, '-File', helper]);
  }
}
