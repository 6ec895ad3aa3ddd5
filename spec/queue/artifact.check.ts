// Checkers for queue.artifact.* and the artifact-ordering statement of queue.resolve.
import { artifactName, body, calls, isOk, isResolve, ms, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Observation, TraceEntry } from '../types.ts';

const header = (e: TraceEntry, name: string): string | undefined => {
  const h = e.request.headers ?? {};
  const k = Object.keys(h).find((x) => x.toLowerCase() === name);
  return k === undefined ? undefined : h[k];
};

const creates = (obs: Observation): TraceEntry[] => calls(obs, 'createArtifact');

export const afterArtifacts: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const r of obs.trace.filter(
    (e) => (e.route === 'reportCompleted' || e.route === 'reportFailed') && isOk(e) && e.taskId !== undefined,
  )) {
    const run = runCalls(obs, r.taskId!, r.runId!);
    const made = run.filter((e) => e.route === 'createArtifact' && isOk(e));
    judged += made.length;
    for (const e of made) {
      if (e.seq > r.seq) problems.push(`#${e.seq} createArtifact ${artifactName(e)} after ${r.route}`);
      if (body(e).storageType === 'object') {
        const fin = run.find((x) => x.route === 'finishArtifact' && artifactName(x) === artifactName(e) && isOk(x));
        if (!fin || fin.seq > r.seq) problems.push(`object artifact ${artifactName(e)} not finished before ${r.route}`);
      }
    }
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} artifact(s) created (and finished) before the run was resolved`);
};

/** When a run ended by completed/failed before this call, the Queue refuses new artifacts. */
export const runStateRule: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of creates(obs)) {
    const end = runCalls(obs, e.taskId!, e.runId!).find((x) => isResolve(x) && isOk(x) && x.seq < e.seq);
    if (!end) continue;
    judged++;
    const withinException = end.route === 'reportException' && ms(e.time) - ms(end.time) < 25 * 60_000;
    if (withinException && e.status === 409) problems.push(`#${e.seq} refused within 25 min of an exception`);
    if (!withinException && e.status !== 409) problems.push(`#${e.seq} accepted (${e.status}) after ${end.route}`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} post-resolution createArtifact call(s) answered by the run-state rule`);
};

export const exceptionThenUpload: Checker = (obs) => {
  const exc = calls(obs, 'reportException').filter((e) => isOk(e) && body(e).reason === 'internal-error');
  if (exc.length === 0) return null;
  const problems: string[] = [];
  for (const e of exc) {
    const logs = runCalls(obs, e.taskId!, e.runId!).filter(
      (x) => x.route === 'createArtifact' && artifactName(x).startsWith('public/logs/'),
    );
    if (logs.some((x) => x.seq < e.seq)) problems.push(`${e.taskId}/${e.runId} uploaded logs before reportException`);
  }
  return verdict(problems, 'internal errors were reported before the logs were uploaded');
};

export const unknownRunRejected: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of creates(obs)) {
    const t = obs.tasks[e.taskId!];
    const run = t?.status?.runs?.find((r: any) => r.runId === e.runId);
    if (t && run?.workerId) continue;
    if (!t && e.taskId && Object.keys(obs.tasks).length === 0) continue;
    judged++;
    if (e.status !== 400)
      problems.push(`#${e.seq} createArtifact for an unknown or unclaimed run answered ${e.status}`);
  }
  if (judged === 0) return null;
  return verdict(problems, 'createArtifact for unknown or unclaimed runs answered 400');
};

export const expiresInRange: Checker = (obs) => {
  const cs = creates(obs).filter((e) => body(e).expires);
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const exp = ms(body(e).expires);
    const taskExp = ms(obs.tasks[e.taskId!]?.definition?.expires);
    if (!Number.isNaN(taskExp) && exp > taskExp + 1000)
      problems.push(`${artifactName(e)} expires ${body(e).expires}, after the task`);
    if (exp < ms(e.time) - 15 * 60_000) problems.push(`${artifactName(e)} expires in the past`);
  }
  return verdict(problems, `${cs.length} artifact expiry(ies) within [now - 15 min, task.expires]`);
};

