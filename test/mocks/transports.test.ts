// One handler set, two transports: the same calls through msw in-process and through the loopback
// server produce the same trace (route, client, ids, status, bodies up to host-specific values).
import slugid from 'slugid';
import taskcluster from 'taskcluster-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MockServices,
  startInProcessMockServices,
  startMockServices,
  type TraceEntry,
} from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

const T = Date.parse('2031-05-01T12:00:00.000Z');
const Q = 'prov/wt-transport';
const taskId = 'fixedTasQ0aaaaaaaaaaaA';
const opened: MockServices[] = [];
afterAll(async () => {
  for (const m of opened) await m.close();
});

async function scenario(m: MockServices): Promise<void> {
  const admin = m.admin;
  await call(m.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: admin, body: taskBody(Q, T) });
  const claim = await call(m.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: admin,
    body: { workerGroup: 'g', workerId: 'w', tasks: 2 },
  });
  const creds = claim.body.tasks[0].credentials;
  const re = await call(m.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/reclaim`, { creds });
  const expires = new Date(T + 600_000).toISOString();
  const s3 = await call(m.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Flog.txt`, {
    creds: re.body.credentials,
    body: { storageType: 's3', contentType: 'text/plain', expires },
  });
  const put = await fetch(s3.body.putUrl, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
  expect(put.status).toBe(200);
  await call(m.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/completed`, { creds: re.body.credentials });
  await call(m.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/failed`, { creds: re.body.credentials });
  await call(m.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/runs/0/artifacts`, { creds: admin });
}

function shape(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v;
  if (Array.isArray(v)) return v.map(shape);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
}

const normalise = (entries: TraceEntry[]) =>
  entries.map((e) => ({
    service: e.service,
    method: e.method,
    path: e.path.replace(/^\/store\/.*/, '/store/…'),
    route: e.route,
    clientId: e.clientId,
    taskId: e.taskId,
    runId: e.runId,
    status: e.status,
    requestBody: e.request.body,
    response: shape(e.response.body),
    states: JSON.stringify(e.response.body).match(/"(state|reasonResolved)":"[a-z-]+"/g),
  }));

describe('transports', () => {
  it('in-process (msw setupServer) and loopback give the same trace for the same calls', async () => {
    const loop = await startMockServices({ now: () => T, longPollMs: 10 });
    opened.push(loop);
    await scenario(loop);
    const inproc = startInProcessMockServices({ now: () => T, longPollMs: 10, origin: 'http://taskcluster.mock' });
    opened.push(inproc);
    await scenario(inproc);
    // The in-process transport leaves other origins alone: the loopback mock still answers.
    expect((await call(loop.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds: loop.admin })).status).toBe(
      200,
    );
    const a = normalise(loop.trace.entries().slice(0, 8));
    const b = normalise(inproc.trace.entries());
    expect(b).toHaveLength(8);
    expect(b).toEqual(a);
    expect(a.map((e) => `${e.route} ${e.status}`)).toEqual([
      'createTask 200',
      'claimWork 200',
      'reclaimTask 200',
      'createArtifact 200',
      'storePut 200',
      'reportCompleted 200',
      'reportFailed 409',
      'listArtifacts 200',
    ]);
  });

  it('in-process serves node:http clients too: taskcluster-client against a made-up origin', async () => {
    const m = startInProcessMockServices({ origin: 'http://queue.in-process.test', longPollMs: 10 });
    opened.push(m);
    const queue = new taskcluster.Queue({ rootUrl: m.rootUrl, credentials: m.admin, retries: 0 });
    const id = slugid.nice();
    await queue.createTask(id, taskBody('prov/wt-inproc'));
    expect((await queue.status(id)).status.state).toBe('pending');
    await expect(queue.status(slugid.nice())).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    // An unknown path on the origin is a JSON 404, never a real network request.
    const r = await fetch(`${m.rootUrl}/api/queue/v1/nothing-here`);
    expect(r.status).toBe(404);
    expect(m.trace.entries().map((e) => e.route)).toEqual(['createTask', 'status', 'status']);
  });
});
