// Checkers for queue.resolve.*: how runs end, by the worker's report or by the Queue itself.
import {
  body,
  calls,
  canceledRuns,
  claims,
  isOk,
  isResolve,
  ms,
  payloadOf,
  runCalls,
  verdict,
} from '../lib/observe.ts';
import { explanation, ownIds, refusalFor, refusalProblems } from '../lib/refusal.ts';
import type { Checker, Observation, TraceEntry } from '../types.ts';

const REASONS = ['worker-shutdown', 'malformed-payload', 'resource-unavailable', 'internal-error', 'intermittent-task'];

const conflicted = (obs: Observation, taskId: string, runId: number): boolean =>
  runCalls(obs, taskId, runId).some((e) => e.status === 409) ||
  obs.trace.some((e) => e.route === 'cancelTask' && e.taskId === taskId && isOk(e));

const runStatus = (obs: Observation, taskId: string, runId: number): any =>
  obs.tasks[taskId]?.status?.runs?.find((r: any) => r.runId === runId);

export const exactlyOnce: Checker = (obs) => {
  const cl = claims(obs);
  if (cl.length === 0) return null;
  const problems: string[] = [];
  for (const c of cl) {
    const n = runCalls(obs, c.taskId, c.runId).filter((e) => isResolve(e) && isOk(e)).length;
    if (n === 0 && !conflicted(obs, c.taskId, c.runId)) problems.push(`${c.taskId}/${c.runId} never resolved`);
    if (n > 1) problems.push(`${c.taskId}/${c.runId} resolved ${n} times`);
  }
  return verdict(problems, `${cl.length} claimed run(s) each resolved once`);
};

export const onlyHeld: Checker = (obs) => {
  const held = new Set(claims(obs).map((c) => `${c.taskId}/${c.runId}`));
  const rs = obs.trace.filter((e) => isResolve(e) && e.clientId !== null && e.taskId !== undefined);
  if (rs.length === 0) return null;
  const problems = rs
    .filter((e) => !held.has(`${e.taskId}/${e.runId}`))
    .map((e) => `#${e.seq} ${e.route} for ${e.taskId}/${e.runId}, a run this worker did not claim`);
  return verdict(problems, `${rs.length} resolution(s) only for held runs`);
};

export const notCompletedOnFailure: Checker = (obs, c) => {
  const last = c.expect?.runs?.[c.expect.runs.length - 1];
  if (!last || last.state === 'completed') return null;
  const completed = calls(obs, 'reportCompleted').filter(isOk);
  return verdict(
    completed.map(
      (e) => `#${e.seq} reportCompleted for ${e.taskId}/${e.runId} although the task should end ${last.state}`,
    ),
    `no reportCompleted for a task expected to end ${last.state}`,
  );
};

export const malformedExplained: Checker = (obs, c) => {
  const ms_ = calls(obs, 'reportException').filter((e) => isOk(e) && body(e).reason === 'malformed-payload');
  if (ms_.length === 0) return null;
  const problems: string[] = [];
  for (const e of ms_) {
    const log = obs.tasks[e.taskId!]?.log;
    const refusal = refusalFor(c, e.taskId!);
    if (log === undefined) problems.push(`${e.taskId}: no task log uploaded to explain malformed-payload`);
    else if (refusal) problems.push(...refusalProblems(log, refusal, `${e.taskId}`, ownIds(obs)));
    // Without a stated reason, at least an error line of the worker's own that is not part of a dump.
    else if (!explanation(log).some((m) => /malformed|invalid|payload|scope|not allowed|must|not enabled/i.test(m)))
      problems.push(`${e.taskId}: the task log does not explain why the payload is malformed`);
  }
  return verdict(problems, 'every malformed-payload resolution is explained in the task log, naming what it is about');
};

export const resourceUnavailableAfterRetry: Checker = (obs) => {
  const rs = calls(obs, 'reportException').filter((e) => body(e).reason === 'resource-unavailable');
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const e of rs) {
    const failures = obs.trace.filter((x) => x.seq < e.seq && (x.status >= 500 || x.status === 0 || x.fault));
    if (failures.length < 2) problems.push(`#${e.seq} resource-unavailable after ${failures.length} failed attempt(s)`);
  }
  return verdict(problems, 'resource-unavailable reported only after retries failed');
};