export const printableName: Checker = (obs) => {
  const cs = creates(obs);
  if (cs.length === 0) return null;
  const problems = cs
    .filter((e) => !/^[\x20-\x7e]+$/.test(artifactName(e)))
    .map((e) => `#${e.seq} artifact name ${JSON.stringify(artifactName(e))} is not printable ASCII`);
  return verdict(problems, `${cs.length} artifact name(s) printable ASCII`);
};

export const preferObject: Checker = (obs) => {
  const cs = creates(obs).filter((e) => ['s3', 'object'].includes(body(e).storageType));
  if (cs.length === 0) return null;
  const problems = cs.filter((e) => body(e).storageType === 's3').map((e) => `${artifactName(e)} uses deprecated s3`);
  return verdict(problems, `${cs.length} data artifact(s) use object storage`);
};

export const objectResponseUnchanged: Checker = (obs) => {
  const objs = creates(obs).filter((e) => isOk(e) && body(e).storageType === 'object');
  if (objs.length === 0) return null;
  const problems: string[] = [];
  for (const e of objs) {
    const r = e.response.body as any;
    const ups = obs.trace.filter(
      (x) =>
        x.service === 'object' &&
        (x.route === 'createUpload' || x.route === 'finishUpload') &&
        x.path.includes(encodeURIComponent(r?.name ?? '\0').replace(/%2F/g, '/')),
    );
    const ups2 = ups.length
      ? ups
      : obs.trace.filter((x) => x.service === 'object' && decodeURIComponent(x.path).includes(r?.name ?? '\0'));
    if (ups2.length === 0)
      problems.push(`${artifactName(e)}: no object-service call under the returned name ${r?.name}`);
    for (const x of ups2) {
      const b = body(x);
      if (b.uploadId !== undefined && b.uploadId !== r.uploadId) problems.push(`#${x.seq} uploadId differs`);
      if (b.projectId !== undefined && b.projectId !== r.projectId) problems.push(`#${x.seq} projectId differs`);
      if (x.route === 'createUpload' && b.expires !== undefined && ms(b.expires) !== ms(r.expires))
        problems.push(`#${x.seq} expires differs`);
      if (r.credentials?.clientId && x.clientId !== r.credentials.clientId)
        problems.push(`#${x.seq} not signed with the upload credentials`);
    }
  }
  return verdict(
    problems,
    `${objs.length} object upload(s) used the Queue's name, projectId, uploadId and credentials`,
  );
};

export const finishUploadFirst: Checker = (obs) => {
  const fins = calls(obs, 'finishArtifact');
  if (fins.length === 0) return null;
  const problems: string[] = [];
  for (const f of fins) {
    const uploadId = body(f).uploadId;
    const done = obs.trace.find(
      (x) =>
        x.service === 'object' &&
        x.route === 'finishUpload' &&
        body(x).uploadId === uploadId &&
        x.seq < f.seq &&
        isOk(x),
    );
    if (!done) problems.push(`#${f.seq} finishArtifact ${artifactName(f)} before object.finishUpload`);
  }
  return verdict(problems, `${fins.length} finishArtifact call(s) came after object.finishUpload`);
};

export const finishArtifactStatus: Checker = (obs) => {
  const fins = calls(obs, 'finishArtifact');
  if (fins.length === 0) return null;
  const problems: string[] = [];
  for (const f of fins) {
    const made = runCalls(obs, f.taskId!, f.runId!).find(
      (x) => x.route === 'createArtifact' && isOk(x) && artifactName(x) === artifactName(f) && x.seq < f.seq,
    );
    if (!made) {
      if (f.status !== 404) problems.push(`#${f.seq} finishArtifact of a missing artifact answered ${f.status}`);
      continue;
    }
    if (body(made).storageType !== 'object' && f.status !== 400)
      problems.push(`#${f.seq} finishArtifact of a ${body(made).storageType} artifact answered ${f.status}`);
    if (
      body(made).storageType === 'object' &&
      (made.response.body as any)?.uploadId !== body(f).uploadId &&
      f.status !== 400
    )
      problems.push(`#${f.seq} finishArtifact with a foreign uploadId answered ${f.status}`);
  }
  return verdict(problems, `${fins.length} finishArtifact call(s) answered as the Queue does`);
};

