// Finding every process a task run started when it runs as the worker's own user (Linux, /proc): a
// process belongs to the run when its environment still carries the run's TASK_WORKDIR (with TASK_ID
// and RUN_ID when known), which nohup, setsid and double forks all inherit, or when it is still in
// the session or process group of one of the run's commands (each command leads its own session).
// What this cannot see: a process that both leaves the run's session and replaces its environment
// (env -i, or a daemon overwriting its environ for a process title).
import { readFileSync } from 'node:fs';
import { procPids, stopAndKill } from './linux-procs.ts';

export interface RunMarker {
  /** Absolute task directory: the run's TASK_WORKDIR. */
  taskDir: string;
  taskId?: string;
  runId?: number;
}

export interface RunScope {
  marker: RunMarker;
  /** Session / process-group leaders: the pids of the run's commands. */
  sessions?: number[];
}

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  session: number;
}

/** /proc/<pid>/stat after the command name (which may itself contain spaces and parentheses). */
export function parseStat(text: string): Omit<ProcStat, 'pid'> | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  const f = text.slice(end + 2).split(' ');
  return { state: f[0] ?? '?', pgrp: Number(f[2]), session: Number(f[3]) };
}

function markerStrings(m: RunMarker): string[] {
  const out = [`TASK_WORKDIR=${m.taskDir}`];
  if (m.taskId !== undefined) out.push(`TASK_ID=${m.taskId}`);
  if (m.runId !== undefined) out.push(`RUN_ID=${m.runId}`);
  return out;
}

/** Live processes (not zombies, not this one) that belong to the run. */
export async function runProcesses(scope: RunScope, procRoot = '/proc'): Promise<number[]> {
  const wanted = markerStrings(scope.marker);
  const sessions = new Set(scope.sessions ?? []);
  const found: number[] = [];
  for await (const pid of procPids(procRoot)) {
    if (pid === process.pid) continue;
    let stat: Omit<ProcStat, 'pid'> | undefined;
    try {
      stat = parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      continue; // exited while we looked
    }
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    if (sessions.has(stat.session) || sessions.has(stat.pgrp)) {
      found.push(pid);
      continue;
    }
    let environ: string;
    try {
      environ = readFileSync(`${procRoot}/${pid}/environ`, 'latin1');
    } catch {
      continue; // another user's process (EACCES) or gone
    }
    const vars = new Set(environ.split('\0'));
    if (wanted.every((w) => vars.has(w))) found.push(pid);
  }
  return found;
}

/** False when the process may not be signalled (another user's, e.g. a setuid program the task ran). */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return false;
    if (code !== 'ESRCH') throw error;
  }
  return true;
}

export interface KillResult {
  killed: number[];
  /** Processes of the run the worker may not signal. */
  refused: number[];
}

/** SIGSTOP then SIGKILL every process of the run until none is left (stopAndKill); bounded rounds. */
export async function killRunProcesses(scope: RunScope, rounds = 50, procRoot = '/proc'): Promise<KillResult> {
  const find = async () => (await runProcesses(scope, procRoot)).map((pid) => ({ pid }));
  const { killed, refused, left } = await stopAndKill(find, signal, rounds);
  if (left.length > 0) {
    throw new Error(
      `processes of task ${scope.marker.taskDir} survived ${rounds} kill rounds: ${left.map((p) => p.pid).join(', ')}`,
    );
  }
  return { killed, refused };
}
