// Checkers for logs.backing.* and logs.live.*: the log artifacts every run publishes.
import {
  artifactName,
  body,
  claims,
  fail,
  isOk,
  isResolve,
  mainTask,
  ms,
  pass,
  runCalls,
  verdict,
} from '../lib/observe.ts';
import type { Checker, Observation, TraceEntry } from '../types.ts';

const backingName = (p: any): string => p?.logs?.backing ?? 'public/logs/live_backing.log';
const liveName = (p: any): string => p?.logs?.live ?? 'public/logs/live.log';

interface RunLogs {
  key: string;
  payload: any;
  expires: string | undefined;
  resolve?: TraceEntry;
  backing: TraceEntry[];
  live: TraceEntry[];
}

/** For each claimed run the worker resolved itself: its log-artifact calls. */
function runLogs(obs: Observation): RunLogs[] {
  const out: RunLogs[] = [];
  for (const c of claims(obs)) {
    const t = obs.tasks[c.taskId];
    const payload = t?.definition?.payload ?? c.task?.payload ?? {};
    const cs = runCalls(obs, c.taskId, c.runId);
    const made = cs.filter((e) => e.route === 'createArtifact' && isOk(e));
    out.push({
      key: `${c.taskId}/${c.runId}`,
      payload,
      expires: t?.definition?.expires ?? c.task?.expires,
      resolve: cs.find((e) => isResolve(e) && isOk(e)),
      backing: made.filter((e) => artifactName(e) === backingName(payload)),
      live: made.filter((e) => artifactName(e) === liveName(payload)),
    });
  }
  return out.filter((r) => r.resolve !== undefined);
}

const backingOn = (r: RunLogs): boolean => r.payload?.features?.backingLog !== false;
const liveOn = (r: RunLogs): boolean => r.payload?.features?.liveLog !== false;

export const backingPublished: Checker = (obs) => {
  const rs = runLogs(obs).filter(backingOn);
  if (rs.length === 0) return null;
  const problems = rs.filter((r) => r.backing.length === 0).map((r) => `${r.key}: no ${backingName(r.payload)}`);
  return verdict(problems, `${rs.length} run(s) published the backing log`);
};

export const backingContentType: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => r.backing.length > 0);
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const r of rs)
    for (const e of r.backing)
      if (body(e).contentType !== 'text/plain; charset=utf-8')
        problems.push(`${r.key}: backing log content type ${body(e).contentType}`);
  return verdict(problems, 'backing logs are text/plain; charset=utf-8');
};

export const backingGzip: Checker = (obs) => {
  const found: Array<[string, string | undefined]> = [];
  for (const [id, t] of Object.entries(obs.tasks)) {
    const name = backingName(t.definition?.payload);
    for (const a of t.artifacts) if (a.name === name && a.storageType !== 'error') found.push([id, a.contentEncoding]);
  }
  if (found.length === 0) return null;
  const problems = found
    .filter(([, enc]) => enc !== 'gzip')
    .map(([id, enc]) => `${id}: backing log encoding ${enc ?? 'none'}`);
  return verdict(problems, `${found.length} backing log(s) stored gzip-encoded`);
};

export const backingExpires: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => r.backing.length > 0 && r.expires);
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const r of rs)
    for (const e of r.backing)
      if (Math.abs(ms(body(e).expires) - ms(r.expires)) > 1000)
        problems.push(`${r.key}: backing log expires ${body(e).expires}, task ${r.expires}`);
  return verdict(problems, 'backing logs expire with their task');
};

export const backingBeforeResolve: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => r.backing.length > 0);
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => r.backing[0].seq > r.resolve!.seq && r.resolve!.route !== 'reportException')
    .map((r) => `${r.key}: backing log created after ${r.resolve!.route}`);
  return verdict(problems, 'backing logs were uploaded before the run was resolved');
};

export const liveFinal: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => r.live.length > 0 && backingOn(r));
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const r of rs) {
    const last = body(r.live[r.live.length - 1]);
    if (obs.profile.generation === 'current') {
      if (last.storageType !== 'link' || last.artifact !== backingName(r.payload))
        problems.push(
          `${r.key}: final live log is ${last.storageType} to ${last.artifact ?? last.url}, not a link to the backing log`,
        );
    } else if (last.storageType !== 'reference' || !String(last.url).endsWith(`/artifacts/${backingName(r.payload)}`)) {
      problems.push(
        `${r.key}: final live log is ${last.storageType} to ${last.url}, not a reference to the backing log`,
      );
    }
  }
  return verdict(problems, `${rs.length} live log(s) finally point at the backing log`);
};

export const liveDisabled: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => !liveOn(r));
  if (rs.length === 0) return null;
  const problems = rs.filter((r) => r.live.length > 0).map((r) => `${r.key}: live log published although disabled`);
  return verdict(problems, 'no live log where the payload disabled it');
};

export const backingDisabled: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => !backingOn(r));
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => r.backing.length > 0)
    .map((r) => `${r.key}: backing log published although disabled`);
  return verdict(problems, 'no backing log where the payload disabled it');
};

export const customNames: Checker = (obs) => {
  const rs = runLogs(obs).filter((r) => r.payload?.logs?.live || r.payload?.logs?.backing);
  if (rs.length === 0) return null;
  const problems: string[] = [];
  for (const r of rs) {
    if (r.payload.logs.backing && backingOn(r) && r.backing.length === 0)
      problems.push(`${r.key}: no ${r.payload.logs.backing}`);
    if (r.payload.logs.live && liveOn(r) && r.live.length === 0) problems.push(`${r.key}: no ${r.payload.logs.live}`);
  }
  return verdict(problems, 'custom log names were used');
};

/** setup.liveLog cases: the marker arrived through the live log URL before the main task was resolved. */
export const liveStreams: Checker = (obs, c) => {
  const until: string | undefined = c.setup?.liveLog?.until;
  if (!until) return null;
  const l = obs.liveLog;
  if (!l) return fail('the runner recorded no live log reading');
  if (!l.url) return fail(l.error ?? 'the worker created no reference live log artifact');
  if (!l.seenAt)
    return fail(
      `${JSON.stringify(until)} did not arrive through ${l.url} while the task ran${l.error ? ` (${l.error})` : ''}`,
    );
  const id = mainTask(obs, c)?.[0];
  const resolved = obs.trace.find((e) => e.taskId === id && isResolve(e) && isOk(e));
  if (resolved && ms(resolved.time) < ms(l.seenAt))
    return fail(`${JSON.stringify(until)} arrived at ${l.seenAt}, after ${resolved.route} at ${resolved.time}`);
  return pass(`${JSON.stringify(until)} streamed through ${l.url} at ${l.seenAt}, before the run was resolved`);
};
