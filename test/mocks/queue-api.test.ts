// Queue API behaviour over loopback that the model tests cannot see: URL parameters, payload parsing,
// createTask scopes, claimTask, the reportCompleted {success: false} quirk, error bodies.
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
const Q = 'prov/wt-api';
const limited = {
  clientId: 'limited',
  accessToken: 'limited-token',
  scopes: ['queue:create-task:project:none', 'queue:scheduler-id:-'],
};
beforeAll(async () => {
  mock = await startMockServices({ longPollMs: 10, clients: [limited] });
});
afterAll(() => mock.close());

const create = async (overrides: Record<string, unknown> = {}) => {
  const id = slugid.nice();
  const r = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${id}`, {
    creds: mock.admin,
    body: taskBody(Q, Date.now(), overrides),
  });
  expect(r.status).toBe(200);
  return id;
};

describe('Queue API over HTTP', () => {
  it('400 InvalidRequestArguments for a taskId that is not a slugid; 404 JSON for an unknown route', async () => {
    const r = await call(mock.rootUrl, 'GET', '/api/queue/v1/task/not-a-slug/status', { creds: mock.admin });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 'InvalidRequestArguments',
      requestInfo: { method: 'status', params: { taskId: 'not-a-slug' } },
    });
    const u = await call(mock.rootUrl, 'GET', '/api/queue/v1/no-such-thing', { creds: mock.admin });
    expect(u.status).toBe(404);
    expect(u.body.code).toBe('ResourceNotFound');
  });

  it('400 MalformedPayload for a body that is not JSON, or not sent as JSON', async () => {
    const url = `${mock.rootUrl}/api/queue/v1/claim-work/${encodeURIComponent(Q)}`;
    const r1 = await fetch(url, { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect((await r1.json()).code).toBe('MalformedPayload');
    const r2 = await fetch(url, {
      method: 'POST',
      body: '{"workerGroup":"g","workerId":"w"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect((await r2.json()).code).toBe('MalformedPayload');
  });

  it('InputValidationError names the schema and the failing property', async () => {
    const taskId = slugid.nice();
    const r = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, {
      creds: mock.admin,
      body: { ...taskBody(Q), bogus: 1 },
    });
    expect(r.body.code).toBe('InputValidationError');
    expect(r.body.message).toContain(`Rejecting Schema: ${mock.rootUrl}/schemas/queue/v1/create-task-request.json#`);
    expect(r.body.message).toContain('must NOT have additional properties');
  });

  it('createTask needs the priority scope for the task queue (or a higher priority), plus task.scopes', async () => {
    const r = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${slugid.nice()}`, {
      creds: limited,
      body: taskBody(Q),
    });
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('queue:create-task:lowest:prov/wt-api');
    expect(r.body.message).toContain('"AnyOf"');
  });

  it('claimTask: the same worker may repeat it, another worker gets 409', async () => {
    const id = await create();
    const path = `/api/queue/v1/task/${id}/runs/0/claim`;
    const a = await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body: { workerGroup: 'g', workerId: 'w1' } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ runId: 0, workerId: 'w1', status: { state: 'running' } });
    expect(
      (await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body: { workerGroup: 'g', workerId: 'w1' } }))
        .status,
    ).toBe(200);
    expect(
      (await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body: { workerGroup: 'g', workerId: 'w2' } }))
        .status,
    ).toBe(409);
  });

  it('reportCompleted with {success: false} resolves the run failed (upstream compatibility quirk)', async () => {
    const id = await create();
    const c = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/runs/0/claim`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w' },
    });
    const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/runs/0/completed`, {
      creds: c.body.credentials,
      body: { success: false },
    });
    expect(r.body.status.runs[0]).toMatchObject({ state: 'failed', reasonResolved: 'failed' });
  });

  it('reportException accepts only the five worker reasons', async () => {
    const id = await create();
    const c = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/runs/0/claim`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w' },
    });
    for (const reason of ['canceled', 'claim-expired', 'resources-unavailable']) {
      const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/runs/0/exception`, {
        creds: c.body.credentials,
        body: { reason },
      });
      expect(r.body.code).toBe('InputValidationError');
    }
    const ok = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/runs/0/exception`, {
      creds: c.body.credentials,
      body: { reason: 'resource-unavailable' },
    });
    expect(ok.body.status.state).toBe('exception');
  });

  it('pendingTasks counts pending runs of the queue; cancel and rerun need their scopes', async () => {
    const q = 'prov/wt-pending';
    const before = await call(mock.rootUrl, 'GET', `/api/queue/v1/pending/${encodeURIComponent(q)}`, {
      creds: mock.admin,
    });
    expect(before.body).toEqual({ provisionerId: 'prov', workerType: 'wt-pending', taskQueueId: q, pendingTasks: 0 });
    const id = slugid.nice();
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${id}`, { creds: mock.admin, body: taskBody(q) });
    expect(
      (await call(mock.rootUrl, 'GET', `/api/queue/v1/pending/${q}`, { creds: mock.admin })).body.pendingTasks,
    ).toBe(1);
    expect((await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/cancel`, { creds: limited })).status).toBe(403);
    const c = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/cancel`, { creds: mock.admin });
    expect(c.body.status.runs[0]).toMatchObject({ state: 'exception', reasonResolved: 'canceled' });
    const rr = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${id}/rerun`, { creds: mock.admin });
    expect(rr.body.status.runs[1]).toMatchObject({ state: 'pending', reasonCreated: 'rerun' });
  });
});
