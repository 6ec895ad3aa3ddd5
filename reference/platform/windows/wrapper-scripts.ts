// cmd.exe has no exit-on-fail setting, so (like generic-worker) every task command i gets two
// batch files in the task directory: command_<i>.bat holding the command line, and
// command_<i>_wrapper.bat that sets the environment and working directory (from the payload for
// the first command, from env.txt / dir.txt saved by the previous wrapper otherwise), calls the
// command, and saves environment and directory for the next one. The worker stops at the first
// non-zero exit, which gives multiple commands exit-on-fail semantics.
import path from 'node:path';

const CRLF = '\r\n';

export function commandName(index: number): string {
  return `command_${String(index).padStart(6, '0')}`;
}

export interface ScriptPaths {
  script: string;
  wrapper: string;
  envFile: string;
  dirFile: string;
}

export function scriptPaths(taskDir: string, index: number): ScriptPaths {
  const name = commandName(index);
  return {
    script: path.win32.join(taskDir, `${name}.bat`),
    wrapper: path.win32.join(taskDir, `${name}_wrapper.bat`),
    envFile: path.win32.join(taskDir, 'env.txt'),
    dirFile: path.win32.join(taskDir, 'dir.txt'),
  };
}

/** Escape a value for `set NAME=value` inside a batch file (HEAD's CMDExeEscape idea): the
 * metacharacters get a caret and % is doubled, so the value is taken literally. */
export function cmdEscape(value: string): string {
  return value.replace(/[\^&|<>()"]/g, '^$&').replace(/%/g, '%%');
}

/** command_<i>.bat: echo on, then the payload's command line exactly as given. */
export function commandScript(commandLine: string): string {
  return ['@echo on', commandLine].join(CRLF);
}

export interface WrapperInput {
  taskId: string;
  index: number;
  /** True for the last command: nothing needs to be saved for a next one. */
  last: boolean;
  taskDir: string;
  /** Environment for the first command (payload env plus the worker's task variables). */
  env: Record<string, string>;
  /** For index > 0: contents of env.txt (output of `set`) and dir.txt (output of `cd`). */
  previous?: { envTxt: string; dirTxt: string };
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

export function wrapperScript(input: WrapperInput): string {
  const p = scriptPaths(input.taskDir, input.index);
  const out = [`:: This script runs command ${input.index} defined in TaskId ${input.taskId}...`, '@echo off'];
  if (input.index === 0) {
    for (const name of Object.keys(input.env).sort()) {
      if (!/^[^=\s]+$/.test(name)) throw new Error(`env: invalid variable name ${JSON.stringify(name)}`);
      out.push(`set ${name}=${cmdEscape(input.env[name]!)}`);
    }
    out.push(`cd /d "${input.taskDir}"`);
  } else {
    if (!input.previous)
      throw new Error(`wrapper for command ${input.index} needs env.txt and dir.txt of command ${input.index - 1}`);
    // Replayed values are escaped too: generic-worker 11 wrote them raw, so a saved `a&b` ran `b`.
    for (const l of lines(input.previous.envTxt)) {
      const eq = l.indexOf('=', 1);
      if (eq > 0) out.push(`set ${l.slice(0, eq)}=${cmdEscape(l.slice(eq + 1))}`);
    }
    for (const l of lines(input.previous.dirTxt)) out.push(`cd /d "${l}"`);
  }
  // errorlevel must be unset explicitly or it shadows the real exit status.
  out.push('set errorlevel=');
  out.push(`call "${p.script}" 2>&1`);
  out.push('@echo off');
  out.push('set tcexitcode=%errorlevel%');
  if (!input.last) {
    out.push(`set > "${p.envFile}"`);
    out.push(`cd > "${p.dirFile}"`);
  }
  out.push('exit /b %tcexitcode%');
  return out.join(CRLF) + CRLF;
}