export const shutdownReported: Checker = (obs) => {
  if (obs.exitCode === null && obs.signal === null) return null;
  const cl = claims(obs);
  if (cl.length === 0) return null;
  const problems: string[] = [];
  for (const c of cl) {
    const run = runStatus(obs, c.taskId, c.runId);
    if (run?.state === 'running') problems.push(`${c.taskId}/${c.runId} left running when the worker exited`);
  }
  return verdict(problems, 'the worker left no claimed run running when it exited');
};

export const intermittentOnlyWhenAsked: Checker = (obs) => {
  const rs = calls(obs, 'reportException').filter((e) => body(e).reason === 'intermittent-task');
  if (rs.length === 0) return null;
  const problems = rs
    .filter((e) => !(payloadOf(obs.tasks[e.taskId!] ?? ({} as any)).onExitStatus?.retry?.length > 0))
    .map((e) => `#${e.seq} intermittent-task for a payload without onExitStatus.retry`);
  return verdict(problems, 'intermittent-task only where the payload asks for it');
};

export const exceptionRequestShape: Checker = (obs) => {
  const rs = calls(obs, 'reportException');
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const e of rs) {
    const b = body(e);
    const valid = REASONS.includes(b.reason) && Object.keys(b).every((k) => k === 'reason');
    if (!valid && e.status !== 400) problems.push(`#${e.seq} body ${JSON.stringify(b)} answered ${e.status}, not 400`);
    if (valid && e.status === 400) problems.push(`#${e.seq} valid body ${JSON.stringify(b)} answered 400`);
  }
  return verdict(problems, `${rs.length} reportException call(s) validated as the schema says`);
};

/** The first successful resolution (or cancel) that ended a run, if any, before seq. */
function ender(obs: Observation, e: TraceEntry): TraceEntry | undefined {
  return obs.trace.find(
    (x) =>
      x.seq < e.seq &&
      isOk(x) &&
      x.taskId === e.taskId &&
      ((isResolve(x) && x.runId === e.runId) || x.route === 'cancelTask'),
  );
}

const sameResolution = (a: TraceEntry, b: TraceEntry): boolean =>
  a.route === b.route && (a.route !== 'reportException' || body(a).reason === body(b).reason);

export const conflictUnlessRunning: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  const canceled = canceledRuns(obs);
  for (const e of obs.trace.filter((x) => x.route === 'reportCompleted' || x.route === 'reportFailed')) {
    const cancel = canceled.find((c) => c.taskId === e.taskId && c.runId === e.runId && c.at <= ms(e.time));
    if (cancel) {
      judged++;
      if (e.status !== 409)
        problems.push(`#${e.seq} ${e.route} after the run was canceled answered ${e.status}, not 409`);
      continue;
    }
    const end = ender(obs, e);
    if (!end || sameResolution(end, e)) continue;
    judged++;
    if (e.status !== 409) problems.push(`#${e.seq} ${e.route} after ${end.route} answered ${e.status}, not 409`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} resolution(s) of a run no longer running got 409`);
};

export const idempotent: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of obs.trace.filter(isResolve)) {
    const end = ender(obs, e);
    if (!end || end.route === 'cancelTask') continue;
    judged++;
    if (sameResolution(end, e) && !isOk(e))
      problems.push(`#${e.seq} repeated ${e.route} answered ${e.status}, not 200`);
    if (!sameResolution(end, e) && e.status !== 409)
      problems.push(`#${e.seq} conflicting ${e.route} answered ${e.status}, not 409`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} repeated resolution(s) answered as the Queue does`);
};

const RETRY_CREATED: Record<string, string> = {
  'worker-shutdown': 'retry',
  'intermittent-task': 'task-retry',
  'claim-expired': 'retry',
};

/** Walks a task's runs and checks each automatic retry run against retries left. */
function retryProblems(id: string, t: any, only?: string[]): { judged: number; problems: string[] } {
  const runs: any[] = t.status?.runs ?? [];
  let left = Number(t.definition?.retries ?? 5);
  const problems: string[] = [];
  let judged = 0;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    if (r.state !== 'exception') continue;
    if (only && !only.includes(r.reasonResolved)) continue;
    const want = RETRY_CREATED[r.reasonResolved];
    const next = runs[i + 1];
    judged++;
    if (want && left > 0) {
      if (!next || next.reasonCreated !== want)
        problems.push(`${id}: run ${i} ${r.reasonResolved} without a ${want} run`);
      left--;
    } else if (next && next.reasonCreated !== 'rerun') {
      problems.push(`${id}: run ${i} ${r.reasonResolved} was followed by run ${i + 1} (${next.reasonCreated})`);
    }
  }
  return { judged, problems };
}

export const retryRun: Checker = (obs) => {
  let judged = 0;
  const problems: string[] = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    const r = retryProblems(id, t, [...REASONS, 'canceled', 'deadline-exceeded']);
    judged += r.judged;
    problems.push(...r.problems);
  }
  if (judged === 0) return null;
  return verdict(problems, 'retry runs were created exactly for retryable reasons with retries left');
};

export const noUseAfterResolve: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of obs.trace.filter((x) => isResolve(x) && isOk(x) && x.clientId !== null)) {
    judged++;
    const after = runCalls(obs, e.taskId!, e.runId!).filter((x) => x.seq > e.seq && x.clientId !== null);
    for (const x of after) {
      const uploadAfterException =
        e.route === 'reportException' && ['createArtifact', 'finishArtifact'].includes(x.route);
      if (!uploadAfterException && !isResolve(x)) problems.push(`#${x.seq} ${x.route} after ${e.route} of the run`);
    }
  }
  if (judged === 0) return null;
  return verdict(problems, 'no run was used after it was resolved');
};

