// Fault injection from tests: status codes, latency, connection reset, forced 409 on reclaim, cancel after N s.
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-faults';

async function createAndClaim(m: MockServices) {
  const taskId = slugid.nice();
  await call(m.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: m.admin, body: taskBody(Q, m.model.now()) });
  const r = await call(m.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: m.admin,
    body: { workerGroup: 'g', workerId: 'w' },
  });
  return { taskId, claim: r.body.tasks[0] };
}

describe('faults', () => {
  it('answers an injected status in the real error shape, the given number of times', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    mock.faults.add({ route: 'claimWork', status: 500, times: 1 });
    const path = `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`;
    const body = { workerGroup: 'g', workerId: 'w' };
    const first = await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body });
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ code: 'InternalServerError', requestInfo: { method: 'claimWork' } });
    expect((await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body })).status).toBe(200);
    expect(mock.trace.entries().map((e) => e.fault ?? null)).toEqual(['status 500', null]);
  });

  it('forces 409 on reclaim after letting the first one through', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const { taskId, claim } = await createAndClaim(mock);
    mock.faults.add({ route: 'reclaimTask', status: 409, after: 1 });
    const path = `/api/queue/v1/task/${taskId}/runs/0/reclaim`;
    const ok = await call(mock.rootUrl, 'POST', path, { creds: claim.credentials });
    expect(ok.status).toBe(200);
    const refused = await call(mock.rootUrl, 'POST', path, { creds: ok.body.credentials });
    expect(refused).toMatchObject({ status: 409, body: { code: 'RequestConflict' } });
  });

  it('resets the connection, and adds latency without changing the answer', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const id = mock.faults.add({ route: 'status', reset: true });
    const path = `/api/queue/v1/task/${slugid.nice()}/status`;
    await expect(fetch(`${mock.rootUrl}${path}`)).rejects.toThrow();
    mock.faults.remove(id);
    mock.faults.add({ route: 'status', delayMs: 20 });
    const r = await call(mock.rootUrl, 'GET', path, { creds: mock.admin });
    expect(r.status).toBe(404);
    expect(mock.trace.entries().map((e) => e.fault)).toEqual(['reset', 'delay 20ms']);
  });

  it('cancels a claimed task N seconds after the claim; the holder then gets 409', async () => {
    let now = Date.now();
    mock = await startMockServices({ longPollMs: 10, now: () => now });
    mock.faults.add({ cancelAfterSeconds: 30 });
    const { taskId, claim } = await createAndClaim(mock);
    now += 29_999;
    mock.model.tick();
    expect(mock.model.status(taskId).state).toBe('running');
    now += 1;
    mock.model.tick();
    expect(mock.model.status(taskId).runs[0]).toMatchObject({ state: 'exception', reasonResolved: 'canceled' });
    const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/reclaim`, {
      creds: claim.credentials,
    });
    expect(r.status).toBe(409);
  });

  it('rejects a malformed rule with a message naming the field', () => {
    return startMockServices().then((m) => {
      mock = m;
      expect(() => m.faults.add({ route: 'x' })).toThrow(/needs one of status/);
      expect(() => m.faults.add({ status: 42 })).toThrow(/fault\.status/);
      expect(() => m.faults.add({ path: '(', status: 500 })).toThrow(/fault\.path/);
    });
  });
});
