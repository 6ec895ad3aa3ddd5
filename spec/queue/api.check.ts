// Checkers for queue.api.*: the harness endpoints and the HTTP conventions every call follows.
import { body, calls, isOk, verdict } from '../lib/observe.ts';
import type { Checker, TraceEntry } from '../types.ts';

export const createTaskRules: Checker = (obs) => {
  const cs = calls(obs, 'createTask');
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const b = body(e);
    const s = (e.response.body as any)?.status;
    if (isOk(e)) {
      if (!s) {
        problems.push(`#${e.seq} createTask answered without status`);
        continue;
      }
      if (s.schedulerId !== (b.schedulerId ?? '-')) problems.push(`#${e.seq} schedulerId default not applied`);
      if (s.priority !== undefined && s.priority !== (b.priority ?? 'lowest'))
        problems.push(`#${e.seq} priority default not applied`);
      if (s.retriesLeft !== (b.retries ?? 5))
        problems.push(`#${e.seq} retriesLeft ${s.retriesLeft} != retries ${b.retries ?? 5}`);
      if (b.expires && b.deadline && Date.parse(b.expires) < Date.parse(b.deadline))
        problems.push(`#${e.seq} accepted expires before deadline`);
    }
  }
  return verdict(problems, `${cs.length} createTask call(s) validated and defaulted`);
};

export const initialState: Checker = (obs) => {
  const cs = calls(obs, 'createTask').filter(isOk);
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const deps: string[] = body(e).dependencies ?? [];
    const s = (e.response.body as any)?.status;
    const selfOnly = deps.every((d) => d === e.taskId);
    if (deps.length === 0 || selfOnly) {
      const r0 = s?.runs?.[0];
      if (s?.state !== 'pending' || r0?.state !== 'pending' || r0?.reasonCreated !== 'scheduled')
        problems.push(`#${e.seq} task without dependencies is ${s?.state}, runs[0] ${JSON.stringify(r0)}`);
    }
  }
  return verdict(problems, `${cs.length} created task(s) started in the right state`);
};

const TERMINAL = ['completed', 'failed', 'exception'];

export const statusConsistent: Checker = (obs) => {
  const ts = Object.entries(obs.tasks).filter(([, t]) => t.status);
  if (ts.length === 0) return null;
  const problems: string[] = [];
  for (const [id, t] of ts) {
    const runs: any[] = t.status.runs ?? [];
    const want = runs.length ? runs[runs.length - 1].state : 'unscheduled';
    if (t.status.state !== want) problems.push(`${id}: state ${t.status.state}, last run ${want}`);
    runs.forEach((r, i) => {
      if (r.runId !== i) problems.push(`${id}: run ids not dense at ${i}`);
      if (i < runs.length - 1 && !TERMINAL.includes(r.state)) problems.push(`${id}: run ${i} ${r.state} but not last`);
    });
  }
  return verdict(problems, `${ts.length} task status(es) consistent`);
};

const isQueueError = (e: TraceEntry): boolean => e.service === 'queue' && e.status >= 400 && !e.fault;

export const errorShape: Checker = (obs) => {
  const errs = obs.trace.filter(isQueueError);
  if (errs.length === 0) return null;
  const problems = errs
    .filter((e) => {
      const b = e.response.body as any;
      return !(b && typeof b.code === 'string' && typeof b.message === 'string' && b.requestInfo !== undefined);
    })
    .map((e) => `#${e.seq} ${e.route} ${e.status} body is not {code, message, requestInfo}`);
  return verdict(problems, `${errs.length} error answer(s) were JSON {code, message, requestInfo}`);
};

const WORKER_ROUTES = [
  'reclaimTask',
  'reportCompleted',
  'reportFailed',
  'reportException',
  'createArtifact',
  'finishArtifact',
];
const sameCall = (a: TraceEntry, b: TraceEntry): boolean =>
  a.route === b.route && a.path === b.path && JSON.stringify(a.request.body) === JSON.stringify(b.request.body);

export const retryPolicy: Checker = (obs) => {
  const cs = obs.trace.filter((e) => WORKER_ROUTES.includes(e.route) && e.clientId !== null);
  const problems: string[] = [];
  let judged = 0;
  cs.forEach((e, i) => {
    const later = cs.slice(i + 1);
    if ([400, 403, 404].includes(e.status)) {
      judged++;
      const again = later.filter((x) => sameCall(x, e)).length;
      if (again > 0) problems.push(`#${e.seq} ${e.route} ${e.status} was repeated ${again} time(s)`);
    }
    if (e.status >= 500) {
      judged++;
      const resolvedSince = later.some((x) => x.taskId === e.taskId && x.route.startsWith('report') && isOk(x));
      if (!later.some((x) => x.route === e.route && x.path === e.path) && !resolvedSince)
        problems.push(`#${e.seq} ${e.route} ${e.status} was not retried`);
    }
  });
  if (judged === 0) return null;
  return verdict(problems, `${judged} failed call(s) retried only when retryable`);
};

const SCHEMA_ROUTES = ['claimWork', 'reportException', 'createArtifact', 'finishArtifact'];

export const jsonContentType: Checker = (obs) => {
  const cs = obs.trace.filter((e) => SCHEMA_ROUTES.includes(e.route));
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const h = e.request.headers ?? {};
    const k = Object.keys(h).find((x) => x.toLowerCase() === 'content-type');
    if (!k || !/^application\/json\b/i.test(h[k]))
      problems.push(`#${e.seq} ${e.route} sent Content-Type ${k ? h[k] : 'none'}`);
  }
  return verdict(problems, `${cs.length} request(s) with an input schema sent application/json`);
};
