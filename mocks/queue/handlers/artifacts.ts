// Artifact endpoints: createArtifact, finishArtifact, getArtifact/getLatestArtifact (303 / 424),
// artifact/latestArtifact (content descriptors), listArtifacts/listLatestArtifacts, artifactInfo.
import { PAGINATION_QUERY as PAGINATION } from '../../pagination.ts';
import { json, type Call, type Route } from '../../router.ts';

const PREFIX = '/api/queue/v1/task/<taskId>';

/** The run: from the URL, or for the "latest" routes after authorizing the name (as upstream does). */
function runIdOf(call: Call, latest: boolean, names?: string[]): number {
  if (latest && names) call.authorize({ AllOf: names.map((n) => `queue:get-artifact:${n}`) });
  const runId = latest ? call.state.model.latestRunId(call.params.taskId) : Number(call.params.runId);
  call.note({ runId });
  return runId;
}

function follow(call: Call, latest: boolean) {
  const { params, state, authorize } = call;
  const runId = runIdOf(call, latest, [params.name]);
  return state.model.followLinks(params.taskId, runId, params.name, (names) =>
    authorize({ AllOf: names.map((n) => `queue:get-artifact:${n}`) }),
  );
}

function getArtifact(call: Call, latest: boolean): Response {
  const ans = call.state.model.artifactAnswer(follow(call, latest));
  const headers = { 'x-taskcluster-artifact-storage-type': ans.storageType };
  if (ans.kind === 'error') return json({ reason: ans.reason, message: ans.message }, 424, headers);
  return json({ storageType: ans.storageType, url: ans.url }, 303, { ...headers, location: ans.url });
}

function artifactContent(call: Call, latest: boolean): Response {
  return json(call.state.model.artifactContent(follow(call, latest)));
}

function listArtifacts(call: Call, latest: boolean): Response {
  const { params, state, query } = call;
  const runId = runIdOf(call, latest);
  const all = state.model.listArtifacts(params.taskId, runId);
  const limit = Math.min(Math.max(Number(query.limit ?? 1000) || 1000, 1), 1000);
  const offset = query.continuationToken
    ? Number(Buffer.from(query.continuationToken, 'base64url').toString()) || 0
    : 0;
  const page = all.slice(offset, offset + limit);
  const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
  return json({ artifacts: page, ...(next ? { continuationToken: next } : {}) });
}

function artifactInfo(call: Call, latest: boolean): Response {
  const { params, state } = call;
  const runId = runIdOf(call, latest);
  return json(state.model.artifactInfo(params.taskId, runId, params.name));
}

export const artifactRoutes: Route[] = [
  {
    name: 'createArtifact',
    service: 'queue',
    method: 'POST',
    path: `${PREFIX}/runs/<runId>/artifacts/<name*>`,
    input: 'queue/v1/post-artifact-request',
    // Authorized before the task and run are looked up, so a missing run answers 403 to run credentials.
    scopes: (p) => `queue:create-artifact:${p.taskId}/${p.runId}`,
    handle({ params, body, state }) {
      return json(state.model.createArtifact(params.taskId, Number(params.runId), params.name, body));
    },
  },
  {
    name: 'finishArtifact',
    service: 'queue',
    method: 'PUT',
    path: `${PREFIX}/runs/<runId>/artifacts/<name*>`,
    input: 'queue/v1/finish-artifact-request',
    scopes: (p) => `queue:create-artifact:${p.taskId}/${p.runId}`,
    handle({ params, body, state }) {
      const runId = Number(params.runId);
      state.model.finishArtifact(params.taskId, runId, params.name, body.uploadId);
      return new Response(null, { status: 204 });
    },
  },
  {
    name: 'listArtifacts',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/runs/<runId>/artifacts`,
    scopes: (p) => `queue:list-artifacts:${p.taskId}:${p.runId}`,
    query: PAGINATION,
    handle: (c) => listArtifacts(c, false),
  },
  {
    name: 'listLatestArtifacts',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/artifacts`,
    scopes: (p) => `queue:list-artifacts:${p.taskId}`,
    query: PAGINATION,
    handle: (c) => listArtifacts(c, true),
  },
  {
    name: 'getArtifact',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/runs/<runId>/artifacts/<name*>`,
    handle: (c) => getArtifact(c, false),
  },
  {
    name: 'getLatestArtifact',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/artifacts/<name*>`,
    handle: (c) => getArtifact(c, true),
  },
  {
    name: 'artifact',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/runs/<runId>/artifact-content/<name*>`,
    handle: (c) => artifactContent(c, false),
  },
  {
    name: 'latestArtifact',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/artifact-content/<name*>`,
    handle: (c) => artifactContent(c, true),
  },
  {
    name: 'artifactInfo',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/runs/<runId>/artifact-info/<name*>`,
    scopes: (p) => `queue:list-artifacts:${p.taskId}:${p.runId}`,
    handle: (c) => artifactInfo(c, false),
  },
  {
    name: 'latestArtifactInfo',
    service: 'queue',
    method: 'GET',
    path: `${PREFIX}/artifact-info/<name*>`,
    scopes: (p) => `queue:list-artifacts:${p.taskId}`,
    handle: (c) => artifactInfo(c, true),
  },
];