const READS = ['getArtifact', 'getLatestArtifact', 'artifact', 'latestArtifact', 'artifactInfo', 'latestArtifactInfo'];

export const objectInvisibleUntilFinished: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const e of obs.trace.filter((x) => READS.includes(x.route))) {
    const name =
      artifactName(e) ||
      decodeURIComponent(e.path.split('/artifact-content/')[1] ?? e.path.split('/artifact-info/')[1] ?? '');
    const made = creates(obs).find(
      (x) => isOk(x) && x.taskId === e.taskId && artifactName(x) === name && x.seq < e.seq,
    );
    if (!made || body(made).storageType !== 'object') continue;
    const fin = calls(obs, 'finishArtifact').find(
      (x) => isOk(x) && x.taskId === e.taskId && artifactName(x) === name && x.seq < e.seq,
    );
    if (fin) continue;
    judged++;
    if (e.status !== 404) problems.push(`#${e.seq} ${e.route} of unfinished ${name} answered ${e.status}`);
  }
  if (judged === 0) return null;
  return verdict(problems, 'unfinished object artifacts stayed invisible');
};

export const s3PutHeaders: Checker = (obs) => {
  const s3 = creates(obs).filter((e) => isOk(e) && body(e).storageType === 's3');
  if (s3.length === 0) return null;
  const problems: string[] = [];
  for (const e of s3) {
    const putUrl: string = (e.response.body as any)?.putUrl ?? '';
    const path = putUrl ? new URL(putUrl).pathname : '\0';
    const puts = obs.trace.filter((x) => x.route === 'storePut' && x.path.split('?')[0] === path);
    if (puts.length === 0) {
      problems.push(`${artifactName(e)}: no PUT to its putUrl`);
      continue;
    }
    for (const p of puts) {
      if (header(p, 'content-length') === undefined) problems.push(`${artifactName(e)}: PUT without Content-Length`);
      if (header(p, 'content-type') !== body(e).contentType)
        problems.push(`${artifactName(e)}: PUT Content-Type ${header(p, 'content-type')} != ${body(e).contentType}`);
    }
  }
  return verdict(problems, `${s3.length} s3 upload(s) sent Content-Length and the requested Content-Type`);
};

const ALLOWED: Record<string, { required: string[]; optional: string[] }> = {
  object: { required: ['storageType', 'expires', 'contentType'], optional: ['contentLength'] },
  s3: { required: ['storageType', 'expires', 'contentType'], optional: ['contentLength'] },
  reference: { required: ['storageType', 'expires', 'url', 'contentType'], optional: [] },
  link: { required: ['storageType', 'expires', 'artifact'], optional: ['contentType'] },
  error: { required: ['storageType', 'expires', 'reason', 'message'], optional: [] },
};

export const requestSchema: Checker = (obs) => {
  const cs = creates(obs);
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const e of cs) {
    const b = body(e);
    const rule = ALLOWED[b.storageType];
    if (!rule) {
      problems.push(`${artifactName(e)}: unknown storageType ${b.storageType}`);
      continue;
    }
    for (const k of rule.required)
      if (b[k] === undefined) problems.push(`${artifactName(e)}: ${b.storageType} lacks ${k}`);
    for (const k of Object.keys(b))
      if (!rule.required.includes(k) && !rule.optional.includes(k))
        problems.push(`${artifactName(e)}: ${b.storageType} request carries ${k}`);
  }
  return verdict(problems, `${cs.length} createArtifact request(s) kept to their storage type's schema`);
};

const ERROR_REASONS = [
  'file-missing-on-worker',
  'invalid-resource-on-worker',
  'too-large-file-on-worker',
  'file-not-readable-on-worker',
];