export const emptyBody: Checker = (obs) => {
  const rs = obs.trace.filter((e) => e.route === 'reportCompleted' || e.route === 'reportFailed');
  if (rs.length === 0) return null;
  const problems = rs
    .filter((e) => {
      const b = e.request.body;
      return !(b === undefined || b === null || b === '' || (typeof b === 'object' && Object.keys(b).length === 0));
    })
    .map((e) => `#${e.seq} ${e.route} sent body ${JSON.stringify(e.request.body)}`);
  return verdict(problems, `${rs.length} reportCompleted/reportFailed call(s) sent no body`);
};

export const claimExpired: Checker = (obs) => {
  let judged = 0;
  const problems: string[] = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    for (const r of (t.status?.runs ?? []) as any[]) {
      if (r.reasonResolved !== 'claim-expired') continue;
      judged++;
      if (r.takenUntil && r.resolved && ms(r.resolved) < ms(r.takenUntil))
        problems.push(`${id}/${r.runId} claim-expired at ${r.resolved}, before takenUntil ${r.takenUntil}`);
    }
    const rp = retryProblems(id, t, ['claim-expired']);
    problems.push(...rp.problems);
  }
  if (judged === 0) return null;
  return verdict(problems, 'claim-expired runs expired after takenUntil and were retried while retries remained');
};

export const deadlineExceeded: Checker = (obs) => {
  let judged = 0;
  const problems: string[] = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    const runs: any[] = t.status?.runs ?? [];
    runs.forEach((r, i) => {
      if (r.reasonResolved !== 'deadline-exceeded') return;
      judged++;
      if (r.resolved && ms(r.resolved) < ms(t.definition?.deadline))
        problems.push(`${id}/${i} deadline-exceeded before the deadline`);
      if (runs[i + 1]) problems.push(`${id}/${i} deadline-exceeded was followed by another run`);
    });
  }
  if (judged === 0) return null;
  return verdict(problems, 'deadline-exceeded runs ended at the deadline without retry');
};

export const cancelResolves: Checker = (obs) => {
  const canceled = canceledRuns(obs);
  if (canceled.length === 0) return null;
  const problems: string[] = [];
  for (const c of canceled) {
    const runs: any[] = obs.tasks[c.taskId]?.status?.runs ?? [];
    const i = runs.findIndex((r) => r.runId === c.runId);
    if (i >= 0 && i < runs.length - 1)
      problems.push(`${c.taskId}: canceled run ${c.runId} was followed by run ${runs[i + 1].runId}`);
    const later = runCalls(obs, c.taskId, c.runId).filter(
      (x) => ms(x.time) >= c.at && (x.route === 'reclaimTask' || isResolve(x)) && isOk(x),
    );
    for (const x of later) problems.push(`#${x.seq} ${x.route} after the cancel answered ${x.status}, not 409`);
  }
  return verdict(problems, `${canceled.length} canceled run(s) stayed canceled and refused later reclaims and reports`);
};
