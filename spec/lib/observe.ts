// Small readers over an Observation that many checkers share: trace filters, task runs,
// log lines. Checkers stay short and each says only what its statement means.
import type { CaseExpectation, CheckResult, Observation, ObservedTask, TraceEntry } from '../types.ts';

export const pass = (message: string): CheckResult => ({ ok: true, message });
export const fail = (message: string): CheckResult => ({ ok: false, message });

/** Collects problems; passes with `okMessage` when there are none. */
export function verdict(problems: string[], okMessage: string): CheckResult {
  return problems.length === 0 ? pass(okMessage) : fail(problems.slice(0, 5).join('; '));
}

export const calls = (obs: Observation, route: string): TraceEntry[] => obs.trace.filter((e) => e.route === route);
export const okCalls = (obs: Observation, route: string): TraceEntry[] =>
  calls(obs, route).filter((e) => e.status >= 200 && e.status < 300);
export const isOk = (e: TraceEntry): boolean => e.status >= 200 && e.status < 300;

export const RESOLVE_ROUTES = ['reportCompleted', 'reportFailed', 'reportException'] as const;
export const RUN_ROUTES = ['reclaimTask', ...RESOLVE_ROUTES, 'createArtifact', 'finishArtifact'] as const;

export const isResolve = (e: TraceEntry): boolean => (RESOLVE_ROUTES as readonly string[]).includes(e.route);

/** Every run the worker claimed, from successful claimWork responses. */
export interface Claim {
  taskId: string;
  runId: number;
  takenUntil: string;
  seq: number;
  time: string;
  credentials?: { clientId?: string; accessToken?: string; certificate?: string };
  task?: any;
  workerGroup?: string;
  workerId?: string;
}

export function claims(obs: Observation): Claim[] {
  const out: Claim[] = [];
  for (const e of okCalls(obs, 'claimWork')) {
    const tasks = (e.response.body as any)?.tasks;
    if (!Array.isArray(tasks)) continue;
    for (const t of tasks) {
      out.push({
        taskId: t?.status?.taskId ?? t?.task?.taskId,
        runId: t?.runId,
        takenUntil: t?.takenUntil,
        seq: e.seq,
        time: e.time,
        credentials: t?.credentials,
        task: t?.task,
        workerGroup: t?.workerGroup,
        workerId: t?.workerId,
      });
    }
  }
  return out;
}

/** Calls that concern one run (taskId + runId recorded by the mock). */
export const runCalls = (obs: Observation, taskId: string, runId: number): TraceEntry[] =>
  obs.trace.filter((e) => e.taskId === taskId && e.runId === runId);

/** The first successful resolution call of a run, if any. */
export const resolution = (obs: Observation, taskId: string, runId: number): TraceEntry | undefined =>
  runCalls(obs, taskId, runId).find((e) => isResolve(e) && isOk(e));

export const taskList = (obs: Observation): Array<[string, ObservedTask]> => Object.entries(obs.tasks);

/** The main task: `taskIds.main` when the runner gave it, else the only task, else the last one created. */
export function mainTask(obs: Observation, c?: CaseExpectation): [string, ObservedTask] | undefined {
  const id = c?.taskIds?.main;
  if (id && obs.tasks[id]) return [id, obs.tasks[id]];
  const all = taskList(obs);
  return all[all.length - 1];
}

export const runsOf = (t: ObservedTask): any[] => (Array.isArray(t.status?.runs) ? t.status.runs : []);
export const payloadOf = (t: ObservedTask): any => t.definition?.payload ?? {};

/** Lines of a log, without the trailing empty line. */
export const lines = (text: string | undefined): string[] =>
  text === undefined ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');

export const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

/** Lines of worker-generated log output (the `[taskcluster...]` prefix family). */
export const WORKER_LINE = /^\[taskcluster(?::(?:warn|error))?(?: [^\]]*)?\] /;
export const INFO_LINE = /^\[taskcluster \d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z\] /;
export const WARN_LINE = /^\[taskcluster:warn \d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z\] /;
export const ERROR_LINE = /^\[taskcluster:error\] /;

/** Text after the worker prefix of each worker line. */
export const workerMessages = (log: string | undefined): string[] =>
  lines(log)
    .filter((l) => WORKER_LINE.test(l))
    .map((l) => l.replace(WORKER_LINE, ''));

/** The expected final state of the main task's last run from the case, if the case states it. */
export function expectedLastRun(c: CaseExpectation): { state: string; reasonResolved?: string } | undefined {
  const runs = c.expect?.runs;
  return runs && runs.length > 0 ? runs[runs.length - 1] : undefined;
}

/** Artifacts the worker created (createArtifact 2xx) for a run, by name. */
export function createdArtifacts(obs: Observation, taskId: string, runId: number): Map<string, TraceEntry> {
  const out = new Map<string, TraceEntry>();
  for (const e of runCalls(obs, taskId, runId)) {
    if (e.route !== 'createArtifact' || !isOk(e)) continue;
    out.set(artifactName(e), e);
  }
  return out;
}

/** The artifact name of a createArtifact/finishArtifact call, from its path. */
export function artifactName(e: TraceEntry): string {
  const m = /\/artifacts\/(.+)$/.exec(e.path.split('?')[0]);
  return m ? decodeURIComponent(m[1]) : '';
}

export const body = (e: TraceEntry): any => (e.request.body ?? {}) as any;

/**
 * When each canceled run was canceled (ms), from the task status: a cancel made by the harness or
 * the mock is not one of the worker's calls, so the status is where it shows.
 */
export function canceledRuns(obs: Observation): Array<{ taskId: string; runId: number; at: number }> {
  const out: Array<{ taskId: string; runId: number; at: number }> = [];
  for (const [taskId, t] of Object.entries(obs.tasks))
    for (const r of (t.status?.runs ?? []) as any[])
      if (r.reasonResolved === 'canceled' && r.resolved) out.push({ taskId, runId: r.runId, at: ms(r.resolved) });
  return out;
}