export const errorArtifact: Checker = (obs) => {
  const errs = creates(obs).filter((e) => body(e).storageType === 'error');
  if (errs.length === 0) return null;
  const problems: string[] = [];
  for (const e of errs) {
    const b = body(e);
    if (!ERROR_REASONS.includes(b.reason)) problems.push(`${artifactName(e)}: reason ${b.reason}`);
    if (typeof b.message !== 'string' || b.message.length > 4096)
      problems.push(`${artifactName(e)}: message missing or over 4096 chars`);
  }
  return verdict(problems, `${errs.length} error artifact(s) with a known reason and a short message`);
};

export const recreateRules: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  const cs = creates(obs);
  for (let i = 0; i < cs.length; i++) {
    const e = cs[i];
    const prev = cs
      .slice(0, i)
      .filter((x) => isOk(x) && x.taskId === e.taskId && x.runId === e.runId && artifactName(x) === artifactName(e));
    const p = prev[prev.length - 1];
    if (!p) continue;
    judged++;
    const a = body(p);
    const b = body(e);
    const typeOk = a.storageType === b.storageType || (a.storageType === 'reference' && b.storageType === 'link');
    const ctOk = b.storageType === 'link' || a.contentType === b.contentType;
    const expOk = ms(b.expires) >= ms(a.expires);
    const detailsOk =
      a.storageType !== b.storageType ||
      b.storageType === 'reference' ||
      ['url', 'artifact', 'reason', 'message'].every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
    const compatible = typeOk && ctOk && expOk && detailsOk;
    if (b.storageType === 'object') continue; // judged by queue.artifact.no-object-repeat
    if (compatible && e.status === 409)
      problems.push(`#${e.seq} compatible re-create of ${artifactName(e)} answered 409`);
    if (!compatible && e.status !== 409)
      problems.push(`#${e.seq} incompatible re-create of ${artifactName(e)} answered ${e.status}`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} re-created artifact(s) answered by the compatibility rules`);
};

export const noObjectRepeat: Checker = (obs) => {
  const objs = creates(obs).filter((e) => body(e).storageType === 'object' && isOk(e));
  if (objs.length === 0) return null;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const e of objs) {
    const k = `${e.taskId}/${e.runId}/${artifactName(e)}`;
    if (seen.has(k)) problems.push(`object artifact ${k} created twice`);
    seen.add(k);
  }
  return verdict(problems, `${objs.length} object artifact(s) each created once`);
};

export const getArtifactAnswers: Checker = (obs) => {
  const gets = obs.trace.filter((e) => e.route === 'getArtifact' || e.route === 'getLatestArtifact');
  const problems: string[] = [];
  let judged = 0;
  for (const g of gets) {
    const name = artifactName(g);
    const made = creates(obs).filter(
      (x) => isOk(x) && x.taskId === g.taskId && artifactName(x) === name && x.seq < g.seq,
    );
    const m = made[made.length - 1];
    judged++;
    if (!m) {
      if (g.status !== 404) problems.push(`#${g.seq} missing ${name} answered ${g.status}`);
      continue;
    }
    const t = body(m).storageType;
    if (t === 'error' && g.status !== 424)
      problems.push(`#${g.seq} error artifact ${name} answered ${g.status}, not 424`);
    if (['reference', 's3'].includes(t) && g.status !== 303)
      problems.push(`#${g.seq} ${t} artifact ${name} answered ${g.status}, not 303`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} artifact read(s) answered as the Queue does`);
};

export const linkFollowed: Checker = (obs) => {
  const links = creates(obs).filter((e) => isOk(e) && body(e).storageType === 'link');
  const gets = obs.trace.filter(
    (g) =>
      (g.route === 'getArtifact' || g.route === 'getLatestArtifact') &&
      links.some((l) => l.taskId === g.taskId && artifactName(l) === artifactName(g)),
  );
  if (gets.length === 0) return null;
  const problems = gets
    .filter((g) => ![303, 400, 404, 424].includes(g.status))
    .map((g) => `#${g.seq} link ${artifactName(g)} answered ${g.status}`);
  return verdict(problems, `${gets.length} link read(s) were followed`);
};
