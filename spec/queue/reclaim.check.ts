// Checkers for queue.reclaim.*: keeping the claim alive, and what a failed reclaim means.
import { calls, claims, isOk, isResolve, ms, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Observation, TraceEntry } from '../types.ts';

const byRun = (obs: Observation) => claims(obs).filter((c) => c.taskId !== undefined && c.takenUntil);

/** Time a call was sent: the trace records the start of each exchange. */
const sent = (e: TraceEntry): number => ms(e.time);

export const beforeTakenUntil: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const c of byRun(obs)) {
    let takenUntil = ms(c.takenUntil);
    const cs = runCalls(obs, c.taskId, c.runId).sort((a, b) => a.seq - b.seq);
    for (const e of cs) {
      if (e.route === 'reclaimTask') {
        judged++;
        if (sent(e) > takenUntil)
          problems.push(`${c.taskId}/${c.runId} reclaimed at ${e.time}, after ${new Date(takenUntil).toISOString()}`);
        const next = (e.response.body as any)?.takenUntil;
        if (isOk(e) && next) takenUntil = ms(next);
      } else if (isResolve(e)) {
        judged++;
        if (sent(e) > takenUntil)
          problems.push(
            `${c.taskId}/${c.runId} resolved at ${e.time}, after its claim expired at ${new Date(takenUntil).toISOString()}`,
          );
        break;
      }
    }
  }
  if (judged === 0) return null;
  return verdict(problems, 'every reclaim and resolution came before takenUntil');
};

export const cadence: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const c of byRun(obs)) {
    const rs = runCalls(obs, c.taskId, c.runId).filter((e) => e.route === 'reclaimTask' && isOk(e));
    for (let i = 1; i < rs.length; i++) {
      judged++;
      const gap = sent(rs[i]) - sent(rs[i - 1]);
      if (gap < 500) problems.push(`${c.taskId}/${c.runId} reclaimed twice within ${gap} ms`);
    }
  }
  if (judged === 0) return null;
  return verdict(problems, 'successful reclaims were spaced out, never a tight loop');
};

export const responseShape: Checker = (obs) => {
  const rs = calls(obs, 'reclaimTask').filter(isOk);
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const e of rs) {
    const b = e.response.body as any;
    for (const k of ['status', 'runId', 'workerGroup', 'workerId', 'takenUntil', 'credentials'])
      if (b?.[k] === undefined) problems.push(`#${e.seq} reclaim response lacks ${k}`);
    if (b?.task !== undefined) problems.push(`#${e.seq} reclaim response carries task`);
    if (b?.takenUntil && ms(b.takenUntil) < ms(e.time)) problems.push(`#${e.seq} takenUntil is in the past`);
  }
  return verdict(problems, `${rs.length} reclaim response(s) well formed`);
};

/** The seq after which a run is no longer running: its resolution, or a cancelTask of its task. */
function endedAt(obs: Observation, taskId: string, runId: number): number | undefined {
  const ends = obs.trace.filter(
    (e) => isOk(e) && e.taskId === taskId && ((isResolve(e) && e.runId === runId) || e.route === 'cancelTask'),
  );
  return ends.length ? Math.min(...ends.map((e) => e.seq)) : undefined;
}

/** When the Queue itself resolved a run (claim-expired, deadline-exceeded): its `resolved` time. */
function queueResolvedAt(obs: Observation, taskId: string, runId: number): number | undefined {
  const r = ((obs.tasks[taskId]?.status?.runs ?? []) as any[]).find((x) => x?.runId === runId);
  if (!r?.resolved || !['claim-expired', 'deadline-exceeded'].includes(r.reasonResolved)) return undefined;
  return ms(r.resolved);
}

export const conflictWhenResolved: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of calls(obs, 'reclaimTask')) {
    if (e.taskId === undefined || e.runId === undefined || e.fault) continue;
    const end = endedAt(obs, e.taskId, e.runId);
    const resolved = queueResolvedAt(obs, e.taskId, e.runId);
    const afterWorkerEnd = end !== undefined && e.seq >= end;
    const afterQueueEnd = resolved !== undefined && sent(e) >= resolved;
    if (!afterWorkerEnd && !afterQueueEnd) continue;
    judged++;
    if (e.status !== 409) problems.push(`#${e.seq} reclaim of a resolved run answered ${e.status}, not 409`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} reclaim(s) of a resolved run got 409`);
};

export const conflictStops: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of calls(obs, 'reclaimTask').filter((x) => x.status === 409)) {
    judged++;
    const later = runCalls(obs, e.taskId!, e.runId!).filter(
      (x) =>
        x.seq > e.seq && (x.route === 'reportCompleted' || x.route === 'reportFailed' || x.route === 'reclaimTask'),
    );
    for (const x of later) problems.push(`#${x.seq} ${x.route} after reclaim 409 at #${e.seq}`);
  }
  if (judged === 0) return null;
  return verdict(problems, 'the worker gave the run up after a reclaim 409');
};

export const retryServerError: Checker = (obs) => {
  const bad = calls(obs, 'reclaimTask').filter((e) => e.status >= 500);
  if (bad.length === 0) return null;
  const problems: string[] = [];
  let judged = 0;
  for (const e of bad) {
    // Retrying is owed only "until takenUntil": a failure answered once the claim had lapsed ends the run.
    const until = takenUntilAt(obs, e.taskId!, e.runId!, e.seq);
    if (until !== undefined && sent(e) + e.durationMs >= until) continue;
    judged++;
    const after = runCalls(obs, e.taskId!, e.runId!).filter(
      (x) => x.seq > e.seq && (x.route === 'reclaimTask' || isResolve(x)),
    );
    if (after.length === 0) problems.push(`#${e.seq} reclaim ${e.status} was never retried`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} failed reclaim(s) answered before takenUntil were retried`);
};

/** The run's takenUntil as the worker knew it just before trace entry `seq`: its claim, then successful reclaims. */
function takenUntilAt(obs: Observation, taskId: string, runId: number, seq: number): number | undefined {
  const c = byRun(obs).find((x) => x.taskId === taskId && x.runId === runId && x.seq < seq);
  if (!c) return undefined;
  let until = ms(c.takenUntil);
  for (const e of runCalls(obs, taskId, runId)) {
    const next = (e.response.body as any)?.takenUntil;
    if (e.seq < seq && e.route === 'reclaimTask' && isOk(e) && next) until = ms(next);
  }
  return until;
}
