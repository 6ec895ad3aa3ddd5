// The mock's control API (/mock/v1/) driven as a harness in another language would: plain Hawk-signed JSON
// requests over loopback, with the admin client's credentials; bad rules and bodies get a clear 4xx.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startInProcessMockServices, startMockServices } from '../../mocks/index.ts';
import { type Creds, call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-control';

const admin = (path: string, method = 'GET', body?: unknown) =>
  call(mock.rootUrl, method, `/mock/v1${path}`, { creds: mock.admin, body });

describe('control API over HTTP', () => {
  it('needs mock:admin: anonymous and worker clients get 403, the admin client is served', async () => {
    const worker = { clientId: 'w', accessToken: 'worker-token', scopes: [`queue:claim-work:${Q}`] };
    mock = await startMockServices({ longPollMs: 10, clients: [worker] });
    const anon = await call(mock.rootUrl, 'GET', '/mock/v1/faults');
    expect(anon.status).toBe(403);
    expect(anon.body.code).toBe('InsufficientScopes');
    expect(anon.body.message).toContain('mock:admin');
    const w = await call(mock.rootUrl, 'POST', '/mock/v1/faults', { creds: worker, body: { status: 500 } });
    expect(w.status).toBe(403);
    expect(mock.faults.list()).toEqual([]);
    const bad = await call(mock.rootUrl, 'GET', '/mock/v1/faults', {
      creds: { clientId: mock.admin.clientId, accessToken: 'wrong' },
    });
    expect(bad.status).toBe(401);
    expect((await admin('/faults')).body).toEqual({ faults: [] });
  });

  it('adds, lists, removes and clears fault rules; a bad rule is a 400 naming the field', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const added = await admin('/faults', 'POST', { route: 'status', status: 503, times: 1 });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ id: expect.any(Number), route: 'status', status: 503, seen: 0, applied: 0 });
    const status = `/api/queue/v1/task/${slugid.nice()}/status`;
    expect((await call(mock.rootUrl, 'GET', status, { creds: mock.admin })).status).toBe(503);
    expect((await call(mock.rootUrl, 'GET', status, { creds: mock.admin })).status).toBe(404);
    expect((await admin('/faults')).body.faults).toEqual([{ ...added.body, seen: 2, applied: 1 }]);
    const removed = await admin(`/faults/${added.body.id}`, 'DELETE');
    expect(removed.body).toMatchObject({ id: added.body.id, route: 'status' });
    expect((await admin(`/faults/${added.body.id}`, 'DELETE')).status).toBe(404);
    expect((await admin('/faults/abc', 'DELETE')).body.code).toBe('InvalidRequestArguments');

    for (const [rule, message] of [
      [{ route: 'status', status: 503, bogus: 1 }, 'fault rule: unknown field "bogus"'],
      [{ route: 'status', status: 'x' }, 'fault rule.status: must be a non-negative number'],
      [{ route: 'status', status: 99 }, 'fault rule.status: must be an HTTP status (100-599)'],
      [{ path: '(' }, 'fault rule.path: not a valid regular expression'],
      [{ route: 'status' }, 'fault rule: needs one of status, delayMs, reset, cancelAfterSeconds, garble'],
    ] as const) {
      const r = await admin('/faults', 'POST', rule);
      expect(r.status, JSON.stringify(rule)).toBe(400);
      expect(r.body.code).toBe('InputError');
      expect(r.body.message.split('\n')[0]).toBe(message);
    }
    const notObject = await admin('/faults', 'POST', [{ status: 500 }]);
    expect(notObject.body.code).toBe('InputValidationError');
    const text = await fetch(`${mock.rootUrl}/mock/v1/faults`, { method: 'POST', body: '{}' });
    expect(text.status).toBe(403); // authorization comes first, as on every route
    expect(mock.faults.list()).toEqual([]);

    await admin('/faults', 'POST', { route: 'claimWork', delayMs: 10 });
    await admin('/faults', 'POST', { route: 'reclaimTask', status: 409, after: 1 });
    expect((await admin('/faults', 'DELETE')).body).toEqual({ removed: 2 });
    expect(mock.faults.list()).toEqual([]);
  });

  it('reads the trace since a sequence number; control calls are not in it', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const status = `/api/queue/v1/task/${slugid.nice()}/status`;
    await call(mock.rootUrl, 'GET', status, { creds: mock.admin });
    const first = await admin('/trace');
    expect(first.body.last).toBe(1);
    expect(first.body.entries).toHaveLength(1);
    expect(first.body.entries[0]).toMatchObject({ seq: 1, route: 'status', status: 404 });
    await call(mock.rootUrl, 'GET', status, { creds: mock.admin });
    const next = await admin(`/trace?since=${first.body.last}`);
    expect(next.body.entries.map((e: { seq: number }) => e.seq)).toEqual([2]);
    expect((await admin('/trace?since=2')).body).toEqual({ last: 2, entries: [] });
    expect((await admin('/trace?since=-1')).body.code).toBe('InvalidRequestArguments');
    expect((await admin('/trace?from=1')).body.message).toMatch(/^Query-string parameter: from is not supported!/);
  });

  it('sets one task queue claim timeout, and resets it with null', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const q = encodeURIComponent(Q);
    const set = await admin(`/claim-timeout/${q}`, 'PUT', { seconds: 30 });
    expect(set.body).toEqual({ taskQueueId: Q, seconds: 30 });
    const claimOne = async () => {
      await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${slugid.nice()}`, { creds: mock.admin, body: taskBody(Q) });
      const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${q}`, {
        creds: mock.admin,
        body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
      });
      const run = r.body.tasks[0].status.runs[0];
      return (Date.parse(run.takenUntil) - Date.parse(run.started)) / 1000;
    };
    expect(await claimOne()).toBe(30);
    expect((await admin(`/claim-timeout/${q}`, 'PUT', { seconds: null })).body).toEqual({
      taskQueueId: Q,
      seconds: 1200,
    });
    expect(await claimOne()).toBe(1200);
    // The slash may also be sent as is.
    expect((await admin(`/claim-timeout/${Q}`, 'PUT', { seconds: 45 })).body).toEqual({ taskQueueId: Q, seconds: 45 });
    expect(await claimOne()).toBe(45);
    const zero = await admin(`/claim-timeout/${q}`, 'PUT', { seconds: 0 });
    expect(zero.body.code).toBe('InputValidationError');
    expect(zero.body.message).toContain('data.seconds must be >= 1');
    expect((await admin('/claim-timeout/no-slash', 'PUT', { seconds: 5 })).body.code).toBe('InvalidRequestArguments');
  });

  it('configures the superseder and shouldWorkerTerminate', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const [a, b] = [slugid.nice(), slugid.nice()];
    expect((await call(mock.rootUrl, 'GET', `/superseder/${a}`)).body).toEqual({ supersedes: [a] });
    expect((await admin(`/supersedes/${a}`, 'PUT', { supersedes: [a, b] })).body).toEqual({
      taskId: a,
      supersedes: [a, b],
    });
    expect((await call(mock.rootUrl, 'GET', `/superseder/${a}`)).body).toEqual({ supersedes: [a, b] });
    const bad = await admin(`/supersedes/${a}`, 'PUT', { supersedes: ['not-a-task-id'] });
    expect(bad.body.code).toBe('InputValidationError');
    expect(bad.body.message).toContain('data.supersedes.0 must match pattern');

    const wm = `/api/worker-manager/v1/workers/${encodeURIComponent(Q)}/g/w1/should-terminate`;
    expect((await call(mock.rootUrl, 'GET', wm, { creds: mock.admin })).body).toEqual({ terminate: false });
    const set = await admin(`/should-terminate/${encodeURIComponent(Q)}/g/w1`, 'PUT', { terminate: true });
    expect(set.body).toEqual({ workerPoolId: Q, workerGroup: 'g', workerId: 'w1', terminate: true });
    expect((await call(mock.rootUrl, 'GET', wm, { creds: mock.admin })).body).toEqual({ terminate: true });
    await admin(`/should-terminate/${Q}/g/w1`, 'PUT', { terminate: false });
    expect((await call(mock.rootUrl, 'GET', wm, { creds: mock.admin })).body).toEqual({ terminate: false });
    expect((await admin(`/should-terminate/${encodeURIComponent(Q)}/g/w1`, 'PUT', { terminate: 'yes' })).status).toBe(
      400,
    );
  });

  it('adds a static client the worker then authenticates with; the mock’s own clients stay', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const worker: Creds = { clientId: 'tc-kit/worker', accessToken: 'a-worker-token' };
    const claimWork = () =>
      call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
        creds: worker,
        body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
      });
    expect((await claimWork()).status).toBe(401);
    const put = await admin('/clients/tc-kit/worker', 'PUT', {
      accessToken: worker.accessToken,
      scopes: [`queue:claim-work:${Q}`, 'queue:worker-id:g/w'],
    });
    expect(put.body).toEqual({ clientId: 'tc-kit/worker', scopes: [`queue:claim-work:${Q}`, 'queue:worker-id:g/w'] });
    expect((await claimWork()).status).toBe(200);
    expect((await admin('/clients/static/taskcluster/queue', 'PUT', { accessToken: 'x', scopes: ['*'] })).status).toBe(
      409,
    );
    expect((await admin(`/clients/${mock.admin.clientId}`, 'PUT', { accessToken: 'x', scopes: [] })).body.code).toBe(
      'RequestConflict',
    );
    expect((await admin('/clients/bad%20id', 'PUT', { accessToken: 'x', scopes: [] })).status).toBe(400);
    expect((await admin('/clients/c', 'PUT', { scopes: [] })).body.message).toContain(
      "must have required property 'accessToken'",
    );
  });

  it('shuts down on request: answers first, then closes and writes the trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-mock-control-'));
    try {
      const tracePath = join(dir, 'trace.json');
      mock = await startMockServices({ longPollMs: 10, tracePath });
      await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${slugid.nice()}/status`, { creds: mock.admin });
      expect((await call(mock.rootUrl, 'POST', '/mock/v1/shutdown')).status).toBe(403);
      const r = await admin('/shutdown', 'POST');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ stopping: true });
      await mock.closed;
      expect(JSON.parse(readFileSync(tracePath, 'utf8')).map((e: { route: string }) => e.route)).toEqual(['status']);
      await expect(fetch(`${mock.rootUrl}/mock/v1/faults`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is served by the in-process transport from the same handlers', async () => {
    mock = startInProcessMockServices({ longPollMs: 10, origin: 'http://control.mock' });
    const added = await admin('/faults', 'POST', { route: 'status', status: 500, times: 1 });
    expect(added.status).toBe(200);
    const r = await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${slugid.nice()}/status`, { creds: mock.admin });
    expect(r.status).toBe(500);
    expect((await admin('/trace')).body.entries[0]).toMatchObject({ route: 'status', status: 500 });
  });
});
