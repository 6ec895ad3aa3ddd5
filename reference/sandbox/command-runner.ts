// Every administrative command a platform runs (useradd, net user, reg add, shutdown.exe, nssm)
// and every file it generates goes through a CommandRunner, so the recording runner can capture
// exactly what would be executed on Windows and macOS while tests run on Linux.
import { execFile, spawn } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { ProcessExit, RunningProcess } from '../platform/platform.ts';

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Bounded: an administrative command that hangs must not hang the worker. */
  timeoutMs?: number;
}

export interface CommandRunner {
  run(argv: string[], options?: RunOptions): Promise<CommandResult>;
  /** Write a file the platform generated (wrapper scripts, plist, PowerShell helpers). */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
  /** Read back a file a previous command wrote (Windows env.txt / dir.txt). */
  readFile(path: string): Promise<string>;
  /** Start a long-running process whose output is streamed (task commands on Windows). */
  start(argv: string[], options: { cwd: string; env: Record<string, string> }): RunningProcess;
}

export class CommandFailedError extends Error {
  readonly argv: string[];
  readonly result: CommandResult;
  constructor(argv: string[], result: CommandResult, redact: string[] = []) {
    const shown = argv.map((a) => (redact.includes(a) ? '<redacted>' : a)).join(' ');
    const why = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    super(`command failed (${why}): ${shown}${result.stderr.trim() ? `\n${result.stderr.trim()}` : ''}`);
    this.argv = argv;
    this.result = result;
  }
}

/** Runs commands for real with execFile (no shell, so arguments are never re-parsed). */
export class SystemRunner implements CommandRunner {
  run(argv: string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new Error('SystemRunner.run: empty argv'));
    return new Promise((resolve) => {
      execFile(
        file,
        args,
        {
          cwd: options.cwd,
          env: options.env ?? (process.env as Record<string, string>),
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 16 * 1024 * 1024,
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          const err = error as (NodeJS.ErrnoException & { code?: unknown; signal?: string | null }) | null;
          if (err && typeof err.code === 'string') {
            // Could not start at all (ENOENT/EACCES): report as exit 127 with the reason.
            resolve({ exitCode: 127, signal: null, stdout: String(stdout), stderr: `${err.message}\n${stderr}` });
            return;
          }
          resolve({
            exitCode: err ? (typeof err.code === 'number' ? err.code : null) : 0,
            signal: err?.signal ?? null,
            stdout: String(stdout),
            stderr: String(stderr),
          });
        },
      );
    });
  }

  async writeFile(path: string, content: string, mode = 0o644): Promise<void> {
    await writeFile(path, content, { mode });
    await chmod(path, mode);
  }

  readFile(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }

  start(argv: string[], options: { cwd: string; env: Record<string, string> }): RunningProcess {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('error', (error) => {
        if (child.pid === undefined) resolve({ exitCode: null, signal: null, startError: error });
      });
      child.once('close', (code, signal) => resolve({ exitCode: code, signal }));
    });
    return {
      pid: child.pid,
      stdout: child.stdout ?? new PassThrough().end(),
      stderr: child.stderr ?? new PassThrough().end(),
      exited,
      // Platforms replace this with their own tree kill (taskkill /t /f on Windows).
      killTree: async () => {
        child.kill('SIGKILL');
      },
    };
  }
}

/** Run and throw a CommandFailedError (naming the command, never a redacted secret) on failure. */
export async function runChecked(
  runner: CommandRunner,
  argv: string[],
  options: RunOptions & { redact?: string[]; okExitCodes?: number[] } = {},
): Promise<CommandResult> {
  const result = await runner.run(argv, options);
  const ok = options.okExitCodes ?? [0];
  if (result.exitCode === null || !ok.includes(result.exitCode)) {
    throw new CommandFailedError(argv, result, options.redact);
  }
  return result;
}
