// Checkers of the runner invariants (conformance/invariants.ts applies them to every security and faults
// case). The host facts (Observation.host) are what conformance/fault-env.ts found when the last worker exited.
import { claims, isOk, isResolve, runCalls, verdict } from '../lib/observe.ts';
import { type KnownSecret, knownSecrets, secretsIn } from '../lib/secrets.ts';
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

/** Every secret the runner knows for this run (spec/lib/secrets.ts), and the root-only sentinel's content. */
export function secretsOf(obs: Observation): KnownSecret[] {
  const out = knownSecrets(obs);
  if (obs.host && !out.some((s) => s.value === obs.host!.sentinel))
    out.push({ what: 'the root-only sentinel file', value: obs.host.sentinel });
  return out;
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
  const problems = places.flatMap(([where, text]) => secretsIn(text, secrets, where));
  return verdict(problems, `none of ${secrets.length} secret(s) in ${places.length} log(s), artifact(s) and output(s)`);
};
