// Checkers for capacity.*: overlapping runs reconstructed from the trace (claimed when claimWork
// answered, ended when the resolution was sent), and what each task printed about itself.
import { calls, claims, fail, isOk, isResolve, pass, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Observation } from '../types.ts';

interface Span {
  key: string;
  /** The claimWork call that claimed it. */
  claimSeq: number;
  start: number;
  end: number;
}

/** Each claimed run from its claimWork answer to the start of its resolution call (open-ended if none). */
function spans(obs: Observation): Span[] {
  const answered = new Map(calls(obs, 'claimWork').map((e) => [e.seq, Date.parse(e.time) + e.durationMs]));
  return claims(obs).map((cl) => {
    const resolve = runCalls(obs, cl.taskId, cl.runId).find(isResolve);
    return {
      key: `${cl.taskId}/${cl.runId}`,
      claimSeq: cl.seq,
      start: answered.get(cl.seq) ?? Date.parse(cl.time),
      end: resolve ? Date.parse(resolve.time) : Number.POSITIVE_INFINITY,
    };
  });
}

/** Runs holding a slot at time t. */
const runningAt = (all: Span[], t: number) => all.filter((s) => s.start <= t && t < s.end);

const capacityOf = (obs: Observation) => Math.max(1, Number(obs.config.capacity ?? 1));

export const runsAtOnce: Checker = (obs) => {
  const all = spans(obs);
  if (all.length === 0) return null;
  const capacity = capacityOf(obs);
  const peak = Math.max(...all.map((s) => runningAt(all, s.start).length));
  const want = Math.min(capacity, all.length);
  if (peak > capacity) return fail(`${peak} runs held at once with capacity ${capacity}`);
  return peak >= want
    ? pass(`${peak} runs at once (capacity ${capacity}, ${all.length} runs)`)
    : fail(`at most ${peak} run(s) at once, though capacity is ${capacity} and ${all.length} tasks were there`);
};

export const freeSlotsOnly: Checker = (obs) => {
  const cs = calls(obs, 'claimWork');
  if (cs.length === 0) return null;
  const capacity = capacityOf(obs);
  const limit = Number(obs.config.numberOfTasksToRun ?? 0);
  const all = spans(obs);
  const problems: string[] = [];
  for (const e of cs) {
    const t = Date.parse(e.time);
    const asked = Number((e.request.body as any)?.tasks ?? 1);
    // Times are in ms: an answer sent within the ms of its request starts its own runs at `t`; those are
    // what this call asked for, not slots it found busy.
    const others = all.filter((s) => s.claimSeq !== e.seq);
    const running = runningAt(others, t).length;
    if (asked > capacity - running)
      problems.push(`#${e.seq} asked for ${asked} with ${running} of ${capacity} slots busy`);
    if (limit > 0) {
      const started = others.filter((s) => s.start <= t).length;
      if (asked > limit - started)
        problems.push(`#${e.seq} asked for ${asked} with ${started} of numberOfTasksToRun ${limit} already claimed`);
    }
  }
  return verdict(problems, `${cs.length} claimWork call(s) asked only for free slots`);
};

/** What each task printed as `<KEY>=<value>` (its log line, not the echoed command); distinct across tasks? */
function distinctPrinted(obs: Observation, key: string, what: string) {
  const values = new Map<string, string>();
  const line = new RegExp(`^${key}=([^\\s$"].*)$`, 'm');
  for (const [taskId, t] of Object.entries(obs.tasks)) {
    const m = line.exec(t.log ?? '');
    if (m) values.set(taskId, m[1]!.trim());
  }
  if (values.size < 2) return null;
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const [taskId, v] of values) {
    if (seen.has(v)) problems.push(`${taskId} and ${seen.get(v)} both had ${what} ${v}`);
    seen.set(v, taskId);
  }
  return verdict(problems, `${values.size} tasks, each with its own ${what}`);
}

export const ownTaskDirectory: Checker = (obs) => distinctPrinted(obs, 'TASK_DIR', 'task directory');

export const ownTaskUser: Checker = (obs) => distinctPrinted(obs, 'TASK_USER', 'task user');

export const ownCredentials: Checker = (obs) => {
  const cls = claims(obs);
  if (cls.length < 2) return null;
  const problems: string[] = [];
  for (const cl of cls) {
    const own = cl.credentials?.clientId;
    for (const e of runCalls(obs, cl.taskId, cl.runId).filter((x) => x.route !== 'claimWork')) {
      if (e.clientId !== null && e.clientId !== own && !e.clientId.startsWith(`task-client/${cl.taskId}/${cl.runId}/`))
        problems.push(`#${e.seq} ${e.route} for ${cl.taskId}/${cl.runId} signed by ${e.clientId}`);
    }
  }
  return verdict(problems, `every call of ${cls.length} runs signed with the run's own credentials`);
};

export const tasksCompleteAcrossSlots: Checker = (obs) => {
  const limit = Number(obs.config.numberOfTasksToRun ?? 0);
  if (limit <= 0 || capacityOf(obs) < 2) return null;
  const claimed = claims(obs).length;
  const resolved = obs.trace.filter((e) => isResolve(e) && isOk(e)).length;
  const problems: string[] = [];
  if (claimed > limit) problems.push(`claimed ${claimed} tasks with numberOfTasksToRun ${limit}`);
  if (obs.exitCode === 0 && resolved < limit) problems.push(`exited 0 after resolving only ${resolved} of ${limit}`);
  if (resolved >= limit && obs.exitCode !== 0)
    problems.push(`resolved ${resolved} of ${limit} but exited ${obs.exitCode}`);
  return verdict(
    problems,
    `claimed ${claimed}, resolved ${resolved} of numberOfTasksToRun ${limit}, exit ${obs.exitCode}`,
  );
};
