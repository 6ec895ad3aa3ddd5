// Checkers for artifacts.*: payload artifacts as the worker created them on the Queue.
import { artifactName, body, claims, isOk, isResolve, ms, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Observation, ObservedArtifact, TraceEntry } from '../types.ts';

const RESERVED = [
  'public/logs/live_backing.log',
  'public/logs/live.log',
  'public/logs/certified.log',
  'public/chainOfTrust.json.asc',
  'public/chain-of-trust.json',
  'public/chain-of-trust.json.sig',
  'public/superseded-by.json',
];

interface Declared {
  key: string;
  entry: any;
  name: string;
  made: TraceEntry[];
  taskExpires?: string;
}

/** Payload artifact entries of runs that got past validation, with the createArtifact calls under their name. */
function declared(obs: Observation): Declared[] {
  const out: Declared[] = [];
  for (const c of claims(obs)) {
    const t = obs.tasks[c.taskId];
    const payload = t?.definition?.payload ?? c.task?.payload ?? {};
    const cs = runCalls(obs, c.taskId, c.runId);
    const r = cs.find((e) => isResolve(e) && isOk(e));
    if (!r || (r.route === 'reportException' && body(r).reason !== 'intermittent-task')) continue;
    const made = cs.filter((e) => e.route === 'createArtifact' && isOk(e));
    for (const entry of (payload.artifacts ?? []) as any[]) {
      const name = String(entry.name ?? entry.path ?? '').replace(/\\/g, '/');
      if (!name || RESERVED.includes(name)) continue;
      const under = (e: TraceEntry) =>
        entry.type === 'directory'
          ? artifactName(e) === name || artifactName(e).startsWith(`${name}/`)
          : artifactName(e) === name;
      out.push({
        key: `${c.taskId}/${c.runId}`,
        entry,
        name,
        made: made.filter(under),
        taskExpires: t?.definition?.expires,
      });
    }
  }
  return out;
}

export const fileUploaded: Checker = (obs) => {
  const ds = declared(obs).filter((d) => d.entry.type === 'file');
  if (ds.length === 0) return null;
  const problems = ds.filter((d) => d.made.length === 0).map((d) => `${d.key}: nothing created for ${d.name}`);
  return verdict(problems, `${ds.length} declared file artifact(s) created (as data or error)`);
};

export const explicitContentType: Checker = (obs) => {
  const ds = declared(obs).filter((d) => d.entry.contentType);
  if (ds.length === 0) return null;
  const problems: string[] = [];
  for (const d of ds)
    for (const e of d.made.filter((x) => body(x).storageType !== 'error'))
      if (body(e).contentType !== d.entry.contentType)
        problems.push(`${artifactName(e)}: content type ${body(e).contentType}, payload says ${d.entry.contentType}`);
  return verdict(problems, 'payload content types were used');
};

export const defaultExpiry: Checker = (obs) => {
  const ds = declared(obs).filter((d) => !d.entry.expires && d.taskExpires);
  if (ds.length === 0) return null;
  const problems: string[] = [];
  for (const d of ds)
    for (const e of d.made)
      if (Math.abs(ms(body(e).expires) - ms(d.taskExpires)) > 1000)
        problems.push(`${artifactName(e)}: expires ${body(e).expires}, task ${d.taskExpires}`);
  return verdict(problems, 'artifacts without expires expire with the task');
};

export const explicitExpiry: Checker = (obs) => {
  const ds = declared(obs).filter((d) => d.entry.expires);
  if (ds.length === 0) return null;
  const problems: string[] = [];
  for (const d of ds)
    for (const e of d.made)
      if (Math.abs(ms(body(e).expires) - ms(d.entry.expires)) > 1000)
        problems.push(`${artifactName(e)}: expires ${body(e).expires}, payload says ${d.entry.expires}`);
  return verdict(problems, 'payload artifact expiries were used');
};

export const missingIsError: Checker = (obs) => {
  const ds = declared(obs).filter((d) => d.made.some((e) => body(e).storageType === 'error'));
  if (ds.length === 0) return null;
  const problems: string[] = [];
  for (const d of ds) {
    const t = obs.tasks[d.key.split('/')[0]];
    const runs: any[] = t?.status?.runs ?? [];
    const last = runs[runs.length - 1];
    if (!d.entry.optional && last && last.state !== 'failed')
      problems.push(`${d.key}: error artifact ${d.name} but the run ended ${last.state}`);
  }
  return verdict(problems, 'runs with a non-optional error artifact were failed');
};

const COMPRESSED = [
  '.7z',
  '.br',
  '.bz2',
  '.gif',
  '.gz',
  '.jpeg',
  '.jpg',
  '.lz4',
  '.png',
  '.tbz',
  '.tgz',
  '.webp',
  '.whl',
  '.woff',
  '.woff2',
  '.xz',
  '.zip',
  '.zst',
];
const TEXTUAL: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.log': 'text/plain',
};
const ext = (name: string): string => {
  const m = /(\.[A-Za-z0-9]+)$/.exec(name);
  return m ? m[1].toLowerCase() : '';
};

/** Data artifacts the payload declared, as stored: [declared entry, stored artifact]. */
function stored(obs: Observation): Array<{ d: Declared; a: ObservedArtifact }> {
  const out: Array<{ d: Declared; a: ObservedArtifact }> = [];
  for (const d of declared(obs)) {
    const [taskId, runId] = d.key.split('/');
    for (const e of d.made.filter((x) => body(x).storageType !== 'error')) {
      const a = obs.tasks[taskId]?.artifacts.find((x) => x.name === artifactName(e) && x.runId === Number(runId));
      if (a) out.push({ d, a });
    }
  }
  return out;
}

export const gzipDefault: Checker = (obs) => {
  const xs = stored(obs).filter(
    ({ d, a }) => !d.entry.contentEncoding && TEXTUAL[ext(a.name)] && a.storageType !== 'object',
  );
  if (xs.length === 0) return null;
  const problems = xs
    .filter(({ a }) => a.contentEncoding !== 'gzip')
    .map(({ a }) => `${a.name}: stored ${a.contentEncoding ?? 'without encoding'}, not gzip`);
  return verdict(problems, `${xs.length} text artifact(s) stored gzip-encoded`);
};

export const identityCompressed: Checker = (obs) => {
  const xs = stored(obs).filter(({ d, a }) => !d.entry.contentEncoding && COMPRESSED.includes(ext(a.name)));
  if (xs.length === 0) return null;
  const problems = xs
    .filter(({ a }) => a.contentEncoding === 'gzip')
    .map(({ a }) => `${a.name}: already compressed, yet gzipped again`);
  return verdict(problems, `${xs.length} compressed artifact(s) stored without another gzip`);
};

export const guessedContentType: Checker = (obs) => {
  const xs = stored(obs).filter(({ d, a }) => !d.entry.contentType && TEXTUAL[ext(a.name)]);
  if (xs.length === 0) return null;
  const problems = xs
    .filter(({ a }) => a.contentType !== TEXTUAL[ext(a.name)])
    .map(({ a }) => `${a.name}: content type ${a.contentType}, expected ${TEXTUAL[ext(a.name)]} from its extension`);
  return verdict(problems, `${xs.length} artifact content type(s) guessed from the extension`);
};
