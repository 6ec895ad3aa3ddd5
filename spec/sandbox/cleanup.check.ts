// Checkers for sandbox.*: after the run, the host itself is inspected (synchronously; the runner
// judges once the worker process has exited) for the task user the task reported about itself.
// Fixtures make the task print `TC_SANDBOX_USER=<id -un> TC_SANDBOX_UID=<id -u> TC_SANDBOX_HOME=$HOME
// TC_SANDBOX_TASKDIR=<pwd>` so any worker implementation can be judged the same way.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ms, payloadOf, runsOf, taskList, verdict } from '../lib/observe.ts';
import type { CaseExpectation, Checker, Observation } from '../types.ts';

export interface SandboxReport {
  taskId: string;
  user: string;
  uid: number;
  home: string;
  taskDir: string;
}

const REPORT = /^TC_SANDBOX_USER=(\S+) TC_SANDBOX_UID=(\d+) TC_SANDBOX_HOME=(\S+) TC_SANDBOX_TASKDIR=(\S+)$/m;

/** What each task said about the user it ran as (tasks that did not report are not judged). */
export function sandboxReports(obs: Observation): SandboxReport[] {
  const out: SandboxReport[] = [];
  for (const [taskId, t] of taskList(obs)) {
    const m = REPORT.exec(t.log ?? '');
    if (m) out.push({ taskId, user: m[1]!, uid: Number(m[2]), home: m[3]!, taskDir: m[4]! });
  }
  return out;
}

/**
 * The sandbox is on when the case requires `os-users`: the runner then applies the profile's
 * config for that tag (`configForRequires`), however the worker names it (tc-worker:
 * runTasksAsCurrentUser false; generic-worker: its multiuser engine with headlessTasks).
 */
function sandboxed(obs: Observation, c: CaseExpectation | undefined): boolean {
  return obs.platform === 'linux' && (c?.requires ?? []).includes('os-users');
}

/** Only on Linux with the sandbox on: elsewhere the statements are not exercised. */
function applicable(obs: Observation, c: CaseExpectation | undefined): SandboxReport[] | null {
  if (!sandboxed(obs, c)) return null;
  const reports = sandboxReports(obs);
  return reports.length > 0 ? reports : null;
}

function userExists(name: string): boolean {
  const r = spawnSync('getent', ['passwd', name], { timeout: 5000 });
  if (r.error)
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${name}:`));
  return r.status === 0;
}

/** Live (non-zombie) processes whose real or effective uid is `uid`. */
export function livePids(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (!uids || state === 'Z' || state === 'X') continue;
    if (Number(uids[1]) === uid || Number(uids[2]) === uid) pids.push(Number(entry));
  }
  return pids;
}

export const freshTaskUser: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports) return null;
  const me = process.getuid?.();
  const problems = reports.flatMap((r) => [
    ...(r.user.startsWith('task_') ? [] : [`${r.taskId}: ran as ${r.user}, not a task_* user`]),
    ...(r.uid === 0 || r.uid === me ? [`${r.taskId}: ran as uid ${r.uid}, the worker's own or root`] : []),
    ...(r.home.endsWith(`/${r.user}`) ? [] : [`${r.taskId}: HOME ${r.home} is not the task user's home`]),
  ]);
  const users = new Set(reports.map((r) => r.user));
  if (users.size < reports.length) problems.push(`tasks shared a task user: ${[...users].join(', ')}`);
  return verdict(problems, `${reports.length} task(s) ran as their own task user`);
};

/**
 * The reports of the tasks a cleanup sweep has followed: every task but the one resolved last.
 * Current generic-worker deletes task users, homes and task directories in purgeOldTasks
 * (multiuser.go), which skips the current task context's user and runs after a later completion, at
 * idle timeout and at start-up; after numberOfTasksToRun it exits without another sweep.
 */
function swept(reports: SandboxReport[], obs: Observation): SandboxReport[] {
  const resolved = (r: SandboxReport) => ms(runsOf(obs.tasks[r.taskId]!).at(-1)?.resolved);
  const last = [...reports].sort((a, b) => (resolved(a) || 0) - (resolved(b) || 0)).at(-1);
  return reports.filter((r) => r !== last);
}

/** The sweep needs cleanUpTaskDirs (default true): with it false, generic-worker keeps users and directories. */
const cleansUp = (obs: Observation) => obs.config.cleanUpTaskDirs !== false;

