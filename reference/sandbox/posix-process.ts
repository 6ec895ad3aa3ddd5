// Task processes on Linux and macOS: each command starts in its own session and process group
// (detached), so killTree() can SIGKILL the whole group, as generic-worker does since v10.8.2
// (syscall.Kill(-pid, SIGKILL)). The same code path serves the task user (through a setpriv
// prefix that switches uid, gid and supplementary groups) and the worker's own user.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ProcessExit, RunningProcess } from '../platform/platform.ts';

export interface PosixSpawnOptions {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** argv prepended to the command (e.g. setpriv switching to the task user). */
  prefix?: string[];
}

/** How long to wait for stdout/stderr to close after the process exited: a background process
 * that inherited them (double fork) must not keep the command "running". */
const STREAM_GRACE_MS = 1000;

/** Locate an executable the way execvp would, with the PATH the command will get. */
export function resolveExecutable(file: string, env: Record<string, string>, cwd: string): string | undefined {
  const candidates = file.includes('/')
    ? [path.resolve(cwd, file)]
    : (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((dir) => path.join(dir || '.', file));
  for (const candidate of candidates) {
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.F_OK);
        return candidate;
      }
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

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

export function spawnPosix(options: PosixSpawnOptions): RunningProcess {
  const [file, ...args] = options.command;
  if (!file) return failedToStart(new Error('empty command'));
  if (options.prefix && !resolveExecutable(file, options.env, options.cwd)) {
    // Behind the setpriv prefix an unknown command would only show as exit 127; report it as
    // the start failure it is, like a direct spawn's ENOENT.
    const err = Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', path: file });
    return failedToStart(err);
  }
  const argv = [...(options.prefix ?? []), file, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  // Re-exposed through PassThroughs so a grace-period cut-off still ends them cleanly ('end').
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout!.pipe(stdout);
  child.stderr!.pipe(stderr);
  const exited = new Promise<ProcessExit>((resolve) => {
    let exit: ProcessExit | undefined;
    let timer: NodeJS.Timeout | undefined;
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
        resolve(exit!);
      }, STREAM_GRACE_MS);
      timer.unref();
    });
    child.once('close', () => {
      if (timer) clearTimeout(timer);
      if (exit) resolve(exit);
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
