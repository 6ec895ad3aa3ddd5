// The one seam for everything OS-specific. Features and the task runner call this interface and
// never branch on process.platform, so Windows and macOS logic runs here against the recording
// implementation and for real on those systems in the CI matrix.
import type { Readable } from 'node:stream';
import type { MemoryReading } from './memory.ts';

export type OsName = 'linux' | 'darwin' | 'windows';

/** An OS account a task runs as (the multiuser sandbox); absent when tasks run as the worker's user. */
export interface TaskUser {
  name: string;
  home: string;
  uid?: number;
  gid?: number;
  /** Supplementary groups (payload `osGroups`). */
  groups: string[];
  /** Windows only: the random password used for logon. Never logged. */
  password?: string;
}

export interface SpawnSpec {
  /** argv; on Windows a single command line string is passed as a one-element array. */
  command: string[];
  cwd: string;
  env: Record<string, string>;
  user?: TaskUser;
  /** The task directory of the run the command belongs to (its cgroup, where the platform made one). */
  taskDir?: string;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (ENOENT, EACCES): the command then counts as failed. */
  startError?: Error;
}

export interface RunningProcess {
  pid: number | undefined;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ProcessExit>;
  /** Kill the whole process tree (process group on POSIX, taskkill /t /f on Windows). */
  killTree(): Promise<void>;
}

/** A run's processes: everything its commands started, found by task user, environment marker or session. */
export interface RunProcesses {
  user?: TaskUser;
  /** Absolute task directory (the run's TASK_WORKDIR). */
  taskDir: string;
  /** Known while the run is live; a leftover directory found at start-up only has its path. */
  taskId?: string;
  runId?: number;
  /** Pids of the run's commands, each the leader of its own session and process group. */
  sessions: number[];
}

export interface KilledProcesses {
  killed: number;
  /** Processes of the run the worker was not allowed to signal. */
  refused: number[];
}

export interface Platform {
  readonly os: OsName;
  spawn(spec: SpawnSpec): RunningProcess;
  createTaskUser(name: string, groups: string[]): Promise<TaskUser>;
  deleteTaskUser(user: TaskUser): Promise<void>;
  /** Kill every process the user owns, including ones that left the task's process group. */
  killUserProcesses(user: TaskUser): Promise<void>;
  /**
   * Optional: set up what tracks the run's processes (Linux: its cgroup v2, where the worker may create
   * one) before any command starts; says how they are tracked, for the task log.
   */
  startRun?(run: RunProcesses): Promise<string>;
  /**
   * Optional: kill everything the run started, including processes that left the commands' process groups
   * (nohup, setsid, double forks). Called once the commands are done, before any task file is read.
   */
  killRunProcesses?(run: RunProcesses): Promise<KilledProcesses>;
  /** Names of task users left behind by earlier runs (`task_*`). */
  leftoverTaskUsers(): Promise<string[]>;
  groupExists(name: string): Promise<boolean>;
  /**
   * Optional: called by the worker before each claim. Returning an exit code ends the worker with it
   * (e.g. 67 after creating the next Windows task user and arranging its logon).
   */
  betweenTasks?(config: unknown): Promise<number | undefined>;
  /** Groups of the worker's own OS user (osGroups check when tasks run as that user); optional. */
  currentUserGroups?(): Promise<string[]>;
  /** Give the task user ownership of a directory tree (the task directory). */
  chownRecursive(path: string, user: TaskUser): Promise<void>;
  /** Restrict a file to the worker's own user (0600 / ACL). */
  makePrivate(path: string): Promise<void>;
  /** Whether the given user (or, without one, any other local user) could read the file. */
  userCanRead(path: string, user: TaskUser | undefined): Promise<boolean>;
  setAutoLogon(user: TaskUser): Promise<void>;
  /** Windows multiuser cycle: the task user logged on for this boot, who runs every task; when
   * absent (or undefined) the sandbox creates and deletes a user per task. */
  sessionTaskUser?(): TaskUser | undefined;
  reboot(reason: string): Promise<void>;
  shutdown(reason: string): Promise<void>;
  /** System memory now, for the resource monitor (platform/memory.ts); absent where it cannot be read. */
  memoryReading?(): Promise<MemoryReading>;
}
