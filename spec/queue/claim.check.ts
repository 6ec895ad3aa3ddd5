// Checkers for queue.claim.*: the claimWork request the worker sends and the claims the Queue hands out.
import { body, calls, claims, isOk, ms, okCalls, RUN_ROUTES, verdict } from '../lib/observe.ts';
import type { Checker } from '../types.ts';

const IDENT = /^[a-zA-Z0-9_-]{1,38}$/;

export const requestShape: Checker = (obs) => {
  const cs = calls(obs, 'claimWork');
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const b = body(e);
    const path = decodeURIComponent(e.path.split('?')[0]);
    if (e.method !== 'POST') problems.push(`#${e.seq} method ${e.method}, expected POST`);
    if (!/\/claim-work\/[^/]+\/[^/]+$/.test(path)) problems.push(`#${e.seq} path ${e.path} is not /claim-work/<p>/<w>`);
    if (!IDENT.test(String(b.workerGroup))) problems.push(`#${e.seq} workerGroup ${JSON.stringify(b.workerGroup)}`);
    if (!IDENT.test(String(b.workerId))) problems.push(`#${e.seq} workerId ${JSON.stringify(b.workerId)}`);
    if (b.tasks !== undefined && !(Number.isInteger(b.tasks) && b.tasks >= 1 && b.tasks <= 32))
      problems.push(`#${e.seq} tasks ${JSON.stringify(b.tasks)} not in 1..32`);
  }
  return verdict(problems, `${cs.length} claimWork request(s) well formed`);
};

export const scopesRequired: Checker = (obs) => {
  const cs = calls(obs, 'claimWork');
  if (cs.length === 0) return null;
  const problems = cs
    .filter((e) => isOk(e) && e.clientId === null)
    .map((e) => `#${e.seq} answered ${e.status} to an unsigned request`);
  for (const e of cs.filter((x) => x.status === 403)) {
    if ((e.response.body as any)?.code !== 'InsufficientScopes')
      problems.push(`#${e.seq} 403 without InsufficientScopes`);
  }
  return verdict(problems, 'claimWork answered only authenticated callers');
};

export const atMostTasks: Checker = (obs) => {
  const cs = okCalls(obs, 'claimWork');
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const want = Number(body(e).tasks ?? 1);
    const got = (e.response.body as any)?.tasks?.length ?? 0;
    if (got > want) problems.push(`#${e.seq} returned ${got} claims for tasks=${want}`);
  }
  return verdict(problems, 'no claimWork returned more claims than asked for');
};

export const noOvercommit: Checker = (obs) => {
  const cs = calls(obs, 'claimWork');
  if (cs.length === 0) return null;
  const capacity = Number(obs.config.capacity ?? 1);
  const problems = cs
    .filter((e) => Number(body(e).tasks ?? 1) > capacity)
    .map((e) => `#${e.seq} asked for ${body(e).tasks} tasks with capacity ${capacity}`);
  return verdict(problems, `claimWork never asked for more than capacity ${capacity}`);
};

export const emptyAfterTimeout: Checker = (obs) => {
  const empties = okCalls(obs, 'claimWork').filter((e) => ((e.response.body as any)?.tasks ?? []).length === 0);
  if (empties.length === 0) return null;
  const problems = empties
    .filter((e) => !Array.isArray((e.response.body as any)?.tasks))
    .map((e) => `#${e.seq} empty answer is not {tasks: []}`);
  return verdict(problems, `${empties.length} empty claimWork answer(s) were {tasks: []}`);
};

/** A worker pauses after an empty or failed poll: the next poll must not start straight away. */
export const noBusyLoop: Checker = (obs) => {
  const cs = calls(obs, 'claimWork').sort((a, b) => a.seq - b.seq);
  const problems: string[] = [];
  let judged = 0;
  for (let i = 0; i + 1 < cs.length; i++) {
    const prev = cs[i];
    const empty = !isOk(prev) || ((prev.response.body as any)?.tasks ?? []).length === 0;
    if (!empty) continue;
    judged++;
    const gap = ms(cs[i + 1].time) - (ms(prev.time) + prev.durationMs);
    if (gap < 100) problems.push(`#${cs[i + 1].seq} polled ${Math.round(gap)} ms after an empty or failed poll`);
  }
  if (judged === 0) return null;
  return verdict(problems, `paused after each of ${judged} empty or failed poll(s)`);
};

