// Checkers of the runner invariants (conformance/invariants.ts applies them to every security and faults
// case). The host facts (Observation.host) are what conformance/fault-env.ts found when the last worker exited.
import { claims, isOk, isResolve, okCalls, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Observation } from '../types.ts';

/** Runs the Queue resolves by itself when a worker did not (or could not) resolve them. */
const QUEUE_RESOLVED = new Set(['claim-expired', 'deadline-exceeded', 'canceled']);

export const resolvedOnce: Checker = (obs) => {
  const cl = claims(obs);
  if (cl.length === 0) return null;
  const problems: string[] = [];
  for (const c of cl) {
    const calls = runCalls(obs, c.taskId, c.runId);
    const n = calls.filter((e) => isResolve(e) && isOk(e)).length;
    const run = obs.tasks[c.taskId]?.status?.runs?.[c.runId];
    if (n > 1) problems.push(`${c.taskId}/${c.runId} resolved ${n} times`);
    if (n === 0) {
      const conflicted = calls.some((e) => e.status === 409);
      if (!conflicted && !QUEUE_RESOLVED.has(run?.reasonResolved))
        problems.push(`${c.taskId}/${c.runId} never resolved (its run is ${run?.state ?? 'unknown'})`);
    }
  }
  return verdict(problems, `${cl.length} claimed run(s), each resolved once`);
};

export const noLeftoverProcess: Checker = (obs) => {
  const h = obs.host;
  if (!h) return null;
  return verdict(
    h.leftover.map((p) => `pid ${p.pid} (${p.what}) still running when the worker exited`),
    `nothing the tasks started was running when the worker exited (looked at ${h.processScan === 'environ' ? "every process's environment and the marker pid files" : 'the marker pid files'})`,
  );
};

export const nothingOutside: Checker = (obs) => {
  const h = obs.host;
  if (!h) return null;
  return verdict(
    [...h.escapes.map((e) => `${e} was written outside every task directory`), ...h.tampered],
    'nothing written outside the task directories; the planted root-owned files are untouched',
  );
};

/** Config keys whose string value is a secret (accessToken, livelogSecret, …). */
const SECRET_KEY = /token|secret|password/i;
/** Shorter values would match by chance. */
const MIN_SECRET = 8;

/** Every secret the runner knows for this run, by what it is (never the value in a message). */
export function secretsOf(obs: Observation): Array<{ what: string; value: string }> {
  const out = new Map<string, string>();
  const add = (what: string, v: unknown) => {
    if (typeof v === 'string' && v.length >= MIN_SECRET && !out.has(v)) out.set(v, what);
  };
  for (const [k, v] of Object.entries(obs.config ?? {})) if (SECRET_KEY.test(k)) add(`config ${k}`, v);
  for (const c of claims(obs))
    add(`the temporary access token of run ${c.taskId}/${c.runId}`, c.credentials?.accessToken);
  for (const e of okCalls(obs, 'reclaimTask'))
    add(`the reclaimed access token of run ${e.taskId}/${e.runId}`, (e.response.body as any)?.credentials?.accessToken);
  for (const s of (obs as { secrets?: Array<{ what: string; value: string }> }).secrets ?? []) add(s.what, s.value);
  if (obs.host) add('the root-only sentinel file', obs.host.sentinel);
  return [...out].map(([value, what]) => ({ what, value }));
}

export const noSecretLeak: Checker = (obs) => {
  const secrets = secretsOf(obs);
  if (secrets.length === 0) return null;
  const places: Array<[string, string]> = [
    ['worker stdout', obs.stdout],
    ['worker stderr', obs.stderr],
  ];
  if (obs.liveLog) places.push(['the live log as read while the task ran', obs.liveLog.text]);
  for (const [taskId, t] of Object.entries(obs.tasks)) {
    if (t.log !== undefined) places.push([`task ${taskId} log`, t.log]);
    for (const a of t.artifacts)
      if (a.body) places.push([`task ${taskId} artifact ${a.name} (run ${a.runId})`, a.body.toString('latin1')]);
  }
  const problems: string[] = [];
  for (const [where, text] of places)
    for (const s of secrets) if (text.includes(s.value)) problems.push(`${where} contains ${s.what}`);
  return verdict(problems, `none of ${secrets.length} secret(s) in ${places.length} log(s), artifact(s) and output(s)`);
};