/** What a deleted task user leaves behind, each as `<taskId>: …` (checked only where cleansUp holds). */
const userLeft = (r: SandboxReport): string[] =>
  userExists(r.user) ? [`${r.taskId}: OS user ${r.user} still exists`] : [];
const filesLeft = (r: SandboxReport): string[] =>
  [r.home, r.taskDir].filter((p) => existsSync(p)).map((p) => `${r.taskId}: ${p} left behind`);

export const userDeleted: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports || !cleansUp(obs)) return null;
  const judged = swept(reports, obs);
  if (judged.length === 0) return null;
  const problems = judged.flatMap(userLeft);
  return verdict(problems, `task user(s) ${judged.map((r) => r.user).join(', ')} deleted by the next sweep`);
};

export const filesRemoved: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports || !cleansUp(obs)) return null;
  const judged = swept(reports, obs);
  if (judged.length === 0) return null;
  const problems = judged.flatMap(filesLeft);
  return verdict(problems, 'home and task directory of swept task user(s) removed');
};

/** Every task user, the last included, is gone with its home and task directory once the worker has exited. */
export const deletedBeforeExit: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports || !cleansUp(obs)) return null;
  const problems = reports.flatMap((r) => [...userLeft(r), ...filesLeft(r)]);
  return verdict(
    problems,
    `every task user (${reports.map((r) => r.user).join(', ')}) deleted before the worker exited`,
  );
};

export const processesKilled: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports) return null;
  const problems = reports.flatMap((r) => {
    const pids = livePids(r.uid);
    return pids.length > 0
      ? [`${r.taskId}: processes of ${r.user} (uid ${r.uid}) still running: ${pids.join(', ')}`]
      : [];
  });
  return verdict(problems, 'no process of a task user survived its task');
};

/** Fixtures make each task leave /tmp/tc-sandbox-<taskId>, outside its home and task directory. */
export const tmpFilesRemoved: Checker = (obs, c) => {
  const reports = applicable(obs, c);
  if (!reports) return null;
  const problems = reports
    .map((r) => `/tmp/tc-sandbox-${r.taskId}`)
    .filter((p) => existsSync(p))
    .map((p) => `${p} left behind`);
  return verdict(problems, "no task user's file left in /tmp");
};

/** An osGroups entry naming a group the host does not have is malformed-payload (sandbox on). */
export const unknownGroupMalformed: Checker = (obs, c) => {
  if (!sandboxed(obs, c)) return null;
  const groups = new Set(
    readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':')[0]),
  );
  const judged = taskList(obs).filter(([, t]) => {
    const wanted = payloadOf(t).osGroups;
    return (
      Array.isArray(wanted) &&
      wanted.some((g: string) => !groups.has(g) && spawnSync('getent', ['group', g]).status !== 0)
    );
  });
  if (judged.length === 0) return null;
  const problems = judged.flatMap(([taskId, t]) => {
    const run = runsOf(t).at(-1);
    return run?.state === 'exception' && run?.reasonResolved === 'malformed-payload'
      ? []
      : [`${taskId}: unknown osGroup resolved ${run?.state}/${run?.reasonResolved}, not exception/malformed-payload`];
  });
  return verdict(problems, 'tasks asking for unknown groups were malformed-payload');
};

/** With the sandbox on, the task's processes carry every osGroups group (tasks print TC_SANDBOX_GROUPS=`id -Gn`). */
export const groupsApplied: Checker = (obs, c) => {
  if (!sandboxed(obs, c)) return null;
  const judged = taskList(obs).flatMap(([taskId, t]) => {
    // Line-anchored: the log also shows the command text, where the marker is followed by $(id -Gn).
    const m = /^TC_SANDBOX_GROUPS=(.*)$/m.exec(t.log ?? '');
    const wanted = payloadOf(t).osGroups;
    return m && Array.isArray(wanted) && wanted.length > 0 ? [{ taskId, has: m[1]!.trim().split(/\s+/), wanted }] : [];
  });
  if (judged.length === 0) return null;
  const problems = judged.flatMap(({ taskId, has, wanted }) =>
    wanted
      .filter((g: string) => !has.includes(g))
      .map((g: string) => `${taskId}: task user is not in osGroup ${g} (has ${has.join(' ')})`),
  );
  return verdict(problems, 'task users had every osGroups group');
};