export const responseShape: Checker = (obs) => {
  const cs = okCalls(obs, 'claimWork');
  const problems: string[] = [];
  let n = 0;
  for (const e of cs) {
    for (const t of ((e.response.body as any)?.tasks ?? []) as any[]) {
      n++;
      for (const k of ['status', 'runId', 'workerGroup', 'workerId', 'takenUntil', 'task', 'credentials'])
        if (t?.[k] === undefined) problems.push(`#${e.seq} claim lacks ${k}`);
      for (const k of ['clientId', 'accessToken', 'certificate'])
        if (t?.credentials?.[k] === undefined) problems.push(`#${e.seq} credentials lack ${k}`);
      if (t?.status?.state !== 'running') problems.push(`#${e.seq} status.state ${t?.status?.state}`);
      const run = t?.status?.runs?.[t?.runId];
      if (run && (run.workerGroup !== t.workerGroup || run.workerId !== t.workerId || !run.takenUntil))
        problems.push(`#${e.seq} status.runs[${t.runId}] does not carry the claimer and takenUntil`);
    }
  }
  if (n === 0) return null;
  return verdict(problems, `${n} claim(s) carried every required field`);
};

export const useClaimRunId: Checker = (obs) => {
  const held = new Set(claims(obs).map((c) => `${c.taskId}/${c.runId}`));
  const used = obs.trace.filter(
    (e) => (RUN_ROUTES as readonly string[]).includes(e.route) && e.taskId !== undefined && e.clientId !== null,
  );
  if (used.length === 0 || held.size === 0) return null;
  const problems = used
    .filter((e) => !held.has(`${e.taskId}/${e.runId}`))
    .map((e) => `#${e.seq} ${e.route} on ${e.taskId}/${e.runId}, which was not claimed`);
  return verdict(problems, `${used.length} run call(s) used a claimed runId`);
};

const PRIORITY = ['lowest', 'very-low', 'low', 'medium', 'high', 'very-high', 'highest'];

export const priorityOrder: Checker = (obs) => {
  const cl = claims(obs).filter((c) => c.runId === 0);
  if (cl.length < 2) return null;
  // Only meaningful when every claimed task was pending before the first claim and none waited on another.
  if (cl.some((c) => (c.task?.dependencies ?? []).length > 0)) return null;
  const firstClaim = ms(cl[0].time);
  const allPending = cl.every((c) => ms(obs.tasks[c.taskId]?.status?.runs?.[0]?.scheduled) < firstClaim);
  if (!allPending) return null;
  const problems: string[] = [];
  for (let i = 1; i < cl.length; i++) {
    const a = PRIORITY.indexOf(cl[i - 1].task?.priority ?? 'lowest');
    const b = PRIORITY.indexOf(cl[i].task?.priority ?? 'lowest');
    if (b > a) problems.push(`${cl[i].taskId} (${cl[i].task?.priority}) claimed after a lower priority task`);
  }
  return verdict(problems, `${cl.length} claims came highest priority first`);
};

export const exclusive: Checker = (obs) => {
  const cl = claims(obs);
  if (cl.length === 0) return null;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const c of cl) {
    const k = `${c.taskId}/${c.runId}`;
    if (seen.has(k)) problems.push(`run ${k} handed out twice`);
    seen.add(k);
  }
  return verdict(problems, `${cl.length} run(s) each handed out once`);
};

export const quarantineEmpty: Checker = (obs) => {
  const q = calls(obs, 'claimWork').filter((e) => e.fault === 'quarantine');
  if (q.length === 0) return null;
  const problems = q
    .filter((e) => ((e.response.body as any)?.tasks ?? []).length !== 0)
    .map((e) => `#${e.seq} quarantined worker got claims`);
  return verdict(problems, 'a quarantined worker got no claims');
};
