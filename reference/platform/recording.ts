// A CommandRunner that executes nothing and records exactly what a platform would run or write,
// with scripted answers, so Windows and macOS logic is exercised (and golden-tested) on Linux.
import { PassThrough } from 'node:stream';
import type { CommandResult, CommandRunner, RunOptions } from '../sandbox/command-runner.ts';
import { type PlatformOptions, platformFor } from './index.ts';
import type { OsName, Platform, ProcessExit, RunningProcess } from './platform.ts';

export type RecordedCall =
  | { kind: 'run'; argv: string[]; cwd?: string; env?: Record<string, string> }
  | { kind: 'write'; path: string; content: string; mode?: number }
  | { kind: 'start'; argv: string[]; cwd: string; env: Record<string, string> };

export interface ScriptedAnswer extends Partial<CommandResult> {
  /** For start(): the exit to report (default exit code 0). */
  exit?: ProcessExit;
}

type Matcher = string | RegExp | ((argv: string[]) => boolean);

function matches(m: Matcher, argv: string[]): boolean {
  if (typeof m === 'function') return m(argv);
  const line = argv.join(' ');
  return typeof m === 'string' ? line.startsWith(m) : m.test(line);
}

export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  /** Files "on disk": what writeFile stored, readable by readFile. */
  readonly files = new Map<string, string>();
  private readonly answers: Array<{ match: Matcher; answer: ScriptedAnswer }> = [];
  private nextPid = 4000;

  /** Script the answer for commands matching (first registered match wins). */
  answer(match: Matcher, answer: ScriptedAnswer): this {
    this.answers.push({ match, answer });
    return this;
  }

  private find(argv: string[]): ScriptedAnswer {
    return this.answers.find((a) => matches(a.match, argv))?.answer ?? {};
  }

  async run(argv: string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({ kind: 'run', argv: [...argv], ...(options.cwd ? { cwd: options.cwd } : {}) });
    const a = this.find(argv);
    return { exitCode: a.exitCode ?? 0, signal: a.signal ?? null, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
  }

  async writeFile(path: string, content: string, mode?: number): Promise<void> {
    this.calls.push({ kind: 'write', path, content, ...(mode === undefined ? {} : { mode }) });
    this.files.set(path, content);
  }

  async readFile(path: string): Promise<string> {
    const content = this.files.get(path);
    if (content === undefined)
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return content;
  }

  start(argv: string[], options: { cwd: string; env: Record<string, string> }): RunningProcess {
    this.calls.push({ kind: 'start', argv: [...argv], cwd: options.cwd, env: { ...options.env } });
    const a = this.find(argv);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(a.stdout ?? '');
    stderr.end(a.stderr ?? '');
    return {
      pid: this.nextPid++,
      stdout,
      stderr,
      exited: Promise.resolve(a.exit ?? { exitCode: a.exitCode ?? 0, signal: null }),
      killTree: async () => {},
    };
  }

  /** Only the command lines, for compact golden assertions. */
  commandLines(): string[][] {
    return this.calls.filter((c) => c.kind !== 'write').map((c) => (c as { argv: string[] }).argv);
  }

  writes(): Array<{ path: string; content: string }> {
    return this.calls.filter((c) => c.kind === 'write') as Array<{ path: string; content: string }>;
  }
}

/** A platform of the given OS wired to a fresh RecordingRunner. */
export function recordingPlatform(
  os: OsName,
  options: Omit<PlatformOptions, 'runner'> = {},
): { platform: Platform; runner: RecordingRunner } {
  const runner = new RecordingRunner();
  return { platform: platformFor(os, { ...options, runner }), runner };
}
