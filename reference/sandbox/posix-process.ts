// Task processes on Linux and macOS: each command starts in its own session and process group
// (detached), so killTree() can SIGKILL the whole group, as generic-worker does since v10.8.2
// (syscall.Kill(-pid, SIGKILL)). A task user's command goes through exec-step.js, which the worker
// starts as root with an empty environment and which drops to the task user before it looks at
// anything the task controls (directory, PATH, environment); so does any command that must join the
// run's cgroup first. Otherwise the worker's own user spawns directly.
import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ProcessExit, RunningProcess } from '../platform/platform.ts';

export interface PosixSpawnOptions {
  command: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface StepSpawnOptions extends PosixSpawnOptions {
  /** The task user to switch to (the worker must be root); absent: the command keeps the worker's user. */
  uid?: number;
  gid?: number;
  /** Supplementary group ids (exactly these; none when empty). */
  groups?: number[];
  /** A cgroup v2 directory the command joins before it execs (sandbox/cgroup.ts). */
  cgroup?: string;
}

/** How long to wait for stdout/stderr to close after the process exited: a background process
 * that inherited them (double fork) must not keep the command "running". */
const STREAM_GRACE_MS = 1000;

export const EXEC_STEP = fileURLToPath(new URL('./exec-step.js', import.meta.url));

function failedToStart(error: Error): RunningProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.end();
  stderr.end();
  return {
    pid: undefined,
    stdout,
    stderr,
    exited: Promise.resolve({ exitCode: null, signal: null, startError: error }),
    killTree: async () => {},
  };
}

/** A started child as a RunningProcess; `startReport` resolves to the exec step's start error, if any. */
function running(child: ChildProcess, startReport?: Promise<Error | undefined>): RunningProcess {
  const pid = child.pid;
  // Re-exposed through PassThroughs so a grace-period cut-off still ends them cleanly ('end').
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout!.pipe(stdout);
  child.stderr!.pipe(stderr);
  const exited = new Promise<ProcessExit>((resolve) => {
    let exit: ProcessExit | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      const e = exit!;
      if (!startReport) return resolve(e);
      void startReport.then((startError) => resolve(startError ? { exitCode: null, signal: null, startError } : e));
    };
    child.once('error', (error) => {
      if (pid === undefined) resolve({ exitCode: null, signal: null, startError: error });
    });
    child.once('exit', (code, signal) => {
      exit = { exitCode: code, signal };
      timer = setTimeout(() => {
        // Escaped descendants still hold the pipes: stop reading so the caller is not blocked.
        for (const [from, to] of [
          [child.stdout!, stdout],
          [child.stderr!, stderr],
        ] as const) {
          from.unpipe(to);
          to.end();
          from.destroy();
        }
        finish();
      }, STREAM_GRACE_MS);
      timer.unref();
    });
    child.once('close', () => {
      if (timer) clearTimeout(timer);
      if (exit) finish();
    });
  });
  return {
    pid,
    stdout,
    stderr,
    exited,
    killTree: async () => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** A command run as the worker's own user. */
export function spawnPosix(options: PosixSpawnOptions): RunningProcess {
  const [file, ...args] = options.command;
  if (!file) return failedToStart(new Error('empty command'));
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return running(child);
}

/** A command run through the exec step: as a task user (the worker must be root) and/or in a cgroup. */
export function spawnViaExecStep(options: StepSpawnOptions): RunningProcess {
  if (options.command.length === 0) return failedToStart(new Error('empty command'));
  const child = spawn(process.execPath, [EXEC_STEP], {
    cwd: '/',
    env: {},
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const channel = child.stdio[3] as (Readable & Writable) | null;
  if (!channel) return running(child);
  const spec = {
    uid: options.uid,
    gid: options.gid,
    groups: options.groups ?? [],
    cgroup: options.cgroup,
    cwd: options.cwd,
    argv: options.command,
    env: options.env,
  };
  const startReport = new Promise<Error | undefined>((resolve) => {
    let text = '';
    channel.on('data', (b: Buffer) => {
      text += b;
    });
    const done = () => {
      if (!text) return resolve(undefined);
      try {
        const r = JSON.parse(text) as { code?: string; message?: string };
        resolve(Object.assign(new Error(r.message ?? 'the command could not be started'), { code: r.code }));
      } catch {
        resolve(new Error(`the command could not be started: ${text.slice(0, 500)}`));
      }
    };
    channel.once('close', done);
    channel.once('error', () => {}); // EPIPE when the exec step died early: its exit says why
  });
  channel.end(JSON.stringify(spec));
  return running(child, startReport);
}
