// Checkers for queue.credentials.*: which credentials sign run calls, and where they must not leak.
import { claims, isOk, ms, okCalls, RUN_ROUTES, verdict } from '../lib/observe.ts';
import { knownSecrets, secretsIn } from '../lib/secrets.ts';
import type { Checker, Observation, TraceEntry } from '../types.ts';

const runRouteCalls = (obs: Observation): TraceEntry[] =>
  obs.trace.filter((e) => (RUN_ROUTES as readonly string[]).includes(e.route) && e.taskId !== undefined);

/** clientIds issued for each run, in issue order: the claim's, then each successful reclaim's. */
function issued(obs: Observation): Map<string, Array<{ seq: number; clientId: string }>> {
  const out = new Map<string, Array<{ seq: number; clientId: string }>>();
  for (const c of claims(obs)) {
    if (c.credentials?.clientId) out.set(`${c.taskId}/${c.runId}`, [{ seq: c.seq, clientId: c.credentials.clientId }]);
  }
  for (const e of okCalls(obs, 'reclaimTask')) {
    const id = (e.response.body as any)?.credentials?.clientId;
    const k = `${e.taskId}/${e.runId}`;
    if (id && out.has(k)) out.get(k)!.push({ seq: e.seq, clientId: id });
  }
  return out;
}

export const runSigned: Checker = (obs) => {
  const creds = issued(obs);
  const cs = runRouteCalls(obs).filter((e) => creds.has(`${e.taskId}/${e.runId}`));
  if (cs.length === 0) return null;
  const problems = cs
    .filter((e) => !creds.get(`${e.taskId}/${e.runId}`)!.some((i) => i.clientId === e.clientId))
    .map((e) => `#${e.seq} ${e.route} signed by ${e.clientId ?? 'nobody'}, not by the run's credentials`);
  return verdict(problems, `${cs.length} run call(s) signed with the run's temporary credentials`);
};

export const scopedToRun: Checker = (obs) => {
  const cl = claims(obs).filter((c) => c.credentials?.certificate);
  if (cl.length === 0) return null;
  const problems: string[] = [];
  for (const c of cl) {
    let cert: any;
    try {
      cert =
        typeof c.credentials!.certificate === 'string'
          ? JSON.parse(c.credentials!.certificate)
          : c.credentials!.certificate;
    } catch {
      problems.push(`${c.taskId}/${c.runId}: certificate is not JSON`);
      continue;
    }
    const scopes: string[] = cert?.scopes ?? [];
    const run = `${c.taskId}/${c.runId}`;
    for (const s of [`queue:reclaim-task:${run}`, `queue:resolve-task:${run}`, `queue:create-artifact:${run}`])
      if (!scopes.includes(s)) problems.push(`${run}: certificate lacks ${s}`);
    if (Math.abs(Number(cert?.expiry) - ms(c.takenUntil)) > 1000)
      problems.push(`${run}: certificate expiry ${cert?.expiry} is not takenUntil ${c.takenUntil}`);
  }
  return verdict(problems, `${cl.length} claim certificate(s) scoped to their run and expiring at takenUntil`);
};

export const replaceAfterReclaim: Checker = (obs) => {
  const creds = issued(obs);
  const problems: string[] = [];
  let judged = 0;
  for (const e of runRouteCalls(obs)) {
    const list = creds.get(`${e.taskId}/${e.runId}`);
    if (!list || list.length < 2) continue;
    const newest = [...list].reverse().find((i) => i.seq < e.seq);
    if (!newest || newest === list[0]) continue;
    judged++;
    if (e.clientId !== newest.clientId)
      problems.push(`#${e.seq} ${e.route} signed by ${e.clientId}, not the newest credentials ${newest.clientId}`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} call(s) after a reclaim used the refreshed credentials`);
};

/**
 * No secret the runner knows (spec/lib/secrets.ts) appears in a task log or in an artifact's content:
 * a task that prints its environment (queue/credentials/not-exposed) puts whatever the worker gave it
 * into its log, so this also judges what task code could see.
 */
export const notExposed: Checker = (obs) => {
  const secrets = knownSecrets(obs);
  const tasks = Object.entries(obs.tasks).filter(([, t]) => typeof t.log === 'string');
  if (secrets.length === 0 || tasks.length === 0) return null;
  const problems: string[] = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    if (typeof t.log === 'string') problems.push(...secretsIn(t.log, secrets, `the log of ${id}`));
    for (const a of t.artifacts) {
      const text = a.body?.toString('utf8');
      // The last run's backing log is t.log, judged above.
      if (text !== undefined && text !== t.log)
        problems.push(...secretsIn(text, secrets, `artifact ${a.name} of ${id}/${a.runId}`));
    }
  }
  return verdict(problems, `none of ${secrets.length} known secret(s) appears in a task log or artifact`);
};

/** A proxied call may not resolve the run: only the worker's own resolution counts. */
export const proxyAuthorizedScopes: Checker = (obs, c) => {
  if (!c.task?.payload?.features?.taskclusterProxy) return null;
  const problems: string[] = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    for (const run of t.status?.runs ?? []) {
      const ok = obs.trace.filter(
        (e) => e.taskId === id && e.runId === run.runId && isOk(e) && e.route.startsWith('report'),
      );
      if (ok.length > 1 && new Set(ok.map((e) => e.route)).size > 1)
        problems.push(`${id}/${run.runId} was resolved by more than one kind of call`);
    }
  }
  const proxied = obs.trace.filter((e) => e.route.startsWith('report') && e.status === 403);
  if (proxied.length === 0 && problems.length === 0) return null;
  return verdict(problems, 'proxied calls could not resolve the run');
};
